// SafetensorsFile: one memory-mapped .safetensors file (8-byte header length, JSON header, raw data),
// tensors used in place, never copied. Immutable after open(); thread-safe for concurrent reads.
// Every error names the file and the tensor at fault; a corrupt or truncated file never crashes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/mapped_file.h"
#include "common/status.h"
#include "tensor/tensor.h"

namespace mms::safetensors {

struct TensorEntry {
  std::string name;
  std::string dtype;        // as written: "F32", "BF16", "I64", ...
  Shape shape;              // row-major
  uint64_t begin = 0;       // data_offsets, relative to the data section
  uint64_t end = 0;
  const uint8_t* data = nullptr;
};

class SafetensorsFile {
 public:
  // Maps and parses a file. Errors: NotFound/IoError from the OS; InvalidArgument/OutOfRange for a bad
  // header (naming the tensor); Unimplemented for a dtype safetensors does not define.
  static StatusOr<std::unique_ptr<SafetensorsFile>> open(const std::string& path);
  // Parses bytes the caller keeps alive for the object's lifetime (used by the fuzzer).
  static StatusOr<std::unique_ptr<SafetensorsFile>> parse(std::span<const uint8_t> bytes, std::string name);
  ~SafetensorsFile();

  const std::string& path() const { return name_; }
  // In data-offset order.
  const std::vector<TensorEntry>& tensors() const { return tensors_; }
  const TensorEntry* find(std::string_view name) const;
  // A view of the tensor. NotFound when absent; Unimplemented (naming tensor and dtype) unless its
  // dtype is F32, F16 or BF16.
  StatusOr<Tensor> get(std::string_view name) const;
  StatusOr<Tensor> tensor(const TensorEntry& entry) const;

 private:
  SafetensorsFile() = default;
  std::string name_;
  std::unique_ptr<MappedFile> file_;
  std::vector<TensorEntry> tensors_;
  std::unordered_map<std::string_view, size_t> index_;  // views into tensors_[i].name
};

}  // namespace mms::safetensors
