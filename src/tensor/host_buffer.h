// HostBuffer: an owning, 64-byte aligned (2 MiB for large sizes, with MADV_HUGEPAGE) host allocation.
// Movable, not copyable. Not thread-safe to resize; concurrent reads/writes of disjoint bytes are fine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "tensor/tensor.h"

namespace mms {

class HostBuffer {
 public:
  HostBuffer() = default;
  // Allocates `bytes` zero-initialized bytes. Aborts on allocation failure (the caller sized it).
  explicit HostBuffer(size_t bytes);
  // Same, contents unspecified: for a caller that writes every byte itself (a weight copied at load), so
  // the pages are not first written by a memset on one thread.
  struct Uninitialized {};
  HostBuffer(size_t bytes, Uninitialized);
  ~HostBuffer();
  HostBuffer(HostBuffer&& o) noexcept;
  HostBuffer& operator=(HostBuffer&& o) noexcept;
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;

  void* data() { return data_; }
  const void* data() const { return data_; }
  size_t size() const { return size_; }
  template <typename T>
  T* as() {
    return static_cast<T*>(data_);
  }
  template <typename T>
  const T* as() const {
    return static_cast<const T*>(data_);
  }
  Tensor view(DType dtype, Shape shape) const;

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace mms
