// ggml tensor type table (real ggml numbering): name, block size and bytes per block, used to size and
// name every tensor a GGUF file may hold. Pure data; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mms::gguf {

struct GgmlTypeTraits {
  std::string_view name;  // "F32", "Q4_K", ...
  int64_t block_size;     // elements per block (1 for plain types)
  int64_t type_size;      // bytes per block
};

// Traits of a ggml type id; nullopt for ids ggml never defined or has removed (4, 5, 31-33, 36-38).
std::optional<GgmlTypeTraits> ggml_type_traits(uint32_t ggml_type);

}  // namespace mms::gguf
