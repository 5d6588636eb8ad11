// KvCacheManager: which request holds which KV blocks. Allocates slots for a step, frees finished or
// preempted requests, and serves prefix-cache hits from chained block hashes. Ids and counts only.
// Not thread-safe: the scheduler calls it from the engine thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kv/block_pool.h"
#include "kv/kv_types.h"

namespace mms {

struct KvCacheOptions {
  int64_t num_blocks = 0;  // capacity, see num_blocks_for_bytes() in kv_capacity.h
  int32_t block_size = 16;  // tokens per block
  bool enable_prefix_caching = true;
};

// A prefix-cache hit: cached blocks covering the first num_computed_tokens tokens of a request.
struct ComputedBlocks {
  KvBlocks blocks;
  int64_t num_computed_tokens = 0;  // blocks.size() * block_size
};

// Counted once per admission (the first allocate_slots() of a request, with its prefix hit), so a
// request that waits several steps for room is not counted several times. Zero when caching is off.
struct PrefixCacheStats {
  int64_t num_requests = 0;  // admissions
  int64_t num_queries = 0;   // tokens of admitted requests
  int64_t num_hits = 0;      // of those, tokens served from the cache
};

class KvCacheManager {
 public:
  explicit KvCacheManager(const KvCacheOptions& options);

  int32_t block_size() const { return options_.block_size; }
  int64_t num_blocks() const { return pool_.num_blocks(); }
  int64_t num_free_blocks() const { return pool_.num_free_blocks(); }
  double usage() const { return pool_.usage(); }

  // Longest run of cached full blocks at the start of the request, never covering its last token (that
  // one must be computed to produce logits). Call only for a request holding no blocks. Touches nothing:
  // pass the result to allocate_slots(). Empty when prefix caching is off.
  ComputedBlocks get_computed_blocks(const KvRequestView& request);

  // Makes room for num_new_tokens more tokens after request.num_computed_tokens + computed's tokens.
  // Returns the newly allocated block ids (possibly none), or nullopt when they do not fit, in which case
  // nothing changed. On success the computed (prefix-hit) blocks are referenced and come first in the
  // request's block list.
  std::optional<KvBlocks> allocate_slots(const KvRequestView& request, int64_t num_new_tokens,
                                         const ComputedBlocks& computed = {});

  // Registers the request's full blocks whose KV is computed (the first num_computed_tokens tokens) in
  // the prefix cache. Call after a step has computed them.
  void cache_blocks(const KvRequestView& request, int64_t num_computed_tokens);

  // Releases every block of the request, tail first so tails are evicted before shared prefixes.
  // Unknown ids are ignored.
  void free(std::string_view req_id);

  // The request's block ids, in token order (empty if it holds none).
  KvBlocks get_blocks(std::string_view req_id) const;
  bool holds_blocks(std::string_view req_id) const { return reqs_.find(req_id) != reqs_.end(); }

  PrefixCacheStats prefix_cache_stats() const { return stats_; }
  // Forgets every cached hash; blocks in use keep their contents. Returns the number dropped.
  int64_t reset_prefix_cache() { return pool_.reset_prefix_cache(); }
  // Block hashes evicted from the cache since the last call.
  std::vector<BlockHash> take_evicted_block_hashes() { return pool_.take_evicted_hashes(); }

  const BlockPool& pool() const { return pool_; }

 private:
  struct ReqBlocks {
    std::vector<int32_t> block_ids;
    int64_t num_cached_blocks = 0;  // leading blocks already offered to the prefix cache
  };

  KvCacheOptions options_;
  BlockPool pool_;
  std::unordered_map<ReqId, ReqBlocks, ReqIdHasher, std::equal_to<>> reqs_;
  PrefixCacheStats stats_;
};

}  // namespace mms
