#include "kv/block_pool.h"

#include <gtest/gtest.h>

#include <vector>

#include "kv/block_hash.h"

namespace mms {
namespace {

BlockHash h(int i) { return hash_block_tokens(root_block_hash(), std::vector<int32_t>{i}); }

TEST(FreeBlockQueueTest, PushPopRemoveFromMiddle) {
  FreeBlockQueue q(5);
  for (int32_t b : {0, 1, 2, 3, 4}) q.push_back(b);
  q.remove(2);
  EXPECT_EQ(q.to_vector(), (std::vector<int32_t>{0, 1, 3, 4}));
  EXPECT_EQ(q.pop_front(), 0);
  q.remove(4);
  q.push_back(2);
  EXPECT_EQ(q.to_vector(), (std::vector<int32_t>{1, 3, 2}));
  EXPECT_EQ(q.size(), 3);
  EXPECT_FALSE(q.contains(0));
  EXPECT_TRUE(q.contains(2));
}

TEST(BlockPoolTest, RefCountsAndFreeQueueOrder) {
  BlockPool pool(6);
  EXPECT_EQ(pool.num_free_blocks(), 6);
  auto a = pool.get_new_blocks(3);
  EXPECT_EQ(a, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(pool.num_free_blocks(), 3);
  EXPECT_DOUBLE_EQ(pool.usage(), 0.5);
  pool.touch(std::vector<int32_t>{1});
  EXPECT_EQ(pool.ref_count(1), 2);
  // Freed tail first: 2 then 1 (still referenced) then 0.
  pool.free_blocks(std::vector<int32_t>{2, 1, 0});
  EXPECT_EQ(pool.ref_count(1), 1);
  EXPECT_EQ(pool.free_queue_order(), (std::vector<int32_t>{3, 4, 5, 2, 0}));
  pool.free_blocks(std::vector<int32_t>{1});
  EXPECT_EQ(pool.free_queue_order(), (std::vector<int32_t>{3, 4, 5, 2, 0, 1}));
  EXPECT_EQ(pool.num_free_blocks(), 6);
  EXPECT_DOUBLE_EQ(pool.usage(), 0.0);
}

TEST(BlockPoolTest, CachedFreeBlocksEvictedLeastRecentlyUsed) {
  BlockPool pool(4);
  auto blocks = pool.get_new_blocks(4);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(pool.cache_block(blocks[i], h(i)));
  // Free in order 2, 0, 3, 1: that is the LRU order.
  pool.free_blocks(std::vector<int32_t>{2, 0, 3, 1});
  EXPECT_EQ(pool.num_cached_blocks(), 4);
  // A hit on block 0 takes it out of the free queue.
  ASSERT_EQ(pool.get_cached_block(h(0)), 0);
  pool.touch(std::vector<int32_t>{0});
  EXPECT_EQ(pool.free_queue_order(), (std::vector<int32_t>{2, 3, 1}));
  // Reusing two blocks evicts the least recently freed: 2 then 3.
  auto fresh = pool.get_new_blocks(2);
  EXPECT_EQ(fresh, (std::vector<int32_t>{2, 3}));
  EXPECT_FALSE(pool.get_cached_block(h(2)).has_value());
  EXPECT_FALSE(pool.get_cached_block(h(3)).has_value());
  EXPECT_EQ(pool.get_cached_block(h(1)), 1);
  EXPECT_EQ(pool.get_cached_block(h(0)), 0);
  auto evicted = pool.take_evicted_hashes();
  ASSERT_EQ(evicted.size(), 2u);
  EXPECT_EQ(evicted[0], h(2));
  EXPECT_EQ(evicted[1], h(3));
  EXPECT_TRUE(pool.take_evicted_hashes().empty());
  EXPECT_EQ(pool.num_cached_blocks(), 2);
}

TEST(BlockPoolTest, DuplicateHashFirstWins) {
  BlockPool pool(2);
  auto b = pool.get_new_blocks(2);
  EXPECT_TRUE(pool.cache_block(b[0], h(7)));
  EXPECT_FALSE(pool.cache_block(b[1], h(7)));
  EXPECT_EQ(pool.get_cached_block(h(7)), b[0]);
  EXPECT_FALSE(pool.block_hash(b[1]).has_value());
}

TEST(BlockPoolTest, ResetPrefixCacheDropsAllHashes) {
  BlockPool pool(3);
  auto b = pool.get_new_blocks(2);
  pool.cache_block(b[0], h(0));
  pool.cache_block(b[1], h(1));
  pool.free_blocks(std::vector<int32_t>{b[1]});
  EXPECT_EQ(pool.reset_prefix_cache(), 2);
  EXPECT_FALSE(pool.get_cached_block(h(0)).has_value());
  EXPECT_FALSE(pool.get_cached_block(h(1)).has_value());
  EXPECT_EQ(pool.ref_count(b[0]), 1);
  EXPECT_EQ(pool.take_evicted_hashes().size(), 2u);
}

}  // namespace
}  // namespace mms
