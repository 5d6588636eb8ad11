#include "kernels/softmax.h"

#include <cmath>

namespace mms::kernels::ref {

void softmax(float* x, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float* v = x + r * cols;
    float m = -INFINITY;
    for (int64_t i = 0; i < cols; ++i) m = std::fmax(m, v[i]);
    double sum = 0;
    for (int64_t i = 0; i < cols; ++i) {
      v[i] = std::exp(v[i] - m);
      sum += v[i];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < cols; ++i) v[i] *= inv;
  }
}

}  // namespace mms::kernels::ref
