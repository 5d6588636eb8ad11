// AVX2 + FMA + F16C matmul: GEMV kernel for decode shapes, oneDNN sgemm (with F16C/shift conversion of
// weight panels) for prefill shapes.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "common/check.h"
#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"
#include "tensor/tensor.h"

// Everything below is compiled for AVX2; all shared headers are included above so that no inline or
// template function of theirs gets an AVX2 copy that the linker could pick for baseline code.
#pragma GCC target("avx2,fma,f16c")
#include "kernels/cpu/simd_avx2.h"
#include "kernels/cpu/gemv.h"

namespace mms::kernels::cpu::avx2 {

void gemv(const float* x, int64_t M, const Tensor& w, const float* bias, float* y) {
  cpu::gemv<Simd>(x, M, w, bias, y);
}

void convert_rows_to_f32(const Tensor& w, int64_t n0, int64_t rows, float* out) {
  const int64_t K = w.dim(1);
  switch (w.dtype) {
    case DType::kF32: convert_to_f32<DType::kF32>(w.data, n0 * K, rows * K, out); break;
    case DType::kF16: convert_to_f32<DType::kF16>(w.data, n0 * K, rows * K, out); break;
    case DType::kBF16: convert_to_f32<DType::kBF16>(w.data, n0 * K, rows * K, out); break;
    default: MMS_CHECK_MSG(false, "matmul: unsupported weight dtype");
  }
}

void matmul(const float* x, int64_t M, const Tensor& w, const float* bias, float* y) {
  MMS_CHECK_MSG(w.layout == Layout::kRowMajor, "matmul: this variant takes row-major weights");
  if (M <= kGemvMaxRows) {
    gemv(x, M, w, bias, y);
  } else {
    matmul_gemm_dnnl(x, M, w, bias, y, &convert_rows_to_f32, /*bf16_gemm=*/false);
  }
}

}  // namespace mms::kernels::cpu::avx2
