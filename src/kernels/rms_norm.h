// RMSNorm: y[r,:] = x[r,:] / sqrt(mean(x[r,:]^2) + eps) * w[:]. x and y may alias. Runs on the pool.
#pragma once

#include <cstdint>

namespace mms::kernels {

void rms_norm(const float* x, const float* w, int64_t rows, int64_t dim, float eps, float* y);

namespace ref {
void rms_norm(const float* x, const float* w, int64_t rows, int64_t dim, float eps, float* y);
}  // namespace ref

}  // namespace mms::kernels
