// Matrix multiply with a weight matrix in its stored dtype: y[M,N] = x[M,K] * W[N,K]^T (+ bias[N]).
// Activations and output are f32; W is f32, f16 or bf16 (a Linear's weight as stored, [out, in]);
// accumulation in f32. Runs on the compute pool (common/compute_pool.h). Thread-compatible: callers
// serialize calls that share `y`. Aborts (MMS_CHECK) on a dtype/shape the caller should have validated.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace mms::kernels {

// Best available implementation for this CPU (kernels/variants.h): small M (decode, <= 16 rows) streams the
// weights once GEMV-style; larger M (prefill) is GEMM-shaped (oneDNN on each compute thread).
void matmul(const float* x, int64_t M, const Tensor& w, const float* bias, float* y);

namespace ref {
void matmul(const float* x, int64_t M, const Tensor& w, const float* bias, float* y);
}  // namespace ref

}  // namespace mms::kernels
