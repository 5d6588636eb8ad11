// GgufWeightStore: a WeightStore over one GGUF file. Answers canonical (HF) names by translating them
// (gguf_tensor_names.h); names without a counterpart (rope_freqs.weight, vision tensors) are reachable by
// their GGUF names. Tensors are views into the file's mapping. Immutable; thread-safe for reads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model/gguf/gguf_file.h"
#include "model/weight_store.h"

namespace mms::gguf {

class GgufWeightStore : public WeightStore {
 public:
  explicit GgufWeightStore(std::shared_ptr<const GgufFile> file);

  // NotFound naming the file, the canonical and the GGUF name; Unimplemented for quantized tensors.
  StatusOr<Tensor> get(std::string_view name) const override;
  bool has(std::string_view name) const override;
  std::vector<std::string> names() const override;  // canonical names where they exist, else GGUF names
  std::string source() const override { return file_->path(); }
  const GgufFile& file() const { return *file_; }

 private:
  const TensorInfo* lookup(std::string_view name, std::string* gguf_name) const;
  std::shared_ptr<const GgufFile> file_;
};

}  // namespace mms::gguf
