// GgufFile: a parsed GGUF file (v2/v3): metadata key/values of every type, tensor infos, and tensor data
// used in place from a read-only memory map. Immutable after open(); thread-safe for concurrent reads.
// Every error names the file and the key or tensor at fault; a corrupt or truncated file never crashes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/mapped_file.h"
#include "common/status.h"
#include "tensor/tensor.h"

namespace mms::gguf {

enum class ValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};
std::string_view value_type_name(ValueType t);

// ggml tensor types; only F32/F16/BF16 are loadable today, the rest are named in errors.
enum class GgmlType : uint32_t { kF32 = 0, kF16 = 1, kBF16 = 30 };
std::string ggml_type_name(uint32_t ggml_type);

struct TensorInfo {
  std::string name;
  uint32_t ggml_type = 0;
  std::vector<int64_t> ne;    // ggml order: ne[0] is the innermost (contiguous) dimension
  uint64_t offset = 0;        // relative to the data section
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  // Row-major (PyTorch-order) view: shape is ne reversed. Unimplemented for quantized types (names the
  // tensor and its type).
  StatusOr<Tensor> tensor() const;
};

class GgufFile {
 public:
  // Maps and parses a file.
  static StatusOr<std::unique_ptr<GgufFile>> open(const std::string& path);
  // Parses bytes the caller keeps alive for the GgufFile's lifetime (used by the fuzzer). `name` is used
  // in error messages.
  static StatusOr<std::unique_ptr<GgufFile>> parse(std::span<const uint8_t> bytes, std::string name);
  ~GgufFile();

  const std::string& path() const { return name_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }

  bool has(std::string_view key) const;
  std::optional<ValueType> type_of(std::string_view key) const;
  // For arrays, the element type.
  std::optional<ValueType> array_type_of(std::string_view key) const;
  // For arrays, the number of elements (arrays of arrays are validated but only their length is kept).
  std::optional<uint64_t> array_length(std::string_view key) const;
  std::vector<std::string> keys() const;

  // Typed getters: NotFound if the key is absent, InvalidArgument if its type does not fit.
  StatusOr<int64_t> get_int(std::string_view key) const;    // any integer type (u64 > INT64_MAX rejected)
  // f32, f64. An f32 reads back as the double of its shortest decimal form (1e-6f -> 1e-6).
  StatusOr<double> get_float(std::string_view key) const;
  StatusOr<bool> get_bool(std::string_view key) const;
  StatusOr<std::string_view> get_string(std::string_view key) const;  // view into the file
  StatusOr<std::vector<std::string_view>> get_string_array(std::string_view key) const;
  StatusOr<std::vector<int64_t>> get_int_array(std::string_view key) const;
  StatusOr<std::vector<double>> get_float_array(std::string_view key) const;
  // Convenience: value or a default when absent (still an error if present with the wrong type).
  StatusOr<int64_t> get_int_or(std::string_view key, int64_t dflt) const;
  StatusOr<double> get_float_or(std::string_view key, double dflt) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;

  struct Impl;

 private:
  GgufFile() = default;
  std::string name_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::unique_ptr<MappedFile> file_;
  std::unique_ptr<Impl> impl_;  // metadata storage
  std::vector<TensorInfo> tensors_;
};

}  // namespace mms::gguf
