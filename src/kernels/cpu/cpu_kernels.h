// Fast CPU implementations of the ops in kernels/<op>.h, one namespace per ISA. Internal to kernels/:
// dispatch.cc lists them in the variant registry (kernels/variants.h); nothing else calls them directly.
// Each has exactly the contract of its ref:: counterpart; the caller checks the CPU first.
#pragma once

#include <cstdint>

#include "kernels/attention.h"
#include "kernels/rope.h"
#include "kernels/varlen_attention.h"
#include "tensor/tensor.h"

namespace mms::kernels::cpu {

// Converts rows [n0, n0 + rows) of a 2-D f16/bf16 weight to f32 (out is [rows, K]).
using ConvertRowsFn = void (*)(const Tensor& w, int64_t n0, int64_t rows, float* out);

// Prefill-shaped matmul through oneDNN, called single-threaded on each compute thread for a slice of N.
// f32 weights: dnnl_sgemm. f16/bf16: panels of W converted by `convert` to f32, then dnnl_sgemm; with
// bf16_gemm and bf16 weights, x is rounded to bf16 once and dnnl_gemm_bf16bf16f32 (AMX) runs instead.
void matmul_gemm_dnnl(const float* x, int64_t M, const Tensor& w, const float* bias, float* y,
                      ConvertRowsFn convert, bool bf16_gemm);

// Generic C++ (no ISA requirement beyond the baseline).
// x[0, n) rounded to bf16 bits, into a buffer owned by the calling thread (valid until its next call): the
// activations of the bf16-product matmuls, converted once per call and read by every compute thread.
const uint16_t* round_to_bf16(const float* x, int64_t n);
void write_kv(const float* k, const float* v, const int32_t* slot_mapping, int64_t T, const PagedKvLayer& kv);

namespace avx2 {  // AVX2 + FMA + F16C
// M <= kGemvMaxRows streams W once (GEMV); larger M goes to matmul_gemm_dnnl.
void matmul(const float* x, int64_t M, const Tensor& w, const float* bias, float* y);
void gemv(const float* x, int64_t M, const Tensor& w, const float* bias, float* y);
void convert_rows_to_f32(const Tensor& w, int64_t n0, int64_t rows, float* out);
void rms_norm(const float* x, const float* w, int64_t rows, int64_t dim, float eps, float* y);
void rope(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions, const float* inv_freq,
          RopePairing pairing);
void rope_multi(float* x, int64_t T, int64_t n_heads, int64_t head_dim, const int32_t* positions,
                MropeSections sections, const float* inv_freq, RopePairing pairing);
void silu_mul(const float* gate, const float* up, int64_t n, float* out);
void add(const float* a, const float* b, int64_t n, float* y);
void softmax(float* x, int64_t rows, int64_t cols);
void embedding(const Tensor& table, const int32_t* ids, int64_t n, float* out);
void paged_attention(const float* q, const PagedKvLayer& kv, const AttentionMetadata& md, int32_t n_heads,
                     float scale, float* out);
// Vision-tower ops.
void layer_norm(const float* x, const float* w, const float* b, int64_t rows, int64_t dim, float eps, float* y);
void gelu(const float* x, int64_t n, float* out);
void quick_gelu(const float* x, int64_t n, float* out);
void rope_table(float* x, int64_t T, int64_t n_heads, int64_t head_dim, int64_t row_stride, const float* cos,
                const float* sin);
void varlen_attention(const VarlenAttentionArgs& args);  // oneDNN sgemm + AVX2 softmax
}  // namespace avx2

namespace avx512 {  // AVX-512 F/BW/VL + FMA + F16C
void matmul(const float* x, int64_t M, const Tensor& w, const float* bias, float* y);
// Same, but bf16 weights go through bf16 products: tiled weights (prepare_weight) through
// matmul_amx_tiles; row-major ones at decode batches (2 <= M <= kGemvMaxRows) through gemv_bf16_dp,
// prefill shapes through dnnl_gemm_bf16bf16f32 (AMX where usable, avx512_core_bf16 otherwise). Both the
// amx_bf16 variant (Sapphire Rapids: weights tiled) and the avx512_bf16 one (AVX512-BF16 without usable
// AMX, e.g. Zen 4: weights stay row-major) run it.
void matmul_bf16(const float* x, int64_t M, const Tensor& w, const float* bias, float* y);
// bf16 weights only, needs AVX512-BF16: x rounded to bf16, vdpbf16ps products, f32 sums (gemv_avx512_bf16.cc).
void gemv_bf16_dp(const float* x, int64_t M, const Tensor& w, const float* bias, float* y);
// bf16 weights in Layout::kTiles16x32 only, needs usable AMX: M >= 2 through AMX tiles (x rounded to
// bf16), M == 1 in exact f32 (matmul_amx_tiles.cc).
void matmul_amx_tiles(const float* x, int64_t M, const Tensor& w, const float* bias, float* y);
void paged_attention(const float* q, const PagedKvLayer& kv, const AttentionMetadata& md, int32_t n_heads,
                     float scale, float* out);
}  // namespace avx512

// Row-major [N, K] -> Layout::kTiles16x32 in `out` (w.nbytes()); N % 16 == 0, K % 32 == 0 (tiles.cc).
Tensor to_tiles(const Tensor& w, void* out);

// Largest M that the GEMV path takes: on Zen 3 (one core, N = 4864, K = 896) GEMV beats oneDNN's sgemm up
// to M = 12, ties at 16 and loses from 24-32 on (BM_Gemv_* vs BM_Gemm_* in bench/kernels_bench.cc). The
// AVX512-BF16 GEMV against oneDNN's bf16 GEMM on an AMD EPYC without AMX (2 vCPUs, 2026-12-07): faster at
// M = 8, tied at 12-16, slower at 24 (BM_Bf16Matmul/{dp,dnnl}).
inline constexpr int64_t kGemvMaxRows = 16;

}  // namespace mms::kernels::cpu
