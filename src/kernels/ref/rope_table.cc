#include "kernels/rope_table.h"

namespace mms::kernels::ref {

void rope_table(float* x, int64_t T, int64_t n_heads, int64_t head_dim, int64_t row_stride, const float* cos,
                const float* sin) {
  const int64_t half = head_dim / 2;
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + t * row_stride + h * head_dim;
      for (int64_t j = 0; j < half; ++j) {
        const float c = cos[t * half + j];
        const float s = sin[t * half + j];
        const float x0 = v[j];
        const float x1 = v[j + half];
        v[j] = x0 * c - x1 * s;
        v[j + half] = x1 * c + x0 * s;
      }
    }
  }
}

}  // namespace mms::kernels::ref
