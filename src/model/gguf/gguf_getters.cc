// Typed access to GGUF metadata values. See gguf_file.h.
#include <charconv>
#include <cstring>
#include <limits>
#include <string>

#include "model/gguf/gguf_file.h"
#include "model/gguf/gguf_metadata.h"

namespace mms::gguf {
namespace {

bool is_int_type(ValueType t) {
  switch (t) {
    case ValueType::kU8: case ValueType::kI8: case ValueType::kU16: case ValueType::kI16:
    case ValueType::kU32: case ValueType::kI32: case ValueType::kU64: case ValueType::kI64:
      return true;
    default:
      return false;
  }
}
bool is_float_type(ValueType t) { return t == ValueType::kF32 || t == ValueType::kF64; }

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Decodes one integer of type t at p; false if it does not fit int64 (a u64 above INT64_MAX).
bool decode_int(ValueType t, const uint8_t* p, int64_t* out) {
  switch (t) {
    case ValueType::kU8: *out = load<uint8_t>(p); return true;
    case ValueType::kI8: *out = load<int8_t>(p); return true;
    case ValueType::kU16: *out = load<uint16_t>(p); return true;
    case ValueType::kI16: *out = load<int16_t>(p); return true;
    case ValueType::kU32: *out = load<uint32_t>(p); return true;
    case ValueType::kI32: *out = load<int32_t>(p); return true;
    case ValueType::kI64: *out = load<int64_t>(p); return true;
    case ValueType::kU64: {
      uint64_t u = load<uint64_t>(p);
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
      *out = static_cast<int64_t>(u);
      return true;
    }
    default: return false;
  }
}

// An f32 becomes the double of its shortest round-trip decimal form, so the 1e-6 a converter stored
// as f32 reads back as 1e-6 (the value a config.json holds), not 9.99999997e-07.
double f32_to_decimal_double(float f) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof(buf), f);
  if (res.ec != std::errc()) return f;
  double d = f;
  auto parsed = std::from_chars(buf, res.ptr, d);
  if (parsed.ec != std::errc()) return f;
  return d;
}

double decode_float(ValueType t, const uint8_t* p) {
  return t == ValueType::kF32 ? f32_to_decimal_double(load<float>(p)) : load<double>(p);
}

}  // namespace

bool GgufFile::has(std::string_view key) const { return impl_->key_index.count(key) != 0; }

std::optional<ValueType> GgufFile::type_of(std::string_view key) const {
  auto it = impl_->key_index.find(key);
  if (it == impl_->key_index.end()) return std::nullopt;
  return impl_->kvs[it->second].second.type;
}

std::optional<ValueType> GgufFile::array_type_of(std::string_view key) const {
  auto it = impl_->key_index.find(key);
  if (it == impl_->key_index.end()) return std::nullopt;
  const GgufValue& v = impl_->kvs[it->second].second;
  if (v.type != ValueType::kArray) return std::nullopt;
  return v.elem_type;
}

std::optional<uint64_t> GgufFile::array_length(std::string_view key) const {
  auto it = impl_->key_index.find(key);
  if (it == impl_->key_index.end()) return std::nullopt;
  const GgufValue& v = impl_->kvs[it->second].second;
  if (v.type != ValueType::kArray) return std::nullopt;
  return v.count;
}

std::vector<std::string> GgufFile::keys() const {
  std::vector<std::string> out;
  out.reserve(impl_->kvs.size());
  for (const auto& kv : impl_->kvs) out.emplace_back(kv.first);
  return out;
}

namespace {

struct Lookup {
  const GgufValue* value = nullptr;
  Status status;
};

Lookup find(const GgufFile::Impl& impl, const std::string& file, std::string_view key) {
  auto it = impl.key_index.find(key);
  if (it == impl.key_index.end()) return {nullptr, not_found(file + ": key '" + std::string(key) + "' not found")};
  return {&impl.kvs[it->second].second, ok_status()};
}

Status wrong_type(const std::string& file, std::string_view key, const GgufValue& v, std::string_view want) {
  std::string have(value_type_name(v.type));
  if (v.type == ValueType::kArray) have += " of " + std::string(value_type_name(v.elem_type));
  return invalid_argument(file + ": key '" + std::string(key) + "' has type " + have + ", expected " +
                          std::string(want));
}

}  // namespace

StatusOr<int64_t> GgufFile::get_int(std::string_view key) const {
  Lookup l = find(*impl_, name_, key);
  if (!l.value) return l.status;
  if (!is_int_type(l.value->type)) return wrong_type(name_, key, *l.value, "an integer");
  int64_t out = 0;
  if (!decode_int(l.value->type, l.value->data, &out)) {
    return invalid_argument(name_ + ": key '" + std::string(key) + "' does not fit in int64");
  }
  return out;
}

StatusOr<double> GgufFile::get_float(std::string_view key) const {
  Lookup l = find(*impl_, name_, key);
  if (!l.value) return l.status;
  if (!is_float_type(l.value->type)) return wrong_type(name_, key, *l.value, "f32 or f64");
  return decode_float(l.value->type, l.value->data);
}

StatusOr<bool> GgufFile::get_bool(std::string_view key) const {
  Lookup l = find(*impl_, name_, key);
  if (!l.value) return l.status;
  if (l.value->type != ValueType::kBool) return wrong_type(name_, key, *l.value, "bool");
  return *l.value->data != 0;
}

StatusOr<std::string_view> GgufFile::get_string(std::string_view key) const {
  Lookup l = find(*impl_, name_, key);
  if (!l.value) return l.status;
  if (l.value->type != ValueType::kString) return wrong_type(name_, key, *l.value, "string");
  return l.value->str;
}

StatusOr<std::vector<std::string_view>> GgufFile::get_string_array(std::string_view key) const {
  Lookup l = find(*impl_, name_, key);
  if (!l.value) return l.status;
  if (l.value->type != ValueType::kArray || l.value->elem_type != ValueType::kString) {
    return wrong_type(name_, key, *l.value, "array of string");
  }
  return l.value->strings;
}

StatusOr<std::vector<int64_t>> GgufFile::get_int_array(std::string_view key) const {
  Lookup l = find(*impl_, name_, key);
  if (!l.value) return l.status;
  const GgufValue& v = *l.value;
  if (v.type != ValueType::kArray || !is_int_type(v.elem_type)) {
    return wrong_type(name_, key, v, "array of integers");
  }
  const size_t es = value_type_size(v.elem_type);
  std::vector<int64_t> out(static_cast<size_t>(v.count));  // count was bounded by the file size
  for (size_t i = 0; i < out.size(); ++i) {
    if (!decode_int(v.elem_type, v.data + i * es, &out[i])) {
      return invalid_argument(name_ + ": key '" + std::string(key) + "' element " + std::to_string(i) +
                              " does not fit in int64");
    }
  }
  return out;
}

StatusOr<std::vector<double>> GgufFile::get_float_array(std::string_view key) const {
  Lookup l = find(*impl_, name_, key);
  if (!l.value) return l.status;
  const GgufValue& v = *l.value;
  if (v.type != ValueType::kArray || !is_float_type(v.elem_type)) {
    return wrong_type(name_, key, v, "array of f32 or f64");
  }
  const size_t es = value_type_size(v.elem_type);
  std::vector<double> out(static_cast<size_t>(v.count));
  for (size_t i = 0; i < out.size(); ++i) out[i] = decode_float(v.elem_type, v.data + i * es);
  return out;
}

StatusOr<int64_t> GgufFile::get_int_or(std::string_view key, int64_t dflt) const {
  if (!has(key)) return dflt;
  return get_int(key);
}

StatusOr<double> GgufFile::get_float_or(std::string_view key, double dflt) const {
  if (!has(key)) return dflt;
  return get_float(key);
}

}  // namespace mms::gguf
