#include "tensor/host_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <utility>

namespace mms {
namespace {

TEST(HostBuffer, ZeroedByDefaultAlignedAndMovable) {
  HostBuffer small(1000);
  ASSERT_NE(small.data(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small.data()) % 64, 0u);
  for (size_t i = 0; i < small.size(); ++i) ASSERT_EQ(small.as<uint8_t>()[i], 0) << i;
  HostBuffer moved(std::move(small));
  EXPECT_EQ(moved.size(), 1000u);
  EXPECT_EQ(small.size(), 0u);
  EXPECT_EQ(small.data(), nullptr);
}

// The uninitialized form has the same size and alignment (2 MiB for large buffers) and is writable.
TEST(HostBuffer, UninitializedKeepsSizeAndAlignment) {
  HostBuffer large(size_t{3} << 20, HostBuffer::Uninitialized{});
  ASSERT_NE(large.data(), nullptr);
  EXPECT_EQ(large.size(), size_t{3} << 20);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(large.data()) % (size_t{2} << 20), 0u);
  std::memset(large.data(), 7, large.size());
  EXPECT_EQ(large.as<uint8_t>()[large.size() - 1], 7);
  HostBuffer empty(0, HostBuffer::Uninitialized{});
  EXPECT_EQ(empty.data(), nullptr);
}

}  // namespace
}  // namespace mms
