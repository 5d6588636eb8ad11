#include "encoder_cache/encoder_cache_manager.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mms {
namespace {

Hash128 h(uint64_t i) { return Hash128{i, i * 31 + 7}; }

TEST(EncoderCacheManager, AllocateMarkReadyAndHitStats) {
  EncoderCacheManager m(100);
  EXPECT_EQ(m.state(h(1)), EncoderCacheManager::State::kAbsent);
  m.record_query(h(1));
  ASSERT_TRUE(m.allocate(h(1), 40, "a"));
  EXPECT_EQ(m.state(h(1)), EncoderCacheManager::State::kPending);
  EXPECT_FALSE(m.allocate(h(1), 40, "b"));  // exists
  m.record_query(h(1));                     // a second request finds it in flight
  m.mark_ready(h(1));
  EXPECT_TRUE(m.is_ready(h(1)));
  const EncoderCacheStats s = m.stats();
  EXPECT_EQ(s.num_queries, 2);
  EXPECT_EQ(s.num_hits, 1);
  EXPECT_EQ(s.used_tokens, 40);
  EXPECT_EQ(s.num_entries, 1);
}

TEST(EncoderCacheManager, ReferencedEntriesAreNeverEvicted) {
  EncoderCacheManager m(100);
  ASSERT_TRUE(m.allocate(h(1), 60, "a"));
  m.mark_ready(h(1));
  EXPECT_FALSE(m.can_allocate(50));
  EXPECT_FALSE(m.allocate(h(2), 50, "b"));
  EXPECT_TRUE(m.take_freed().empty());
  m.release(h(1), "a");
  EXPECT_TRUE(m.can_allocate(50));
  ASSERT_TRUE(m.allocate(h(2), 50, "b"));
  EXPECT_EQ(m.state(h(1)), EncoderCacheManager::State::kAbsent);
  EXPECT_EQ(m.take_freed(), std::vector<Hash128>{h(1)});
  EXPECT_TRUE(m.take_freed().empty());
  EXPECT_EQ(m.stats().num_evictions, 1);
}

TEST(EncoderCacheManager, EvictsLeastRecentlyUsedFirst) {
  EncoderCacheManager m(90);
  for (uint64_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE(m.allocate(h(i), 30, "r" + std::to_string(i)));
    m.mark_ready(h(i));
    m.release(h(i), "r" + std::to_string(i));
  }
  m.record_query(h(1));  // 1 becomes the most recently used; 2 is now the oldest
  ASSERT_TRUE(m.allocate(h(4), 30, "r4"));
  EXPECT_EQ(m.take_freed(), std::vector<Hash128>{h(2)});
  ASSERT_TRUE(m.allocate(h(5), 60, "r5"));
  std::vector<Hash128> freed = m.take_freed();
  EXPECT_EQ(freed, (std::vector<Hash128>{h(3), h(1)}));
}

TEST(EncoderCacheManager, PendingEntriesBecomeEvictableOnlyWhenReady) {
  EncoderCacheManager m(50);
  ASSERT_TRUE(m.allocate(h(1), 50, "a"));
  m.release_all("a");  // aborted while encoding
  EXPECT_FALSE(m.can_allocate(10));
  m.mark_ready(h(1));
  EXPECT_TRUE(m.can_allocate(10));
  // A new user takes a reference again: not evictable.
  m.add_ref(h(1), "b");
  EXPECT_FALSE(m.can_allocate(10));
  m.release(h(1), "b");
  m.release(h(1), "b");  // twice: no-op
  EXPECT_TRUE(m.can_allocate(50));
  EXPECT_FALSE(m.can_allocate(51));
}

TEST(EncoderCacheManager, SharedEntryNeedsEveryOwnerToRelease) {
  EncoderCacheManager m(40);
  ASSERT_TRUE(m.allocate(h(1), 40, "a"));
  m.add_ref(h(1), "b");
  m.mark_ready(h(1));
  m.release_all("a");
  EXPECT_FALSE(m.can_allocate(1));
  m.release_all("b");
  EXPECT_TRUE(m.can_allocate(40));
  EXPECT_EQ(m.stats().used_tokens, 40);  // still cached until evicted
}

}  // namespace
}  // namespace mms
