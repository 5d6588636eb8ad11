// libFuzzer target: SafetensorsFile::parse on arbitrary bytes, then every tensor view (first and last
// byte touched, so ASan sees any out-of-bounds view).
#include <cstddef>
#include <cstdint>
#include <span>

#include "model/safetensors/safetensors_file.h"

namespace {
volatile uint8_t g_sink;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mms;
  auto f = safetensors::SafetensorsFile::parse(std::span<const uint8_t>(data, size), "fuzz.safetensors");
  if (!f.ok()) return 0;
  for (const safetensors::TensorEntry& e : (*f)->tensors()) {
    if (e.end > e.begin) {
      g_sink = e.data[0];
      g_sink = e.data[e.end - e.begin - 1];
    }
    auto t = (*f)->get(e.name);
    if (t.ok() && t->nbytes() > 0) g_sink = static_cast<const uint8_t*>(t->data)[t->nbytes() - 1];
  }
  return 0;
}
