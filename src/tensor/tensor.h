// Tensor: a non-owning view of a contiguous row-major array (weights in a mapped file, a HostBuffer,
// KV blocks). Value type; copying copies the view. Shapes are in row-major (PyTorch) order: a Linear
// weight is [out_features, in_features].
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "common/check.h"
#include "tensor/dtype.h"

namespace mms {

constexpr int kMaxDims = 5;

struct Shape {
  std::array<int64_t, kMaxDims> dims{};
  int ndim = 0;

  Shape() = default;
  Shape(std::initializer_list<int64_t> d) {
    MMS_CHECK(d.size() <= kMaxDims);
    for (int64_t v : d) dims[ndim++] = v;
  }
  int64_t operator[](int i) const { return dims[i]; }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= dims[i];
    return n;
  }
  bool operator==(const Shape& o) const {
    if (ndim != o.ndim) return false;
    for (int i = 0; i < ndim; ++i)
      if (dims[i] != o.dims[i]) return false;
    return true;
  }
  std::string to_string() const;  // "[2112, 256]"
};

struct Tensor {
  const void* data = nullptr;
  DType dtype = DType::kF32;
  Shape shape;

  Tensor() = default;
  Tensor(const void* d, DType t, Shape s) : data(d), dtype(t), shape(s) {}

  bool empty() const { return data == nullptr; }
  int64_t numel() const { return shape.numel(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  int64_t dim(int i) const { return shape[i]; }
  int ndim() const { return shape.ndim; }
  template <typename T>
  const T* as() const {
    return static_cast<const T*>(data);
  }
  // Row r of a 2-D tensor, as a pointer to its first element.
  const void* row(int64_t r) const {
    return static_cast<const uint8_t*>(data) + static_cast<size_t>(r * shape[shape.ndim - 1]) * dtype_size(dtype);
  }
  std::string describe() const;  // "bf16[896, 151936]"
};

}  // namespace mms
