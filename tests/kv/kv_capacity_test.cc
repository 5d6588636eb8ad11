#include "kv/kv_capacity.h"

#include <gtest/gtest.h>

namespace mms {
namespace {

TEST(KvCapacityTest, ParsesUnits) {
  const int64_t ram = 16LL << 30;
  EXPECT_EQ(*parse_memory_size("4GiB", ram), 4LL << 30);
  EXPECT_EQ(*parse_memory_size("4 gib", ram), 4LL << 30);
  EXPECT_EQ(*parse_memory_size("512MB", ram), 512'000'000);
  EXPECT_EQ(*parse_memory_size("512M", ram), 512LL << 20);
  EXPECT_EQ(*parse_memory_size("1.5G", ram), 3LL << 29);
  EXPECT_EQ(*parse_memory_size("1073741824", ram), 1LL << 30);
  EXPECT_EQ(*parse_memory_size("100B", ram), 100);
}

TEST(KvCapacityTest, ParsesFractionOfRam) {
  const int64_t ram = 16LL << 30;
  EXPECT_EQ(*parse_memory_size("0.5", ram), 8LL << 30);
  EXPECT_EQ(*parse_memory_size("1", ram), ram);
  EXPECT_EQ(*parse_memory_size("1.0", ram), ram);
}

TEST(KvCapacityTest, RejectsBadInput) {
  for (const char* bad : {"", "GiB", "-1GiB", "4 parsecs", "0", "1.5", "0.0", "abc", "4GiBx", "1e3"}) {
    auto r = parse_memory_size(bad, 1LL << 30);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(KvCapacityTest, BlocksForBytes) {
  // 24 layers * 2 (K,V) * 2 heads * 64 dims * 2 bytes = 12288 bytes per token.
  EXPECT_EQ(num_blocks_for_bytes(1LL << 30, 12288, 16), (1LL << 30) / (12288 * 16));
  EXPECT_EQ(num_blocks_for_bytes(100, 12288, 16), 0);
  EXPECT_EQ(num_blocks_for_bytes(1 << 20, 0, 16), 0);
}

}  // namespace
}  // namespace mms
