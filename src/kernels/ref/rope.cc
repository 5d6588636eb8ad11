#include "kernels/rope.h"

#include <cmath>

namespace mms::kernels::ref {
namespace {

// Rotates pair j of one head by angle position * inv_freq[j].
void rotate_pair(float* v, int64_t head_dim, int64_t j, int32_t position, const float* inv_freq,
                 RopePairing pairing) {
  const int64_t half = head_dim / 2;
  const float angle = static_cast<float>(position) * inv_freq[j];
  const float c = std::cos(angle);
  const float s = std::sin(angle);
  const int64_t a = pairing == RopePairing::kNeox ? j : 2 * j;
  const int64_t b = pairing == RopePairing::kNeox ? j + half : 2 * j + 1;
  const float x0 = v[a];
  const float x1 = v[b];
  v[a] = x0 * c - x1 * s;
  v[b] = x0 * s + x1 * c;
}

}  // namespace

void rope(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions,
          const float* inv_freq, RopePairing pairing) {
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + (t * n_heads + h) * head_dim;
      for (int64_t j = 0; j < head_dim / 2; ++j) rotate_pair(v, head_dim, j, positions[t], inv_freq, pairing);
    }
  }
}

void rope_multi(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions,
                MropeSections sections, const float* inv_freq, RopePairing pairing) {
  for (int64_t t = 0; t < T; ++t) {
    const int32_t pos_t = positions[t];
    const int32_t pos_h = positions[T + t];
    const int32_t pos_w = positions[2 * T + t];
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + (t * n_heads + h) * head_dim;
      for (int64_t j = 0; j < head_dim / 2; ++j) {
        const int32_t p = j < sections.t ? pos_t : j < sections.t + sections.h ? pos_h : pos_w;
        rotate_pair(v, head_dim, j, p, inv_freq, pairing);
      }
    }
  }
}

}  // namespace mms::kernels::ref
