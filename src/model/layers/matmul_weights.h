// MatmulWeights: Linear weights looked up by name and prepared once at load for kernels::matmul
// (kernels::prepare_weight: the AMX tile layout for bf16 weights on CPUs with AMX, the stored array
// itself otherwise). Owns the rearranged copies. Not thread-safe to add to; the Tensors it returns are
// read-only and safe to use from any thread.
#pragma once

#include <deque>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "model/weight_store.h"
#include "tensor/host_buffer.h"

namespace mms {

class MatmulWeights {
 public:
  // get_weight (shape checked) + prepare.
  StatusOr<Tensor> get(const WeightStore& store, std::string_view name, const Shape& expected);
  Tensor prepare(const Tensor& w);
  // The named weights (same dtype and column count, each shape checked) stacked by rows into one
  // [sum of rows, K] matrix, then prepared: one matmul computes all their outputs side by side (a fused
  // QKV projection). An error names the tensor whose dtype differs from the first one's.
  StatusOr<Tensor> get_stacked(const WeightStore& store, std::span<const std::string> names,
                               std::span<const Shape> expected);

 private:
  std::deque<HostBuffer> owned_;
};

}  // namespace mms
