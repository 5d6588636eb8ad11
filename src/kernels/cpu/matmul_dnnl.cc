// Prefill-shaped matmul on oneDNN's GEMM, one single-threaded call per compute thread (DESIGN.md: GEMM
// libraries never start their own pool). oneDNN is built on OpenMP like the compute pool; inside our
// parallel region it sees omp_in_parallel() and runs on the calling thread (tests check no thread appears).
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <vector>

#include "common/check.h"
#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"

// Exported by libdnnl 2.6 but missing from its header. Row-major, as dnnl_sgemm; A and B are bf16 bits.
extern "C" dnnl_status_t dnnl_gemm_bf16bf16f32(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K,
                                               float alpha, const uint16_t* A, dnnl_dim_t lda, const uint16_t* B,
                                               dnnl_dim_t ldb, float beta, float* C, dnnl_dim_t ldc);

namespace mms::kernels::cpu {
namespace {

// Columns [n0, n0 + n) of y[M, N] = x[M, K] * Wp^T, Wp = rows n0.. of W as f32 with row stride K.
void sgemm_slice(const float* x, int64_t M, int64_t K, const float* wp, int64_t n0, int64_t n, float* y, int64_t N) {
  const dnnl_status_t st = dnnl_sgemm('N', 'T', M, n, K, 1.f, x, K, wp, K, 0.f, y + n0, N);
  MMS_CHECK_MSG(st == dnnl_success, "dnnl_sgemm failed");
}

void add_bias(const float* bias, int64_t M, int64_t n0, int64_t n1, float* y, int64_t N) {
  if (!bias) return;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t j = n0; j < n1; ++j) y[m * N + j] += bias[j];
}

// W rows per converted f32 panel: about 4 MiB (L3-resident), at least 64 rows so that oneDNN's repacking
// of x for each panel stays small next to the panel's FLOPs.
int64_t panel_rows(int64_t K) {
  const int64_t rows = (int64_t{4} << 20) / (4 * std::max<int64_t>(K, 1));
  return std::clamp<int64_t>(rows / 16 * 16, 64, 512);
}

// Splits N over the pool in multiples of 16 columns (oneDNN's f32 microkernel width on AVX-512).
template <typename Fn>
void for_each_n_slice(int64_t N, Fn&& fn) {
  const int64_t units = (N + 15) / 16;
  parallel_for(units, 1, [&](int64_t ub, int64_t ue) { fn(ub * 16, std::min(ue * 16, N)); });
}

}  // namespace

const uint16_t* round_to_bf16(const float* x, int64_t n) {
  thread_local std::vector<uint16_t> storage;
  storage.resize(static_cast<size_t>(n));
  uint16_t* xb = storage.data();
  parallel_for(n, 4096, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) xb[i] = f32_to_bf16(x[i]);
  });
  return xb;
}

void matmul_gemm_dnnl(const float* x, int64_t M, const Tensor& w, const float* bias, float* y,
                      ConvertRowsFn convert, bool bf16_gemm) {
  MMS_CHECK(w.ndim() == 2);
  const int64_t N = w.dim(0);
  const int64_t K = w.dim(1);
  if (w.dtype == DType::kF32) {
    for_each_n_slice(N, [&](int64_t n0, int64_t n1) {
      sgemm_slice(x, M, K, w.as<float>() + n0 * K, n0, n1 - n0, y, N);
      add_bias(bias, M, n0, n1, y, N);
    });
    return;
  }
  if (bf16_gemm && w.dtype == DType::kBF16) {
    const uint16_t* xb = round_to_bf16(x, M * K);
    for_each_n_slice(N, [&](int64_t n0, int64_t n1) {
      const dnnl_status_t st = dnnl_gemm_bf16bf16f32('N', 'T', M, n1 - n0, K, 1.f, xb, K,
                                                     w.as<uint16_t>() + n0 * K, K, 0.f, y + n0, N);
      MMS_CHECK_MSG(st == dnnl_success, "dnnl_gemm_bf16bf16f32 failed");
      add_bias(bias, M, n0, n1, y, N);
    });
    return;
  }
  MMS_CHECK_MSG(w.dtype == DType::kF16 || w.dtype == DType::kBF16, "matmul: unsupported weight dtype");
  const int64_t rows = panel_rows(K);
  for_each_n_slice(N, [&](int64_t n0, int64_t n1) {
    thread_local std::vector<float> panel;  // per compute thread, reused across calls
    panel.resize(static_cast<size_t>(std::min(rows, n1 - n0) * K));
    for (int64_t p = n0; p < n1; p += rows) {
      const int64_t n = std::min(rows, n1 - p);
      convert(w, p, n, panel.data());
      sgemm_slice(x, M, K, panel.data(), p, n, y, N);
    }
    add_bias(bias, M, n0, n1, y, N);
  });
}

}  // namespace mms::kernels::cpu
