#include "model/gguf/gguf_weight_store.h"

#include "model/gguf/gguf_tensor_names.h"

namespace mms::gguf {

GgufWeightStore::GgufWeightStore(std::shared_ptr<const GgufFile> file) : file_(std::move(file)) {}

const TensorInfo* GgufWeightStore::lookup(std::string_view name, std::string* gguf_name) const {
  std::optional<std::string> translated = hf_to_gguf_name(name);
  *gguf_name = translated ? *translated : std::string(name);
  // A GGUF name that has a canonical one is reachable only by the canonical name, so names() is exact.
  if (!translated && gguf_to_hf_name(name)) return nullptr;
  return file_->find_tensor(*gguf_name);
}

StatusOr<Tensor> GgufWeightStore::get(std::string_view name) const {
  std::string gguf_name;
  const TensorInfo* t = lookup(name, &gguf_name);
  if (t == nullptr) {
    std::string msg = file_->path() + ": no tensor '" + std::string(name) + "'";
    if (gguf_name != name) msg += " (GGUF name '" + gguf_name + "')";
    return not_found(msg);
  }
  auto tensor = t->tensor();
  if (!tensor.ok()) return tensor.status().with_context(file_->path());
  return tensor;
}

bool GgufWeightStore::has(std::string_view name) const {
  std::string gguf_name;
  return lookup(name, &gguf_name) != nullptr;
}

std::vector<std::string> GgufWeightStore::names() const {
  std::vector<std::string> out;
  out.reserve(file_->tensors().size());
  for (const TensorInfo& t : file_->tensors()) {
    std::optional<std::string> hf = gguf_to_hf_name(t.name);
    out.push_back(hf ? *hf : t.name);
  }
  return out;
}

}  // namespace mms::gguf
