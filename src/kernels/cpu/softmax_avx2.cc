// AVX2 row softmax: vector max, vectorized exp with the sum in the same pass, then one scale pass.
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

void softmax_row(float* v, int64_t n) {
  __m256 vmax = _mm256_set1_ps(-INFINITY);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(v + i));
  float m = hmax(vmax);
  for (; i < n; ++i) m = std::fmax(m, v[i]);
  const __m256 vm = _mm256_set1_ps(m);
  __m256d sum_lo = _mm256_setzero_pd(), sum_hi = sum_lo;  // in double, like ref: rows can be 150k long
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 e = avx2::exp(_mm256_sub_ps(_mm256_loadu_ps(v + i), vm));
    _mm256_storeu_ps(v + i, e);
    sum_lo = _mm256_add_pd(sum_lo, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
    sum_hi = _mm256_add_pd(sum_hi, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
  }
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, _mm256_add_pd(sum_lo, sum_hi));
  double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  for (; i < n; ++i) {
    v[i] = std::exp(v[i] - m);
    sum += v[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  const __m256 vinv = _mm256_set1_ps(inv);
  for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(v + i, _mm256_mul_ps(_mm256_loadu_ps(v + i), vinv));
  for (; i < n; ++i) v[i] *= inv;
}

}  // namespace

void softmax(float* x, int64_t rows, int64_t cols) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1));
  parallel_for(rows, grain, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) softmax_row(x + r * cols, cols);
  });
}

}  // namespace mms::kernels::cpu::avx2
