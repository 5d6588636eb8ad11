// GgufWriter: builds small GGUF files in memory for tests and fuzz seeds (little-endian, v2/v3, every
// metadata type, arrays incl. arrays of arrays, tensors placed at the file's alignment). Header-only so
// both the test executables and the fuzz seed generator can use it. Not thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace mms::testing {

class GgufWriter {
 public:
  // GGUF value type ids (gguf_type).
  enum Type : uint32_t { kU8 = 0, kI8, kU16, kI16, kU32, kI32, kF32, kBool, kString, kArray, kU64, kI64, kF64 };

  explicit GgufWriter(uint32_t version = 3, uint32_t alignment = 32) : version_(version), alignment_(alignment) {
    if (alignment != 32) add_scalar<uint32_t>("general.alignment", kU32, alignment);
  }

  template <typename T>
  void add_scalar(std::string_view key, Type type, T v) {
    begin_kv(key, type);
    put(&kv_, v);
  }
  void add_string(std::string_view key, std::string_view s) {
    begin_kv(key, kString);
    put_string(&kv_, s);
  }
  template <typename T>
  void add_array(std::string_view key, Type elem, const std::vector<T>& vs) {
    begin_kv(key, kArray);
    put<uint32_t>(&kv_, elem);
    put<uint64_t>(&kv_, vs.size());
    for (const T& v : vs) put(&kv_, v);
  }
  void add_string_array(std::string_view key, const std::vector<std::string>& vs) {
    begin_kv(key, kArray);
    put<uint32_t>(&kv_, kString);
    put<uint64_t>(&kv_, vs.size());
    for (const auto& s : vs) put_string(&kv_, s);
  }
  // An array of arrays of u32 (the element arrays may differ in length).
  void add_nested_u32_array(std::string_view key, const std::vector<std::vector<uint32_t>>& vs) {
    begin_kv(key, kArray);
    put<uint32_t>(&kv_, kArray);
    put<uint64_t>(&kv_, vs.size());
    for (const auto& inner : vs) {
      put<uint32_t>(&kv_, kU32);
      put<uint64_t>(&kv_, inner.size());
      for (uint32_t v : inner) put(&kv_, v);
    }
  }
  // A key with hand-encoded value bytes (for corrupt inputs).
  void add_raw(std::string_view key, uint32_t type, const std::vector<uint8_t>& value_bytes) {
    begin_kv(key, static_cast<Type>(type));
    kv_.insert(kv_.end(), value_bytes.begin(), value_bytes.end());
  }

  // ne in ggml order (ne[0] innermost). `data` is written as given (its size is not checked).
  void add_tensor(std::string name, uint32_t ggml_type, std::vector<uint64_t> ne, std::vector<uint8_t> data) {
    tensors_.push_back({std::move(name), ggml_type, std::move(ne), std::move(data)});
  }
  void add_f32_tensor(std::string name, std::vector<uint64_t> ne, const std::vector<float>& values) {
    std::vector<uint8_t> bytes(values.size() * 4);
    if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    add_tensor(std::move(name), 0, std::move(ne), std::move(bytes));
  }

  std::vector<uint8_t> finish() const {
    std::vector<uint8_t> out = {'G', 'G', 'U', 'F'};
    put<uint32_t>(&out, version_);
    put<uint64_t>(&out, tensors_.size());
    put<uint64_t>(&out, n_kv_);
    out.insert(out.end(), kv_.begin(), kv_.end());
    uint64_t offset = 0;
    std::vector<uint64_t> offsets;
    for (const auto& t : tensors_) {
      put_string(&out, t.name);
      put<uint32_t>(&out, static_cast<uint32_t>(t.ne.size()));
      for (uint64_t n : t.ne) put(&out, n);
      put<uint32_t>(&out, t.type);
      put<uint64_t>(&out, offset);
      offsets.push_back(offset);
      offset = align(offset + t.data.size());
    }
    if (!tensors_.empty()) out.resize(align(out.size()), 0);
    const size_t data_start = out.size();
    for (size_t i = 0; i < tensors_.size(); ++i) {
      out.resize(data_start + offsets[i], 0);
      out.insert(out.end(), tensors_[i].data.begin(), tensors_[i].data.end());
    }
    return out;
  }

 private:
  struct T {
    std::string name;
    uint32_t type;
    std::vector<uint64_t> ne;
    std::vector<uint8_t> data;
  };
  template <typename V>
  static void put(std::vector<uint8_t>* b, V v) {
    uint8_t tmp[sizeof(V)];
    std::memcpy(tmp, &v, sizeof(V));
    b->insert(b->end(), tmp, tmp + sizeof(V));
  }
  static void put_string(std::vector<uint8_t>* b, std::string_view s) {
    put<uint64_t>(b, s.size());
    b->insert(b->end(), s.begin(), s.end());
  }
  void begin_kv(std::string_view key, Type type) {
    put_string(&kv_, key);
    put<uint32_t>(&kv_, type);
    ++n_kv_;
  }
  uint64_t align(uint64_t x) const { return (x + alignment_ - 1) / alignment_ * alignment_; }

  uint32_t version_;
  uint32_t alignment_;
  uint64_t n_kv_ = 0;
  std::vector<uint8_t> kv_;
  std::vector<T> tensors_;
};

}  // namespace mms::testing
