// ByteReader: a bounds-checked little-endian cursor over bytes the caller keeps alive. Every read
// returns false (and leaves the cursor unchanged) instead of running past the end. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace mms::gguf {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t pos() const { return pos_; }
  size_t size() const { return bytes_.size(); }
  size_t remaining() const { return bytes_.size() - pos_; }
  const uint8_t* base() const { return bytes_.data(); }
  const uint8_t* cursor() const { return bytes_.data() + pos_; }

  template <typename T>
  bool read(T* out) {
    if (remaining() < sizeof(T)) return false;
    std::memcpy(out, bytes_.data() + pos_, sizeof(T));  // the host is little-endian (x86-64, aarch64)
    pos_ += sizeof(T);
    return true;
  }
  bool skip(uint64_t n) {
    if (n > remaining()) return false;
    pos_ += static_cast<size_t>(n);
    return true;
  }
  // A GGUF string: u64 length, then that many bytes (not NUL-terminated).
  bool read_string(std::string_view* out) {
    uint64_t n = 0;
    size_t start = pos_;
    if (!read(&n)) return false;
    if (n > remaining()) {
      pos_ = start;
      return false;
    }
    *out = std::string_view(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return true;
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

}  // namespace mms::gguf
