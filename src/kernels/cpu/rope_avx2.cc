// AVX2 rotary embedding. Per token, cos/sin of every pair are computed once (shared by all heads) into a
// head_dim-wide table laid out so that each head is rotated as x * C + partner(x) * S, where partner(x)
// swaps each element with the other member of its pair and S carries the sign:
//   NeoX (j, j + half):  C = [c, c],            S = [-s, s],             partner = swap halves
//   GPT-J (2j, 2j + 1):  C = [c0 c0 c1 c1 ..],  S = [-s0 s0 -s1 s1 ..],  partner = swap neighbours
// Same products and sums as the reference (the compiler may fuse them into FMAs: ~1e-7 relative).
// M-RoPE only changes which position fills each pair's entry of the table.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"

#pragma GCC target("avx2,fma,f16c")  // below here only; see matmul_avx2.cc
#include "kernels/cpu/simd_avx2.h"

namespace mms::kernels::cpu::avx2 {
namespace {

// Pairs [0, h_begin) rotate by pos[0], [h_begin, w_begin) by pos[1], the rest by pos[2].
void fill_tables(const int32_t pos[3], int64_t h_begin, int64_t w_begin, const float* inv_freq, int64_t head_dim,
                 RopePairing pairing, float* C, float* S) {
  const int64_t half = head_dim / 2;
  for (int64_t j = 0; j < half; ++j) {
    const int32_t position = j < h_begin ? pos[0] : j < w_begin ? pos[1] : pos[2];
    const float angle = static_cast<float>(position) * inv_freq[j];
    const float c = std::cos(angle);
    const float s = std::sin(angle);
    const int64_t a = pairing == RopePairing::kNeox ? j : 2 * j;
    const int64_t b = pairing == RopePairing::kNeox ? j + half : 2 * j + 1;
    C[a] = c;
    C[b] = c;
    S[a] = -s;
    S[b] = s;
  }
}

void rotate_neox(float* v, int64_t half, const float* C, const float* S) {
  int64_t j = 0;
  for (; j + 8 <= half; j += 8) {
    const __m256 x0 = _mm256_loadu_ps(v + j), x1 = _mm256_loadu_ps(v + j + half);
    _mm256_storeu_ps(v + j, _mm256_add_ps(_mm256_mul_ps(x0, _mm256_loadu_ps(C + j)),
                                          _mm256_mul_ps(x1, _mm256_loadu_ps(S + j))));
    _mm256_storeu_ps(v + j + half, _mm256_add_ps(_mm256_mul_ps(x1, _mm256_loadu_ps(C + j + half)),
                                                 _mm256_mul_ps(x0, _mm256_loadu_ps(S + j + half))));
  }
  for (; j < half; ++j) {
    const float x0 = v[j], x1 = v[j + half];
    v[j] = x0 * C[j] + x1 * S[j];
    v[j + half] = x1 * C[j + half] + x0 * S[j + half];
  }
}

void rotate_gptj(float* v, int64_t head_dim, const float* C, const float* S) {
  int64_t i = 0;
  for (; i + 8 <= head_dim; i += 8) {
    const __m256 x = _mm256_loadu_ps(v + i);
    const __m256 partner = _mm256_permute_ps(x, 0xB1);  // (x1 x0 x3 x2 ...)
    _mm256_storeu_ps(v + i, _mm256_add_ps(_mm256_mul_ps(x, _mm256_loadu_ps(C + i)),
                                          _mm256_mul_ps(partner, _mm256_loadu_ps(S + i))));
  }
  for (; i + 1 < head_dim; i += 2) {
    const float x0 = v[i], x1 = v[i + 1];
    v[i] = x0 * C[i] + x1 * S[i];
    v[i + 1] = x1 * C[i + 1] + x0 * S[i + 1];
  }
}

// Rotates every head of rows [b, e); position(t, pos) fills the row's three section positions.
template <typename PositionsOf>
void rotate_rows(float* x, int64_t b, int64_t e, int64_t n_heads, int64_t head_dim, int64_t h_begin,
                 int64_t w_begin, const float* inv_freq, RopePairing pairing, PositionsOf positions_of) {
  thread_local std::vector<float> table;  // C then S, head_dim each
  table.resize(static_cast<size_t>(2 * head_dim));
  float* C = table.data();
  float* S = C + head_dim;
  for (int64_t t = b; t < e; ++t) {
    int32_t pos[3];
    positions_of(t, pos);
    fill_tables(pos, h_begin, w_begin, inv_freq, head_dim, pairing, C, S);
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + (t * n_heads + h) * head_dim;
      if (pairing == RopePairing::kNeox) {
        rotate_neox(v, head_dim / 2, C, S);
      } else {
        rotate_gptj(v, head_dim, C, S);
      }
    }
  }
}

int64_t grain_of(int64_t n_heads, int64_t head_dim) {
  return std::max<int64_t>(1, 8192 / std::max<int64_t>(n_heads * head_dim, 1));
}

}  // namespace

void rope(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions, const float* inv_freq,
          RopePairing pairing) {
  const int64_t half = head_dim / 2;
  parallel_for(T, grain_of(n_heads, head_dim), [&](int64_t b, int64_t e) {
    rotate_rows(x, b, e, n_heads, head_dim, half, half, inv_freq, pairing, [&](int64_t t, int32_t* pos) {
      pos[0] = pos[1] = pos[2] = positions[t];
    });
  });
}

void rope_multi(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions,
                MropeSections sections, const float* inv_freq, RopePairing pairing) {
  const int64_t h_begin = sections.t, w_begin = int64_t{sections.t} + sections.h;
  parallel_for(T, grain_of(n_heads, head_dim), [&](int64_t b, int64_t e) {
    rotate_rows(x, b, e, n_heads, head_dim, h_begin, w_begin, inv_freq, pairing, [&](int64_t t, int32_t* pos) {
      pos[0] = positions[t];
      pos[1] = positions[T + t];
      pos[2] = positions[2 * T + t];
    });
  });
}

}  // namespace mms::kernels::cpu::avx2
