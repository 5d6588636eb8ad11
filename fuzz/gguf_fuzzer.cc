// libFuzzer target: GgufFile::parse on arbitrary bytes, then every getter on every key, every tensor
// view (first and last byte touched, so ASan sees any out-of-bounds view), the config and the weight store.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "model/decoder_tensor_specs.h"
#include "model/gguf/gguf_file.h"
#include "model/gguf/gguf_weight_store.h"
#include "model/model_config.h"

namespace {

volatile uint8_t g_sink;

void touch(const void* data, size_t nbytes) {
  if (nbytes == 0) return;
  const auto* p = static_cast<const uint8_t*>(data);
  g_sink = p[0];
  g_sink = p[nbytes - 1];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mms;
  auto parsed = gguf::GgufFile::parse(std::span<const uint8_t>(data, size), "fuzz.gguf");
  if (!parsed.ok()) return 0;
  std::shared_ptr<const gguf::GgufFile> file = std::move(*parsed);
  for (const std::string& key : file->keys()) {
    (void)file->type_of(key);
    (void)file->array_type_of(key);
    (void)file->array_length(key);
    (void)file->get_int(key);
    (void)file->get_float(key);
    (void)file->get_bool(key);
    if (auto s = file->get_string(key); s.ok()) touch(s->data(), s->size());
    if (auto a = file->get_string_array(key); a.ok()) {
      for (std::string_view s : *a) touch(s.data(), s.size());
    }
    (void)file->get_int_array(key);
    (void)file->get_float_array(key);
  }
  for (const gguf::TensorInfo& t : file->tensors()) {
    touch(t.data, t.nbytes);
    if (auto v = t.tensor(); v.ok()) touch(v->data, v->nbytes());
  }
  auto config = config_from_gguf(*file);
  gguf::GgufWeightStore store(file);
  for (const std::string& name : store.names()) {
    if (auto t = store.get(name); t.ok()) touch(t->data, t->nbytes());
  }
  if (config.ok()) (void)validate_decoder_weights(store, *config);
  return 0;
}
