// Internal to the GGUF reader: how parsed metadata values are stored (views into the file bytes) and the
// parser for one value. Immutable after parsing; thread-safe for reads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "model/gguf/byte_reader.h"
#include "model/gguf/gguf_file.h"

namespace mms::gguf {

struct GgufValue {
  ValueType type = ValueType::kU8;
  const uint8_t* data = nullptr;  // scalar: its bytes; fixed-size array: the first element
  std::string_view str;           // kString
  ValueType elem_type = ValueType::kU8;  // kArray
  uint64_t count = 0;                    // kArray: number of elements
  std::vector<std::string_view> strings;  // kArray of kString: views into the file
};

// Size in bytes of a fixed-size value type; 0 for string and array.
size_t value_type_size(ValueType t);
bool is_valid_value_type(uint32_t t);

// Parses one value of type `t` at the reader's cursor. Arrays of arrays are validated and skipped
// (count and element type kept, contents not). Errors are plain messages; the caller adds file and key.
Status parse_value(ByteReader& r, ValueType t, int depth, GgufValue* out);

struct GgufFile::Impl {
  std::vector<std::pair<std::string_view, GgufValue>> kvs;  // file order; keys view into the file
  std::unordered_map<std::string_view, size_t> key_index;
  std::unordered_map<std::string_view, size_t> tensor_index;  // views into tensors_[i].name
};

}  // namespace mms::gguf
