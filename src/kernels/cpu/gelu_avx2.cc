// AVX2 GELU (exact erf form, erf from Eigen's rational approximation: |error| < 2e-7 on the whole real line)
// and quick-GELU (x * sigmoid(1.702 x) with the vectorized exp).
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"

#pragma GCC target("avx2,fma,f16c")  // below here only; see matmul_avx2.cc
#include "kernels/cpu/simd_avx2.h"

namespace mms::kernels::cpu::avx2 {
namespace {

constexpr int64_t kGrain = 16384;  // elements per thread at least

// erf(x) = x * P(x^2) / Q(x^2) on [-4, 4] (erf is +-1 in f32 beyond), Eigen's generic_fast_erf_float.
inline __m256 erf8(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(4.0f), _mm256_max_ps(_mm256_set1_ps(-4.0f), x));
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-2.72614225801306e-10f);
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.77068142495902e-08f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.10102402082508e-06f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-5.69250639462346e-05f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-7.34990630326855e-04f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-2.95459980854025e-03f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.60960333262415e-02f));
  __m256 q = _mm256_set1_ps(-1.45660718464996e-05f);
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-2.13374055278905e-04f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.68282697438203e-03f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-7.37332916720468e-03f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.42647390514189e-02f));
  return _mm256_div_ps(_mm256_mul_ps(x, p), q);
}

}  // namespace

void gelu(const float* x, int64_t n, float* out) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    const __m256 rsqrt2 = _mm256_set1_ps(0.70710678118654752f);
    int64_t i = b;
    for (; i + 8 <= e; i += 8) {
      const __m256 v = _mm256_loadu_ps(x + i);
      const __m256 cdf = _mm256_mul_ps(half, _mm256_add_ps(one, erf8(_mm256_mul_ps(v, rsqrt2))));
      _mm256_storeu_ps(out + i, _mm256_mul_ps(v, cdf));
    }
    for (; i < e; ++i) out[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
  });
}

void quick_gelu(const float* x, int64_t n, float* out) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 neg_k = _mm256_set1_ps(-1.702f);
    int64_t i = b;
    for (; i + 8 <= e; i += 8) {
      const __m256 v = _mm256_loadu_ps(x + i);
      _mm256_storeu_ps(out + i, _mm256_div_ps(v, _mm256_add_ps(one, avx2::exp(_mm256_mul_ps(neg_k, v)))));
    }
    for (; i < e; ++i) out[i] = x[i] / (1.0f + std::exp(-1.702f * x[i]));
  });
}

}  // namespace mms::kernels::cpu::avx2
