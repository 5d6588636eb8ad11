#include "kv/block_hash.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace mms {
namespace {

std::vector<int32_t> iota(int n, int start = 0) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), start);
  return v;
}

TEST(BlockHashTest, SamePrefixSameHashesOnlyFullBlocks) {
  auto a = iota(40);
  auto b = iota(36);
  b.push_back(999);  // differs in the third (partial) block only
  std::vector<BlockHash> ha, hb;
  EXPECT_EQ(extend_block_hashes(ha, a, 16), 2);
  EXPECT_EQ(extend_block_hashes(hb, b, 16), 2);
  EXPECT_EQ(ha, hb);
  EXPECT_NE(ha[0], ha[1]);
}

TEST(BlockHashTest, ChainedOnParent) {
  // Same tokens in block 1 but a different block 0 -> block 1 hashes differ.
  auto a = iota(32);
  auto b = iota(32);
  b[0] = 12345;
  std::vector<BlockHash> ha, hb;
  extend_block_hashes(ha, a, 16);
  extend_block_hashes(hb, b, 16);
  EXPECT_NE(ha[0], hb[0]);
  EXPECT_NE(ha[1], hb[1]);
  EXPECT_EQ(ha[1], hash_block_tokens(ha[0], std::span<const int32_t>(a).subspan(16, 16)));
}

TEST(BlockHashTest, IncrementalEqualsAllAtOnce) {
  auto tokens = iota(70, 3);
  std::vector<BlockHash> all, inc;
  extend_block_hashes(all, tokens, 16);
  for (size_t n = 1; n <= tokens.size(); ++n) {
    extend_block_hashes(inc, std::span<const int32_t>(tokens).first(n), 16);
  }
  EXPECT_EQ(all, inc);
  EXPECT_EQ(all.size(), 4u);
}

TEST(BlockHashTest, ExtraKeysChangeTheHash) {
  auto tokens = iota(32);
  const Hash128 image_a{1, 2}, image_b{3, 4};
  auto keys_for = [](Hash128 img) {
    return [img](int64_t start, int64_t) { return start == 16 ? std::vector<Hash128>{img} : std::vector<Hash128>{}; };
  };
  std::vector<BlockHash> plain, with_a, with_a2, with_b;
  extend_block_hashes(plain, tokens, 16);
  extend_block_hashes(with_a, tokens, 16, keys_for(image_a));
  extend_block_hashes(with_a2, tokens, 16, keys_for(image_a));
  extend_block_hashes(with_b, tokens, 16, keys_for(image_b));
  EXPECT_EQ(plain[0], with_a[0]);  // block 0 holds no media
  EXPECT_NE(plain[1], with_a[1]);
  EXPECT_NE(with_a[1], with_b[1]);
  EXPECT_EQ(with_a, with_a2);
}

}  // namespace
}  // namespace mms
