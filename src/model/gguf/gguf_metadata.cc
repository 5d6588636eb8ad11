#include "model/gguf/gguf_metadata.h"

#include <string>

namespace mms::gguf {
namespace {

constexpr int kMaxArrayDepth = 8;  // arrays of arrays nested deeper than this are rejected

std::string at(const ByteReader& r) { return " at offset " + std::to_string(r.pos()); }

// The fewest bytes one element of type `t` can occupy (bounds an element count against the bytes left).
size_t min_encoded_size(ValueType t) {
  if (t == ValueType::kString) return 8;           // u64 length
  if (t == ValueType::kArray) return 4 + 8;        // element type + count
  return value_type_size(t);
}

}  // namespace

size_t value_type_size(ValueType t) {
  switch (t) {
    case ValueType::kU8:
    case ValueType::kI8:
    case ValueType::kBool: return 1;
    case ValueType::kU16:
    case ValueType::kI16: return 2;
    case ValueType::kU32:
    case ValueType::kI32:
    case ValueType::kF32: return 4;
    case ValueType::kU64:
    case ValueType::kI64:
    case ValueType::kF64: return 8;
    case ValueType::kString:
    case ValueType::kArray: return 0;
  }
  return 0;
}

bool is_valid_value_type(uint32_t t) { return t <= static_cast<uint32_t>(ValueType::kF64); }

Status parse_value(ByteReader& r, ValueType t, int depth, GgufValue* out) {
  out->type = t;
  if (t == ValueType::kString) {
    if (!r.read_string(&out->str)) return out_of_range("truncated string" + at(r));
    return ok_status();
  }
  if (t != ValueType::kArray) {
    out->data = r.cursor();
    if (!r.skip(value_type_size(t))) {
      return out_of_range("truncated " + std::string(value_type_name(t)) + " value" + at(r));
    }
    return ok_status();
  }
  if (depth >= kMaxArrayDepth) return invalid_argument("arrays nested too deeply" + at(r));
  uint32_t et = 0;
  if (!r.read(&et)) return out_of_range("truncated array header" + at(r));
  if (!is_valid_value_type(et)) {
    return invalid_argument("array has invalid element type " + std::to_string(et) + at(r));
  }
  uint64_t n = 0;
  if (!r.read(&n)) return out_of_range("truncated array header" + at(r));
  const auto elem = static_cast<ValueType>(et);
  out->elem_type = elem;
  out->count = n;
  if (n > r.remaining() / min_encoded_size(elem)) {
    return out_of_range("array of " + std::to_string(n) + " " + std::string(value_type_name(elem)) +
                        " elements exceeds the " + std::to_string(r.remaining()) + " bytes left" + at(r));
  }
  if (elem == ValueType::kString) {
    out->strings.reserve(static_cast<size_t>(n));  // bounded by remaining / 8 above
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view s;
      if (!r.read_string(&s)) {
        return out_of_range("truncated string element " + std::to_string(i) + at(r));
      }
      out->strings.push_back(s);
    }
    return ok_status();
  }
  if (elem == ValueType::kArray) {
    for (uint64_t i = 0; i < n; ++i) {
      GgufValue inner;
      Status s = parse_value(r, ValueType::kArray, depth + 1, &inner);
      if (!s.ok()) return Status(s.code(), "element " + std::to_string(i) + ": " + s.message());
    }
    return ok_status();
  }
  out->data = r.cursor();
  r.skip(n * value_type_size(elem));  // fits: checked against remaining() above
  return ok_status();
}

}  // namespace mms::gguf
