// Decode-batch GEMV for bf16 weights on AVX512-BF16 (Sapphire Rapids and later): x is rounded to bf16 once
// per call and each vdpbf16ps multiplies 32 weight/activation pairs into 16 f32 sums, so one pass over W
// serves 2..16 rows of x at half the instructions of the f32 GEMV (which converts every weight to f32 and
// needs one FMA per 16 products). At M = 8 that kernel is compute-bound on this CPU (measured: 7.6 GB/s of
// W against 15 GB/s at M = 1), and decode batches are where serving spends its time. Numerics as the AMX
// GEMM path (bf16 products, f32 sums) and llama.cpp's bf16 dot products.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "common/check.h"
#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"
#include "tensor/tensor.h"

#pragma GCC target("avx512f,avx512bw,avx512vl,avx512bf16,avx2,fma,f16c")

namespace mms::kernels::cpu::avx512 {
namespace {

constexpr int64_t kPrefetchBytes = 1024;
constexpr int kMaxRows = 8;  // rows of x per pass over a W row pair (2 x 8 accumulators + operands fit)

inline __m512bh as_bh(__m512i v) { return reinterpret_cast<__m512bh&>(v); }

// Two W rows (n, n + 1; `two` false: only n) against MB rows of bf16 x.
template <int MB>
void dot_rows(const uint16_t* xb, int64_t K, const uint16_t* w, int64_t n, bool two, const float* bias, float* y,
              int64_t ldy) {
  __m512 acc0[MB], acc1[MB];
  for (int m = 0; m < MB; ++m) acc0[m] = acc1[m] = _mm512_setzero_ps();
  const uint16_t* w0 = w + n * K;
  const uint16_t* w1 = two ? w0 + K : w0;
  int64_t k = 0;
  for (; k + 32 <= K; k += 32) {
    _mm_prefetch(reinterpret_cast<const char*>(w0 + k) + kPrefetchBytes, _MM_HINT_T0);
    if (two) _mm_prefetch(reinterpret_cast<const char*>(w1 + k) + kPrefetchBytes, _MM_HINT_T0);
    const __m512bh a = as_bh(_mm512_loadu_si512(w0 + k));
    const __m512bh b = as_bh(_mm512_loadu_si512(w1 + k));
    for (int m = 0; m < MB; ++m) {
      const __m512bh xv = as_bh(_mm512_loadu_si512(xb + m * K + k));
      acc0[m] = _mm512_dpbf16_ps(acc0[m], xv, a);
      if (two) acc1[m] = _mm512_dpbf16_ps(acc1[m], xv, b);
    }
  }
  if (k < K) {  // tail: masked loads read zeros past K
    const __mmask32 mask = static_cast<__mmask32>((uint64_t{1} << (K - k)) - 1);
    const __m512bh a = as_bh(_mm512_maskz_loadu_epi16(mask, w0 + k));
    const __m512bh b = as_bh(_mm512_maskz_loadu_epi16(mask, w1 + k));
    for (int m = 0; m < MB; ++m) {
      const __m512bh xv = as_bh(_mm512_maskz_loadu_epi16(mask, xb + m * K + k));
      acc0[m] = _mm512_dpbf16_ps(acc0[m], xv, a);
      if (two) acc1[m] = _mm512_dpbf16_ps(acc1[m], xv, b);
    }
  }
  for (int m = 0; m < MB; ++m) {
    y[m * ldy + n] = _mm512_reduce_add_ps(acc0[m]) + (bias ? bias[n] : 0.f);
    if (two) y[m * ldy + n + 1] = _mm512_reduce_add_ps(acc1[m]) + (bias ? bias[n + 1] : 0.f);
  }
}

void dot_block(const uint16_t* xb, int64_t mb, int64_t K, const uint16_t* w, int64_t n, bool two, const float* bias,
               float* y, int64_t ldy) {
  switch (mb) {
    case 1: return dot_rows<1>(xb, K, w, n, two, bias, y, ldy);
    case 2: return dot_rows<2>(xb, K, w, n, two, bias, y, ldy);
    case 3: return dot_rows<3>(xb, K, w, n, two, bias, y, ldy);
    case 4: return dot_rows<4>(xb, K, w, n, two, bias, y, ldy);
    case 5: return dot_rows<5>(xb, K, w, n, two, bias, y, ldy);
    case 6: return dot_rows<6>(xb, K, w, n, two, bias, y, ldy);
    case 7: return dot_rows<7>(xb, K, w, n, two, bias, y, ldy);
    default: return dot_rows<8>(xb, K, w, n, two, bias, y, ldy);
  }
}

}  // namespace

void gemv_bf16_dp(const float* x, int64_t M, const Tensor& w, const float* bias, float* y) {
  MMS_CHECK(w.ndim() == 2 && w.dtype == DType::kBF16 && w.layout == Layout::kRowMajor);
  const int64_t N = w.dim(0);
  const int64_t K = w.dim(1);
  const uint16_t* xb = round_to_bf16(x, M * K);
  const uint16_t* wd = w.as<uint16_t>();
  // Pairs of W rows over the pool (at least ~64 KiB of W per thread); each W row pair is read from memory
  // once and reused from L1 for every block of up to 8 x rows.
  const int64_t pairs = (N + 1) / 2;
  const int64_t grain = std::max<int64_t>(2, (int64_t{32} << 10) / std::max<int64_t>(1, 2 * K));
  parallel_for(pairs, grain, [&](int64_t pb, int64_t pe) {
    for (int64_t p = pb; p < pe; ++p) {
      const int64_t n = 2 * p;
      const bool two = n + 1 < N;
      for (int64_t m0 = 0; m0 < M; m0 += kMaxRows)
        dot_block(xb + m0 * K, std::min<int64_t>(kMaxRows, M - m0), K, wd, n, two, bias, y + m0 * N, N);
    }
  });
}

}  // namespace mms::kernels::cpu::avx512
