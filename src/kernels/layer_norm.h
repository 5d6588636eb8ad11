// LayerNorm over the last dimension, as torch.nn.LayerNorm: y[r,:] = (x[r,:] - mean) / sqrt(var + eps) * w + b,
// var the biased (population) variance. b may be null (no bias). x and y may alias. Runs on the pool.
#pragma once

#include <cstdint>

namespace mms::kernels {

void layer_norm(const float* x, const float* w, const float* b, int64_t rows, int64_t dim, float eps, float* y);

namespace ref {
void layer_norm(const float* x, const float* w, const float* b, int64_t rows, int64_t dim, float eps, float* y);
}  // namespace ref

}  // namespace mms::kernels
