#include "tensor/host_buffer.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <utility>

#include "common/check.h"

namespace mms {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
}

HostBuffer::HostBuffer(size_t bytes) : HostBuffer(bytes, Uninitialized{}) {
  if (data_ != nullptr) std::memset(data_, 0, bytes);
}

HostBuffer::HostBuffer(size_t bytes, Uninitialized) : size_(bytes) {
  if (bytes == 0) return;
  const size_t align = bytes >= kHugePage ? kHugePage : 64;
  const size_t rounded = (bytes + align - 1) / align * align;
  data_ = std::aligned_alloc(align, rounded);
  MMS_CHECK_MSG(data_ != nullptr, "host allocation failed");
  if (align == kHugePage) ::madvise(data_, rounded, MADV_HUGEPAGE);
}

HostBuffer::~HostBuffer() { std::free(data_); }

HostBuffer::HostBuffer(HostBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}

HostBuffer& HostBuffer::operator=(HostBuffer&& o) noexcept {
  if (this != &o) {
    std::free(data_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

Tensor HostBuffer::view(DType dtype, Shape shape) const {
  MMS_CHECK(static_cast<size_t>(shape.numel()) * dtype_size(dtype) <= size_);
  return Tensor(data_, dtype, shape);
}

}  // namespace mms
