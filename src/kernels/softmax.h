// Numerically stable softmax over each row of x[rows, cols], in place.
#pragma once

#include <cstdint>

namespace mms::kernels {

void softmax(float* x, int64_t rows, int64_t cols);

namespace ref {
void softmax(float* x, int64_t rows, int64_t cols);
}  // namespace ref

}  // namespace mms::kernels
