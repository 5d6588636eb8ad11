// Elementwise activations. Outputs may alias inputs. Run on the pool for large n.
#pragma once

#include <cstdint>

namespace mms::kernels {

// SwiGLU's gate: out[i] = silu(gate[i]) * up[i], silu(x) = x / (1 + exp(-x)).
void silu_mul(const float* gate, const float* up, int64_t n, float* out);
// y[i] = a[i] + b[i]
void add(const float* a, const float* b, int64_t n, float* y);

namespace ref {
void silu_mul(const float* gate, const float* up, int64_t n, float* out);
void add(const float* a, const float* b, int64_t n, float* y);
}  // namespace ref

}  // namespace mms::kernels
