// MappedFile: a read-only memory map of a whole file (weights are used in place, never copied when their
// dtype is used as stored). Owns the mapping; movable; thread-safe for concurrent reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/status.h"

namespace mms {

class MappedFile {
 public:
  // Maps `path` read-only. Errors: NotFound / IoError naming the path. An empty file maps to size 0.
  static StatusOr<std::unique_ptr<MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t* data_;
  size_t size_;
};

// Reads a whole (small) file into a string. Errors name the path.
StatusOr<std::string> read_file(const std::string& path);

}  // namespace mms
