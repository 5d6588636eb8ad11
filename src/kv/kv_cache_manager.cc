#include "kv/kv_cache_manager.h"

#include <algorithm>

#include "common/check.h"

namespace mms {
namespace {

int64_t cdiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

KvCacheManager::KvCacheManager(const KvCacheOptions& options) : options_(options), pool_(options.num_blocks) {
  MMS_CHECK_MSG(options.block_size > 0, "block_size must be positive");
}

ComputedBlocks KvCacheManager::get_computed_blocks(const KvRequestView& request) {
  ComputedBlocks out;
  if (!options_.enable_prefix_caching) return out;
  const int64_t num_tokens = static_cast<int64_t>(request.token_ids.size());
  // At least the last token is recomputed, so a hit covers at most num_tokens - 1 tokens.
  const int64_t max_blocks = std::min<int64_t>((num_tokens - 1) / options_.block_size,
                                               static_cast<int64_t>(request.block_hashes.size()));
  for (int64_t i = 0; i < max_blocks; ++i) {
    auto b = pool_.get_cached_block(request.block_hashes[static_cast<size_t>(i)]);
    if (!b) break;
    out.blocks.block_ids.push_back(*b);
  }
  out.num_computed_tokens = static_cast<int64_t>(out.blocks.size()) * options_.block_size;
  return out;
}

std::optional<KvBlocks> KvCacheManager::allocate_slots(const KvRequestView& request, int64_t num_new_tokens,
                                                       const ComputedBlocks& computed) {
  MMS_CHECK(num_new_tokens >= 0);
  auto it = reqs_.find(request.req_id);
  const int64_t num_held = it == reqs_.end() ? 0 : static_cast<int64_t>(it->second.block_ids.size());
  MMS_CHECK_MSG(computed.blocks.empty() || num_held == 0, "prefix hits only for a request holding no blocks");

  const int64_t total_tokens = request.num_computed_tokens + computed.num_computed_tokens + num_new_tokens;
  const int64_t num_required = cdiv(total_tokens, options_.block_size);
  const int64_t num_new_blocks =
      std::max<int64_t>(0, num_required - num_held - static_cast<int64_t>(computed.blocks.size()));
  // Hit blocks that are free now leave the free queue when touched, so they do not count as free room.
  int64_t num_free_hits = 0;
  for (int32_t b : computed.blocks.block_ids) num_free_hits += pool_.ref_count(b) == 0 ? 1 : 0;
  if (num_new_blocks > pool_.num_free_blocks() - num_free_hits) return std::nullopt;

  if (it == reqs_.end()) {
    // First allocation of the request (an admission): one prefix-cache lookup, counted once even if an
    // earlier get_computed_blocks() for it was followed by a failed allocation.
    if (options_.enable_prefix_caching && request.num_computed_tokens == 0) {
      stats_.num_requests += 1;
      stats_.num_queries += static_cast<int64_t>(request.token_ids.size());
      stats_.num_hits += computed.num_computed_tokens;
    }
    it = reqs_.emplace(ReqId(request.req_id), ReqBlocks{}).first;
  }
  ReqBlocks& rb = it->second;
  if (!computed.blocks.empty()) {
    pool_.touch(computed.blocks.block_ids);
    rb.block_ids = computed.blocks.block_ids;
    rb.num_cached_blocks = static_cast<int64_t>(computed.blocks.size());
  }
  KvBlocks out{pool_.get_new_blocks(num_new_blocks)};
  rb.block_ids.insert(rb.block_ids.end(), out.block_ids.begin(), out.block_ids.end());
  return out;
}

void KvCacheManager::cache_blocks(const KvRequestView& request, int64_t num_computed_tokens) {
  if (!options_.enable_prefix_caching) return;
  auto it = reqs_.find(request.req_id);
  if (it == reqs_.end()) return;
  ReqBlocks& rb = it->second;
  const int64_t num_tokens = std::min<int64_t>(num_computed_tokens, static_cast<int64_t>(request.token_ids.size()));
  const int64_t num_full = std::min({num_tokens / options_.block_size, static_cast<int64_t>(rb.block_ids.size()),
                                     static_cast<int64_t>(request.block_hashes.size())});
  for (int64_t i = rb.num_cached_blocks; i < num_full; ++i) {
    pool_.cache_block(rb.block_ids[static_cast<size_t>(i)], request.block_hashes[static_cast<size_t>(i)]);
  }
  rb.num_cached_blocks = std::max(rb.num_cached_blocks, num_full);
}

void KvCacheManager::free(std::string_view req_id) {
  auto it = reqs_.find(req_id);
  if (it == reqs_.end()) return;
  std::vector<int32_t> reversed(it->second.block_ids.rbegin(), it->second.block_ids.rend());
  pool_.free_blocks(reversed);
  reqs_.erase(it);
}

KvBlocks KvCacheManager::get_blocks(std::string_view req_id) const {
  auto it = reqs_.find(req_id);
  if (it == reqs_.end()) return {};
  return KvBlocks{it->second.block_ids};
}

}  // namespace mms
