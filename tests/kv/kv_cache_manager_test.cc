#include "kv/kv_cache_manager.h"

#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "kv/block_hash.h"

// A named namespace of its own: the test executables are unity builds, where anonymous namespaces of
// files in one batch are shared.
namespace mms::kv_cache_manager_test {
namespace {

// A minimal request as the scheduler would hold it.
struct FakeReq {
  std::string id;
  std::vector<int32_t> tokens;
  std::vector<BlockHash> hashes;
  int64_t num_computed = 0;

  FakeReq(std::string i, std::vector<int32_t> t, int32_t block_size = 4) : id(std::move(i)), tokens(std::move(t)) {
    extend_block_hashes(hashes, tokens, block_size);
  }
  KvRequestView view() const { return {id, tokens, hashes, num_computed}; }
};

std::vector<int32_t> iota(int n, int start = 0) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), start);
  return v;
}

// Allocates, "computes" the whole prompt in one step, and caches.
void prefill(KvCacheManager& kv, FakeReq& r) {
  auto computed = kv.get_computed_blocks(r.view());
  auto blocks = kv.allocate_slots(r.view(), static_cast<int64_t>(r.tokens.size()) - computed.num_computed_tokens,
                                  computed);
  ASSERT_TRUE(blocks.has_value());
  r.num_computed = static_cast<int64_t>(r.tokens.size());
  kv.cache_blocks(r.view(), r.num_computed);
}

TEST(KvCacheManagerTest, AllocatesWholeBlocksAndGrows) {
  KvCacheManager kv({.num_blocks = 10, .block_size = 4});
  FakeReq r("a", iota(10));
  auto b = kv.allocate_slots(r.view(), 10);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->size(), 3u);
  r.num_computed = 10;
  // Two more tokens fit in block 3's free slots; a third needs a new block.
  EXPECT_EQ(kv.allocate_slots(r.view(), 2)->size(), 0u);
  r.num_computed = 12;
  EXPECT_EQ(kv.allocate_slots(r.view(), 1)->size(), 1u);
  EXPECT_EQ(kv.get_blocks("a").size(), 4u);
  EXPECT_DOUBLE_EQ(kv.usage(), 0.4);
  kv.free("a");
  EXPECT_DOUBLE_EQ(kv.usage(), 0.0);
  EXPECT_FALSE(kv.holds_blocks("a"));
}

TEST(KvCacheManagerTest, RepeatedPromptHitsFullBlocksButNotTheLastToken) {
  KvCacheManager kv({.num_blocks = 16, .block_size = 4});
  FakeReq a("a", iota(12));  // exactly three full blocks
  prefill(kv, a);
  kv.free("a");

  FakeReq b("b", iota(12));
  auto hit = kv.get_computed_blocks(b.view());
  // The last token must be computed, so the third block is not a hit.
  EXPECT_EQ(hit.num_computed_tokens, 8);
  EXPECT_EQ(hit.blocks.size(), 2u);

  FakeReq c("c", iota(14));
  auto hit_c = kv.get_computed_blocks(c.view());
  EXPECT_EQ(hit_c.num_computed_tokens, 12);
  // Stats count admissions (allocations), not lookups: only a so far.
  EXPECT_EQ(kv.prefix_cache_stats().num_requests, 1);

  // Allocating with the hit shares a's old blocks and appends one new block.
  auto blocks = kv.allocate_slots(c.view(), 2, hit_c);
  auto stats = kv.prefix_cache_stats();
  EXPECT_EQ(stats.num_requests, 2);
  EXPECT_EQ(stats.num_queries, 12 + 14);
  EXPECT_EQ(stats.num_hits, 12);
  ASSERT_TRUE(blocks.has_value());
  EXPECT_EQ(blocks->size(), 1u);
  auto all = kv.get_blocks("c").block_ids;
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(std::vector<int32_t>(all.begin(), all.begin() + 3), hit_c.blocks.block_ids);
}

TEST(KvCacheManagerTest, SharedPrefixBlocksAreRefCounted) {
  KvCacheManager kv({.num_blocks = 8, .block_size = 4});
  FakeReq a("a", iota(9));
  prefill(kv, a);
  FakeReq b("b", iota(9));
  prefill(kv, b);
  auto ba = kv.get_blocks("a").block_ids, bb = kv.get_blocks("b").block_ids;
  EXPECT_EQ(ba[0], bb[0]);
  EXPECT_EQ(ba[1], bb[1]);
  EXPECT_NE(ba[2], bb[2]);
  EXPECT_EQ(kv.pool().ref_count(ba[0]), 2);
  EXPECT_EQ(kv.num_free_blocks(), 8 - 4);
  kv.free("a");
  EXPECT_EQ(kv.pool().ref_count(ba[0]), 1);
  kv.free("b");
  EXPECT_EQ(kv.num_free_blocks(), 8);
}

TEST(KvCacheManagerTest, FreeReturnsTailFirst) {
  KvCacheManager kv({.num_blocks = 4, .block_size = 4});
  FakeReq a("a", iota(12));
  prefill(kv, a);
  auto blocks = kv.get_blocks("a").block_ids;
  kv.free("a");
  auto order = kv.pool().free_queue_order();
  // Block 3 was never used; then a's blocks tail first.
  EXPECT_EQ(order, (std::vector<int32_t>{3, blocks[2], blocks[1], blocks[0]}));
}

TEST(KvCacheManagerTest, AllocateFailureReturnsNulloptWithoutLeaking) {
  KvCacheManager kv({.num_blocks = 4, .block_size = 4});
  FakeReq a("a", iota(8));
  prefill(kv, a);  // 2 blocks, cached
  kv.free("a");
  FakeReq big("big", iota(20));
  auto hit = kv.get_computed_blocks(big.view());
  EXPECT_EQ(hit.num_computed_tokens, 8);
  // 20 tokens need 5 blocks; only 4 exist (and the 2 hits are free blocks, so they are no extra room).
  EXPECT_FALSE(kv.allocate_slots(big.view(), 12, hit).has_value());
  EXPECT_EQ(kv.num_free_blocks(), 4);
  EXPECT_FALSE(kv.holds_blocks("big"));
  EXPECT_EQ(kv.pool().ref_count(hit.blocks.block_ids[0]), 0);
  // The cache is intact: a hit is still served.
  FakeReq again("again", iota(9));
  EXPECT_EQ(kv.get_computed_blocks(again.view()).num_computed_tokens, 8);
}

TEST(KvCacheManagerTest, EvictedHitIsNoLongerServed) {
  KvCacheManager kv({.num_blocks = 3, .block_size = 4});
  FakeReq a("a", iota(9));
  prefill(kv, a);
  kv.free("a");
  FakeReq other("o", iota(12, 100));
  prefill(kv, other);  // needs all three blocks: evicts a's cached blocks
  kv.free("o");
  EXPECT_EQ(kv.take_evicted_block_hashes().size(), 2u);
  FakeReq b("b", iota(9));
  EXPECT_EQ(kv.get_computed_blocks(b.view()).num_computed_tokens, 0);
}

TEST(KvCacheManagerTest, PrefixCachingOffNeverHits) {
  KvCacheManager kv({.num_blocks = 8, .block_size = 4, .enable_prefix_caching = false});
  FakeReq a("a", iota(9));
  prefill(kv, a);
  kv.free("a");
  FakeReq b("b", iota(9));
  EXPECT_EQ(kv.get_computed_blocks(b.view()).num_computed_tokens, 0);
  EXPECT_EQ(kv.pool().num_cached_blocks(), 0);
}

TEST(KvCacheManagerTest, ResetPrefixCache) {
  KvCacheManager kv({.num_blocks = 8, .block_size = 4});
  FakeReq a("a", iota(9));
  prefill(kv, a);
  EXPECT_EQ(kv.reset_prefix_cache(), 2);
  kv.free("a");
  FakeReq b("b", iota(9));
  EXPECT_EQ(kv.get_computed_blocks(b.view()).num_computed_tokens, 0);
}

}  // namespace
}  // namespace mms::kv_cache_manager_test
