// AVX2 rotary embedding from per-row cos/sin tables ("rotate half" pairing); rows over the pool.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"

#pragma GCC target("avx2,fma,f16c")  // below here only; see matmul_avx2.cc
#include "kernels/cpu/simd_avx2.h"

namespace mms::kernels::cpu::avx2 {

void rope_table(float* x, int64_t T, int64_t n_heads, int64_t head_dim, int64_t row_stride, const float* cos,
                const float* sin) {
  const int64_t half = head_dim / 2;
  const int64_t hv = half / 8 * 8;
  const int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(n_heads * head_dim, 1));
  parallel_for(T, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const float* c = cos + t * half;
      const float* s = sin + t * half;
      for (int64_t h = 0; h < n_heads; ++h) {
        float* v = x + t * row_stride + h * head_dim;
        int64_t j = 0;
        for (; j < hv; j += 8) {
          const __m256 x0 = _mm256_loadu_ps(v + j), x1 = _mm256_loadu_ps(v + j + half);
          const __m256 cj = _mm256_loadu_ps(c + j), sj = _mm256_loadu_ps(s + j);
          _mm256_storeu_ps(v + j, _mm256_fmsub_ps(x0, cj, _mm256_mul_ps(x1, sj)));
          _mm256_storeu_ps(v + j + half, _mm256_fmadd_ps(x1, cj, _mm256_mul_ps(x0, sj)));
        }
        for (; j < half; ++j) {
          const float x0 = v[j], x1 = v[j + half];
          v[j] = x0 * c[j] - x1 * s[j];
          v[j + half] = x1 * c[j] + x0 * s[j];
        }
      }
    }
  });
}

}  // namespace mms::kernels::cpu::avx2
