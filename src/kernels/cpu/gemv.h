// GEMV-shaped matmul for decode (small M): y[M,N] = x[M,K] W[N,K]^T + bias, streaming W from memory once.
// ISA-generic over a vector-traits type S (simd_avx2.h; the Simd struct in matmul_avx512.cc); include it
// after that ISA's `#pragma GCC target` and its traits. Internal linkage: one copy per ISA translation unit.
//
// Memory-bound at small M: every weight element is loaded once, converted to f32 in registers (F16C or
// a bf16 shift) and used for all M rows. W rows are taken one after another, so each thread reads its
// weights as one sequential, software-prefetched stream (measured on Zen 3: 4 interleaved row streams
// were 1.4x slower at M = 1 and 2-3x slower at M = 4..8). A thread's N range is walked in chunks of
// kChunkRows W rows; each block of up to 4 x rows passes over the chunk while it is still in L1/L2, so W
// leaves DRAM once for any M.
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/check.h"
#include "common/compute_pool.h"
#include "tensor/tensor.h"

namespace mms::kernels::cpu {
namespace {

// Software prefetch distance along the W stream: 16 cache lines ahead. Measured on Zen 3 at M = 1, bf16
// (BM_GemvVsRoofline): 0.70-0.77 of the read roofline without, 0.83-0.86 with; 512 and 1536 are in between.
constexpr int64_t kPrefetchBytes = 1024;

// One W row against MB rows of x, U independent accumulators per x row (k unrolled U times).
template <class S, DType WT, int MB, int U>
inline void gemv_row(const float* x, int64_t K, const void* w, int64_t n, const float* bias, float* y, int64_t ldy) {
  using V = typename S::V;
  constexpr int64_t kStep = U * S::kWidth;
  constexpr int64_t kElemBytes = WT == DType::kF32 ? 4 : 2;
  const int64_t row = n * K;
  V acc[MB][U];
  for (int m = 0; m < MB; ++m)
    for (int u = 0; u < U; ++u) acc[m][u] = S::zero();
  const char* w_bytes = static_cast<const char*>(w) + row * kElemBytes;
  int64_t k = 0;
  for (; k + kStep <= K; k += kStep) {
    for (int64_t b = 0; b < kStep * kElemBytes; b += 64)
      _mm_prefetch(w_bytes + k * kElemBytes + b + kPrefetchBytes, _MM_HINT_T0);
    for (int u = 0; u < U; ++u) {
      const V wv = S::template load_as_f32<WT>(w, row + k + u * S::kWidth);
      for (int m = 0; m < MB; ++m) acc[m][u] = S::fmadd(S::load(x + m * K + k + u * S::kWidth), wv, acc[m][u]);
    }
  }
  for (; k + S::kWidth <= K; k += S::kWidth) {
    const V wv = S::template load_as_f32<WT>(w, row + k);
    for (int m = 0; m < MB; ++m) acc[m][0] = S::fmadd(S::load(x + m * K + k), wv, acc[m][0]);
  }
  for (int m = 0; m < MB; ++m) {
    for (int u = 1; u < U; ++u) acc[m][0] = S::add(acc[m][0], acc[m][u]);
    float s = S::reduce(acc[m][0]);
    for (int64_t kk = k; kk < K; ++kk) s += x[m * K + kk] * S::template load1<WT>(w, row + kk);
    y[m * ldy + n] = s + (bias ? bias[n] : 0.f);
  }
}

template <class S, DType WT>
void gemv_rows(const float* x, int64_t M, int64_t K, const void* w, int64_t nb, int64_t ne, const float* bias,
               float* y, int64_t N) {
  constexpr int64_t kChunkRows = 16;
  for (int64_t c = nb; c < ne; c += kChunkRows) {
    const int64_t ce = std::min(c + kChunkRows, ne);
    for (int64_t m0 = 0; m0 < M; m0 += 4) {
      const float* xm = x + m0 * K;
      float* ym = y + m0 * N;
      const int64_t mb = std::min<int64_t>(4, M - m0);
      for (int64_t n = c; n < ce; ++n) {
        switch (mb) {
          case 1: gemv_row<S, WT, 1, 4>(xm, K, w, n, bias, ym, N); break;
          case 2: gemv_row<S, WT, 2, 4>(xm, K, w, n, bias, ym, N); break;
          case 3: gemv_row<S, WT, 3, 2>(xm, K, w, n, bias, ym, N); break;
          default: gemv_row<S, WT, 4, 2>(xm, K, w, n, bias, ym, N); break;
        }
      }
    }
  }
}

// The whole op, split over N across the compute pool (at least ~64 KiB of W per thread).
template <class S>
void gemv(const float* x, int64_t M, const Tensor& w, const float* bias, float* y) {
  MMS_CHECK(w.ndim() == 2);
  const int64_t N = w.dim(0);
  const int64_t K = w.dim(1);
  const int64_t row_bytes = std::max<int64_t>(1, K * static_cast<int64_t>(dtype_size(w.dtype)));
  const int64_t grain = std::max<int64_t>(4, (int64_t{64} << 10) / row_bytes);
  parallel_for(N, grain, [&](int64_t nb, int64_t ne) {
    switch (w.dtype) {
      case DType::kF32: gemv_rows<S, DType::kF32>(x, M, K, w.data, nb, ne, bias, y, N); break;
      case DType::kF16: gemv_rows<S, DType::kF16>(x, M, K, w.data, nb, ne, bias, y, N); break;
      case DType::kBF16: gemv_rows<S, DType::kBF16>(x, M, K, w.data, nb, ne, bias, y, N); break;
      default: MMS_CHECK_MSG(false, "matmul: unsupported weight dtype");
    }
  });
}

}  // namespace
}  // namespace mms::kernels::cpu
