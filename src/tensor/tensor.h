// Tensor: a non-owning view of a contiguous array (weights in a mapped file, a HostBuffer, KV blocks),
// row-major unless `layout` says otherwise. Value type; copying copies the view. Shapes are in row-major
// (PyTorch) order whatever the layout: a Linear weight is [out_features, in_features].
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

// How a 2-D [N, K] tensor's elements are arranged in memory.
enum class Layout : uint8_t {
  kRowMajor,
  // Tiles of 16 rows x 32 columns, each tile a contiguous row-major 16x32 block, tiles ordered row of
  // tiles by row of tiles: element (n, k) is at ((n / 16) * (K / 32) + k / 32) * 512 + (n % 16) * 32 + k % 32.
  // N a multiple of 16, K of 32. The weight layout of the AMX matmul (kernels/matmul.h: prepare_weight),
  // where one tile is one tdpbf16ps operand and a pass over K streams memory in address order.
  kTiles16x32,
};
inline constexpr int64_t kTileRows = 16, kTileCols = 32;

// Offset of element (n, k) of an [N, K] tensor in `layout`, in elements.
inline int64_t element_offset(Layout layout, int64_t n, int64_t k, int64_t K) {
  if (layout == Layout::kRowMajor) return n * K + k;
  return ((n / kTileRows) * (K / kTileCols) + k / kTileCols) * (kTileRows * kTileCols) + (n % kTileRows) * kTileCols +
         k % kTileCols;
}

struct Tensor {
  const void* data = nullptr;
  DType dtype = DType::kF32;
  Shape shape;
  Layout layout = Layout::kRowMajor;

  Tensor() = default;
  Tensor(const void* d, DType t, Shape s, Layout l = Layout::kRowMajor) : data(d), dtype(t), shape(s), layout(l) {}

  bool empty() const { return data == nullptr; }
  int64_t numel() const { return shape.numel(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  int64_t dim(int i) const { return shape[i]; }
  int ndim() const { return shape.ndim; }
  template <typename T>
  const T* as() const {
    return static_cast<const T*>(data);
  }
  // Rows [r0, r0 + n) of a 2-D tensor, in the same layout. In Layout::kTiles16x32 both must be multiples of
  // 16 (a row of tiles is 16 whole rows, contiguous), which is checked.
  Tensor rows(int64_t r0, int64_t n) const {
    MMS_CHECK(ndim() == 2 && r0 >= 0 && n >= 0 && r0 + n <= shape[0]);
    MMS_CHECK(layout == Layout::kRowMajor || (r0 % kTileRows == 0 && n % kTileRows == 0));
    const auto* base = static_cast<const uint8_t*>(data) + static_cast<size_t>(r0 * shape[1]) * dtype_size(dtype);
    return Tensor(base, dtype, {n, shape[1]}, layout);
  }
  std::string describe() const;  // "bf16[896, 151936]"
};

}  // namespace mms
