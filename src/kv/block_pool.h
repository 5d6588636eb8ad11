// BlockPool: num_blocks KV blocks (ids 0..n-1) with reference counts, a free queue in LRU order and a
// hash -> block map of cached full blocks. A free block keeps its hash (and stays a prefix-cache hit)
// until it is handed out again, which evicts it. Ids and counts only: no KV bytes here.
// Not thread-safe; owned by KvCacheManager on the engine thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "kv/free_block_queue.h"
#include "kv/kv_types.h"

namespace mms {

class BlockPool {
 public:
  // All blocks start free, with no hash.
  explicit BlockPool(int64_t num_blocks);

  int64_t num_blocks() const { return static_cast<int64_t>(ref_cnt_.size()); }
  int64_t num_free_blocks() const { return free_queue_.size(); }
  // Fraction of blocks in use (ref count > 0), in [0, 1].
  double usage() const;

  // Takes n blocks from the front of the free queue, each with ref count 1; a block that still had a
  // hash is evicted from the cache (its hash is recorded, see take_evicted_hashes). Requires
  // n <= num_free_blocks().
  std::vector<int32_t> get_new_blocks(int64_t n);
  // Adds a reference to each block; a block with ref count 0 leaves the free queue (prefix-cache hit).
  void touch(std::span<const int32_t> block_ids);
  // Drops a reference from each block, in the given order; blocks reaching 0 go to the back of the free
  // queue in that order (so callers pass a request's blocks tail first: tails are evicted first).
  void free_blocks(std::span<const int32_t> block_ids);

  // The block cached under `hash`, if any (free or in use).
  std::optional<int32_t> get_cached_block(const BlockHash& hash) const;
  // Registers a full, computed block under `hash`. If another block already holds that hash the call
  // does nothing (first wins) and returns false. Requires ref_count(block_id) > 0.
  bool cache_block(int32_t block_id, const BlockHash& hash);
  // Forgets every hash (blocks in use keep their data and simply stop being hits). Returns how many
  // hashes were dropped.
  int64_t reset_prefix_cache();
  // Hashes evicted or dropped since the last call (for KV events / the router), oldest first.
  std::vector<BlockHash> take_evicted_hashes();

  int32_t ref_count(int32_t block_id) const { return ref_cnt_[static_cast<size_t>(block_id)]; }
  std::optional<BlockHash> block_hash(int32_t block_id) const { return hash_[static_cast<size_t>(block_id)]; }
  int64_t num_cached_blocks() const { return static_cast<int64_t>(cached_.size()); }
  // Free queue front (next evicted) to back; for tests.
  std::vector<int32_t> free_queue_order() const { return free_queue_.to_vector(); }

 private:
  void evict_hash(int32_t block_id);

  std::vector<int32_t> ref_cnt_;
  std::vector<std::optional<BlockHash>> hash_;
  FreeBlockQueue free_queue_;
  std::unordered_map<BlockHash, int32_t, BlockHashHasher> cached_;
  std::vector<BlockHash> evicted_;
};

}  // namespace mms
