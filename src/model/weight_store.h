// WeightStore: tensors looked up by their canonical (Hugging Face) names, e.g.
// "model.layers.0.self_attn.q_proj.weight", whatever the file format. Backed by memory-mapped
// safetensors shards, a GGUF file (names translated), or random "dummy" weights. Immutable after
// construction; thread-safe for concurrent reads. Owns the mappings/buffers the Tensors point into.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tensor/tensor.h"

namespace mms {

class WeightStore {
 public:
  virtual ~WeightStore() = default;
  // NotFound naming the tensor and source() when absent.
  virtual StatusOr<Tensor> get(std::string_view name) const = 0;
  virtual bool has(std::string_view name) const = 0;
  // All canonical names (for diagnostics and "unused tensor" checks).
  virtual std::vector<std::string> names() const = 0;
  // Where the weights came from, for messages: a file, a directory, "dummy".
  virtual std::string source() const = 0;
};

// get() plus a shape check: InvalidArgument "<source>: tensor '<name>' has shape [a, b], expected [c, d]".
StatusOr<Tensor> get_weight(const WeightStore& store, std::string_view name, const Shape& expected);

}  // namespace mms
