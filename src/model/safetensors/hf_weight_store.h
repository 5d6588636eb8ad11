// HfWeightStore: a WeightStore over a Hugging Face checkpoint directory's safetensors: one
// model.safetensors, or shards listed by model.safetensors.index.json (weight_map), or, with no index,
// every *.safetensors in the directory. All files stay mapped; tensors are views into them.
// Immutable after open(); thread-safe for reads.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/safetensors/safetensors_file.h"
#include "model/weight_store.h"

namespace mms::safetensors {

class HfWeightStore : public WeightStore {
 public:
  // Errors: NotFound when the directory holds no safetensors (or a shard/tensor the index names is
  // missing), the files' own parse errors, InvalidArgument for a bad index or a tensor in two files.
  static StatusOr<std::unique_ptr<HfWeightStore>> open(const std::string& dir);
  // Over files already opened (e.g. for tests); a name found in two files is an error.
  static StatusOr<std::unique_ptr<HfWeightStore>> from_files(std::string source,
                                                             std::vector<std::unique_ptr<SafetensorsFile>> files);

  StatusOr<Tensor> get(std::string_view name) const override;
  bool has(std::string_view name) const override;
  std::vector<std::string> names() const override;
  std::string source() const override { return source_; }

 private:
  struct Ref {
    const SafetensorsFile* file;
    const TensorEntry* entry;
  };
  HfWeightStore() = default;
  Status add(const SafetensorsFile& file, const TensorEntry& entry);

  std::string source_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::unordered_map<std::string, Ref> index_;  // canonical name -> where it lives
  std::vector<std::string> names_;              // insertion order
};

// "model.language_model.layers.0..." (newer transformers' VLM layout) -> "model.layers.0..."; other
// names unchanged.
std::string canonical_tensor_name(std::string_view stored_name);

}  // namespace mms::safetensors
