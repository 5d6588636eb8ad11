// AVX-512 matmul for Xeons: the GEMV kernel on 16-wide vectors for decode shapes; prefill shapes go to
// oneDNN (sgemm on f32 panels, or dnnl_gemm_bf16bf16f32 on AMX for bf16 weights in the amx_bf16 variant).
// Compiles everywhere; only runs where cpu_features() reports AVX-512 F/BW/VL (and AMX for amx_bf16).
// GCC 12 warns about its own AVX-512 intrinsics (the _mm512_undefined_* they use internally, PR 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "common/check.h"
#include "common/cpu_features.h"
#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"
#include "tensor/tensor.h"

// Everything below is compiled for AVX-512 (see matmul_avx2.cc for why the includes come first).
#pragma GCC target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")

namespace mms::kernels::cpu::avx512 {
namespace {

struct Simd {
  using V = __m512;
  static constexpr int kWidth = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  template <DType T>
  static V load_as_f32(const void* base, int64_t i) {
    if constexpr (T == DType::kF32) {
      return _mm512_loadu_ps(static_cast<const float*>(base) + i);
    } else {
      const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(base) + i));
      if constexpr (T == DType::kF16) return _mm512_cvtph_ps(h);
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
  }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static float reduce(V v) { return _mm512_reduce_add_ps(v); }
  template <DType T>
  static float load1(const void* base, int64_t i) {
    if constexpr (T == DType::kF32) return static_cast<const float*>(base)[i];
    if constexpr (T == DType::kF16) return f16_to_f32(static_cast<const uint16_t*>(base)[i]);
    return bf16_to_f32(static_cast<const uint16_t*>(base)[i]);
  }
};

}  // namespace
}  // namespace mms::kernels::cpu::avx512

#include "kernels/cpu/gemv.h"

namespace mms::kernels::cpu::avx512 {

void matmul(const float* x, int64_t M, const Tensor& w, const float* bias, float* y) {
  MMS_CHECK_MSG(w.layout == Layout::kRowMajor, "matmul: this variant takes row-major weights");
  if (M <= kGemvMaxRows) {
    cpu::gemv<Simd>(x, M, w, bias, y);
  } else {
    matmul_gemm_dnnl(x, M, w, bias, y, &avx2::convert_rows_to_f32, /*bf16_gemm=*/false);
  }
}

void matmul_bf16(const float* x, int64_t M, const Tensor& w, const float* bias, float* y) {
  static const bool dp = cpu_features().avx512_bf16;
  if (w.layout == Layout::kTiles16x32) {
    matmul_amx_tiles(x, M, w, bias, y);
  } else if (dp && w.dtype == DType::kBF16 && M >= 2 && M <= kGemvMaxRows) {
    gemv_bf16_dp(x, M, w, bias, y);
  } else if (M <= kGemvMaxRows) {
    cpu::gemv<Simd>(x, M, w, bias, y);
  } else {
    matmul_gemm_dnnl(x, M, w, bias, y, &avx2::convert_rows_to_f32, /*bf16_gemm=*/true);
  }
}

}  // namespace mms::kernels::cpu::avx512
