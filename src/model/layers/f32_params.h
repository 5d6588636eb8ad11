// F32Params: small parameter tensors (norm weights, biases) as f32, converted once at load when stored as
// f16/bf16 and used in place when already f32. Owns the converted copies. Not thread-safe to add to;
// reads are thread-safe.
#pragma once

#include <deque>
#include <string_view>

#include "common/status.h"
#include "model/weight_store.h"
#include "tensor/host_buffer.h"

namespace mms {

class F32Params {
 public:
  // Returns a pointer to `numel` f32 values of tensor `name` (shape checked: 1-D [numel]).
  StatusOr<const float*> get(const WeightStore& store, std::string_view name, int64_t numel);

 private:
  std::deque<HostBuffer> owned_;
};

}  // namespace mms
