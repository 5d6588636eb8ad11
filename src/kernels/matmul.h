// Matrix multiply with a weight matrix in its stored dtype: y[M,N] = x[M,K] * W[N,K]^T (+ bias[N]).
// Activations and output are f32; W is f32, f16 or bf16 (a Linear's weight as stored, [out, in]), row-major
// or in the layout prepare_weight() chose; accumulation in f32. Runs on the compute pool (common/compute_pool.h). Thread-compatible: callers
// serialize calls that share `y`. Aborts (MMS_CHECK) on a dtype/shape the caller should have validated.
#pragma once

#include <cstdint>

#include "tensor/host_buffer.h"
#include "tensor/tensor.h"

namespace mms::kernels {

// Best available implementation for this CPU (kernels/variants.h): small M (decode, <= 16 rows) streams the
// weights once GEMV-style; larger M (prefill) is GEMM-shaped (oneDNN on each compute thread).
void matmul(const float* x, int64_t M, const Tensor& w, const float* bias, float* y);

// A row-major weight rearranged once, at load, into the layout matmul() runs fastest with on this CPU:
// bf16 weights whose shape divides into 16x32 tiles become Layout::kTiles16x32 when the matmul variant in
// use takes that layout (AMX), copied into `storage`; anything else is returned unchanged (no copy).
// embedding() reads both layouts, so a tied embedding/LM-head matrix can be prepared once for both.
Tensor prepare_weight(const Tensor& w, HostBuffer& storage);

namespace ref {
void matmul(const float* x, int64_t M, const Tensor& w, const float* bias, float* y);
// Copies row-major [N, K] `w` into `out` (w.nbytes()) in Layout::kTiles16x32 (N % 16 == 0, K % 32 == 0).
Tensor to_tiles(const Tensor& w, void* out);
}  // namespace ref

}  // namespace mms::kernels
