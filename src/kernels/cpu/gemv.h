// GEMV-shaped matmul for decode (small M): y[M,N] = x[M,K] W[N,K]^T + bias, streaming W from memory once.
// ISA-generic over a vector-traits type S (simd_avx2.h, simd_avx512.h); include it after that ISA's
// `#pragma GCC target` and its traits header. Internal linkage: one copy per ISA translation unit.
//
// Memory-bound at small M: every weight element is loaded once, converted to f32 in registers (F16C or
// a bf16 shift) and used for all M rows. A tile keeps MB x NR independent accumulators (MB rows of x
// against NR rows of W). A thread's N range is walked in chunks of kChunkRows W rows; each block of up to
// 4 x rows passes over the chunk while it is still in L1/L2, so W leaves DRAM once for any M.
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/check.h"
#include "common/compute_pool.h"
#include "tensor/tensor.h"

namespace mms::kernels::cpu {
namespace {

template <class S, DType WT, int MB, int NR>
inline void gemv_tile(const float* x, int64_t K, const void* w, int64_t n0, const float* bias, float* y,
                      int64_t ldy) {
  using V = typename S::V;
  V acc[MB][NR];
  for (int m = 0; m < MB; ++m)
    for (int r = 0; r < NR; ++r) acc[m][r] = S::zero();
  const int64_t k_vec = K / S::kWidth * S::kWidth;
  for (int64_t k = 0; k < k_vec; k += S::kWidth) {
    V xv[MB];
    for (int m = 0; m < MB; ++m) xv[m] = S::load(x + m * K + k);
    for (int r = 0; r < NR; ++r) {
      const V wv = S::template load_as_f32<WT>(w, (n0 + r) * K + k);
      for (int m = 0; m < MB; ++m) acc[m][r] = S::fmadd(xv[m], wv, acc[m][r]);
    }
  }
  for (int m = 0; m < MB; ++m) {
    for (int r = 0; r < NR; ++r) {
      float s = S::reduce(acc[m][r]);
      for (int64_t k = k_vec; k < K; ++k) s += x[m * K + k] * S::template load1<WT>(w, (n0 + r) * K + k);
      y[m * ldy + n0 + r] = s + (bias ? bias[n0 + r] : 0.f);
    }
  }
}

// Rows [nb, ne) of W against MB rows of x.
template <class S, DType WT, int MB, int NR>
void gemv_block(const float* x, int64_t K, const void* w, int64_t nb, int64_t ne, const float* bias, float* y,
                int64_t ldy) {
  int64_t n = nb;
  for (; n + NR <= ne; n += NR) gemv_tile<S, WT, MB, NR>(x, K, w, n, bias, y, ldy);
  for (; n < ne; ++n) gemv_tile<S, WT, MB, 1>(x, K, w, n, bias, y, ldy);
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
      switch (std::min<int64_t>(4, M - m0)) {
        case 1: gemv_block<S, WT, 1, 4>(xm, K, w, c, ce, bias, ym, N); break;
        case 2: gemv_block<S, WT, 2, 4>(xm, K, w, c, ce, bias, ym, N); break;
        case 3: gemv_block<S, WT, 3, 3>(xm, K, w, c, ce, bias, ym, N); break;
        default: gemv_block<S, WT, 4, 2>(xm, K, w, c, ce, bias, ym, N); break;
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
