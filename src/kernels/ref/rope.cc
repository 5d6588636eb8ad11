#include "kernels/rope.h"

#include <cmath>

namespace mms::kernels::ref {

void rope(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions,
          const float* inv_freq, RopePairing pairing) {
  const int64_t half = head_dim / 2;
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + (t * n_heads + h) * head_dim;
      for (int64_t j = 0; j < half; ++j) {
        const float angle = static_cast<float>(positions[t]) * inv_freq[j];
        const float c = std::cos(angle);
        const float s = std::sin(angle);
        const int64_t a = pairing == RopePairing::kNeox ? j : 2 * j;
        const int64_t b = pairing == RopePairing::kNeox ? j + half : 2 * j + 1;
        const float x0 = v[a];
        const float x1 = v[b];
        v[a] = x0 * c - x1 * s;
        v[b] = x0 * s + x1 * c;
      }
    }
  }
}

}  // namespace mms::kernels::ref
