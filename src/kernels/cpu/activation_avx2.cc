// AVX2 elementwise activations: SwiGLU's silu(gate) * up with a vectorized exp, and add.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"

#pragma GCC target("avx2,fma,f16c")  // below here only; see matmul_avx2.cc
#include "kernels/cpu/simd_avx2.h"

namespace mms::kernels::cpu::avx2 {
namespace {
constexpr int64_t kGrain = 16384;  // elements per thread at least: below that, threads cost more than they save
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    int64_t i = b;
    for (; i + 8 <= e; i += 8) {
      const __m256 g = _mm256_loadu_ps(gate + i);
      const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(one, avx2::exp(_mm256_xor_ps(g, sign))));
      _mm256_storeu_ps(out + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    for (; i < e; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
  });
}

void add(const float* a, const float* b, int64_t n, float* y) {
  parallel_for(n, kGrain, [&](int64_t lo, int64_t hi) {
    int64_t i = lo;
    for (; i + 8 <= hi; i += 8) _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    for (; i < hi; ++i) y[i] = a[i] + b[i];
  });
}

}  // namespace mms::kernels::cpu::avx2
