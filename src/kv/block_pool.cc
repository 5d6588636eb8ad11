#include "kv/block_pool.h"

#include "common/check.h"

namespace mms {

BlockPool::BlockPool(int64_t num_blocks)
    : ref_cnt_(static_cast<size_t>(num_blocks), 0), hash_(static_cast<size_t>(num_blocks)), free_queue_(num_blocks) {
  MMS_CHECK_MSG(num_blocks > 0, "a block pool needs at least one block");
  for (int64_t b = 0; b < num_blocks; ++b) free_queue_.push_back(static_cast<int32_t>(b));
}

double BlockPool::usage() const {
  return 1.0 - static_cast<double>(num_free_blocks()) / static_cast<double>(num_blocks());
}

std::vector<int32_t> BlockPool::get_new_blocks(int64_t n) {
  MMS_CHECK_MSG(n >= 0 && n <= num_free_blocks(), "get_new_blocks: not enough free blocks");
  std::vector<int32_t> out;
  out.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int32_t b = free_queue_.pop_front();
    MMS_CHECK(ref_cnt_[static_cast<size_t>(b)] == 0);
    evict_hash(b);
    ref_cnt_[static_cast<size_t>(b)] = 1;
    out.push_back(b);
  }
  return out;
}

void BlockPool::touch(std::span<const int32_t> block_ids) {
  for (int32_t b : block_ids) {
    int32_t& rc = ref_cnt_[static_cast<size_t>(b)];
    if (rc == 0) free_queue_.remove(b);
    ++rc;
  }
}

void BlockPool::free_blocks(std::span<const int32_t> block_ids) {
  for (int32_t b : block_ids) {
    int32_t& rc = ref_cnt_[static_cast<size_t>(b)];
    MMS_CHECK_MSG(rc > 0, "free of a block that is not in use");
    if (--rc == 0) free_queue_.push_back(b);
  }
}

std::optional<int32_t> BlockPool::get_cached_block(const BlockHash& hash) const {
  auto it = cached_.find(hash);
  if (it == cached_.end()) return std::nullopt;
  return it->second;
}

bool BlockPool::cache_block(int32_t block_id, const BlockHash& hash) {
  MMS_CHECK_MSG(ref_cnt_[static_cast<size_t>(block_id)] > 0, "cache_block on a free block");
  auto& h = hash_[static_cast<size_t>(block_id)];
  if (h.has_value()) return *h == hash;
  auto [it, inserted] = cached_.emplace(hash, block_id);
  if (!inserted) return false;
  h = hash;
  return true;
}

int64_t BlockPool::reset_prefix_cache() {
  const int64_t n = num_cached_blocks();
  for (auto& h : hash_) {
    if (h.has_value()) evicted_.push_back(*h);
    h.reset();
  }
  cached_.clear();
  return n;
}

std::vector<BlockHash> BlockPool::take_evicted_hashes() {
  std::vector<BlockHash> out;
  out.swap(evicted_);
  return out;
}

void BlockPool::evict_hash(int32_t block_id) {
  auto& h = hash_[static_cast<size_t>(block_id)];
  if (!h.has_value()) return;
  auto it = cached_.find(*h);
  MMS_CHECK(it != cached_.end() && it->second == block_id);
  cached_.erase(it);
  evicted_.push_back(*h);
  h.reset();
}

}  // namespace mms
