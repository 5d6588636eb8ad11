// AVX2 LayerNorm: one pass for the mean, one for the variance around it (as the reference: no E[x^2] - E[x]^2
// cancellation), one to normalize, scale and shift; rows over the pool.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"

#pragma GCC target("avx2,fma,f16c")  // below here only; see matmul_avx2.cc
#include "kernels/cpu/simd_avx2.h"

namespace mms::kernels::cpu::avx2 {
namespace {

void layer_norm_row(const float* x, const float* w, const float* b, int64_t dim, float eps, float* y) {
  const int64_t dv = dim / 8 * 8;
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  int64_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(x + i + 8));
  }
  for (; i < dv; i += 8) s0 = _mm256_add_ps(s0, _mm256_loadu_ps(x + i));
  float sum = hsum(_mm256_add_ps(s0, s1));
  for (; i < dim; ++i) sum += x[i];
  const float mean = sum / static_cast<float>(dim);

  const __m256 vmean = _mm256_set1_ps(mean);
  s0 = _mm256_setzero_ps();
  s1 = s0;
  i = 0;
  for (; i + 16 <= dim; i += 16) {
    const __m256 a = _mm256_sub_ps(_mm256_loadu_ps(x + i), vmean);
    const __m256 c = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vmean);
    s0 = _mm256_fmadd_ps(a, a, s0);
    s1 = _mm256_fmadd_ps(c, c, s1);
  }
  for (; i < dv; i += 8) {
    const __m256 a = _mm256_sub_ps(_mm256_loadu_ps(x + i), vmean);
    s0 = _mm256_fmadd_ps(a, a, s0);
  }
  float ss = hsum(_mm256_add_ps(s0, s1));
  for (; i < dim; ++i) ss += (x[i] - mean) * (x[i] - mean);
  const float inv = 1.0f / std::sqrt(ss / static_cast<float>(dim) + eps);

  const __m256 vinv = _mm256_set1_ps(inv);
  for (i = 0; i < dv; i += 8) {
    const __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmean), vinv);
    const __m256 bias = b ? _mm256_loadu_ps(b + i) : _mm256_setzero_ps();
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(n, _mm256_loadu_ps(w + i), bias));
  }
  for (; i < dim; ++i) y[i] = (x[i] - mean) * inv * w[i] + (b ? b[i] : 0.0f);
}

}  // namespace

void layer_norm(const float* x, const float* w, const float* b, int64_t rows, int64_t dim, float eps, float* y) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(dim, 1));
  parallel_for(rows, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) layer_norm_row(x + r * dim, w, b, dim, eps, y + r * dim);
  });
}

}  // namespace mms::kernels::cpu::avx2
