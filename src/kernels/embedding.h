// Embedding lookup: out[i, :] = table[ids[i], :] as f32. table is [vocab, hidden] in f32/f16/bf16, row-major
// or (a table shared with the LM head, prepared by kernels::prepare_weight) in Layout::kTiles16x32.
// Ids must be in range (the caller validated them).
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace mms::kernels {

void embedding(const Tensor& table, const int32_t* ids, int64_t n, float* out);

namespace ref {
void embedding(const Tensor& table, const int32_t* ids, int64_t n, float* out);
}  // namespace ref

}  // namespace mms::kernels
