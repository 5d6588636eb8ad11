// Value types that cross the kv/ boundary: request ids, block hashes, block id lists, a read-only view of
// what the KV cache manager needs from a request. Plain data; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/hash.h"

namespace mms {

// A request id as the API assigns it ("chatcmpl-...", "cmpl-..."); vLLM's req_id.
using ReqId = std::string;

// Hash of one full KV block: H(parent block hash, token ids of the block, extra keys).
using BlockHash = Hash128;

struct BlockHashHasher {
  size_t operator()(const BlockHash& h) const { return static_cast<size_t>(h.lo ^ (h.hi * 0x9e3779b97f4a7c15ULL)); }
};

// Transparent string hash so maps keyed by ReqId can be probed with a string_view.
struct ReqIdHasher {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Block ids, in the order of the token positions they hold.
struct KvBlocks {
  std::vector<int32_t> block_ids;
  bool empty() const { return block_ids.empty(); }
  size_t size() const { return block_ids.size(); }
};

// What the manager reads from a request; the caller keeps the referenced data alive during the call.
struct KvRequestView {
  std::string_view req_id;
  std::span<const int32_t> token_ids;       // every known token: prompt, then outputs
  std::span<const BlockHash> block_hashes;  // hashes of the full blocks of token_ids, in order
  int64_t num_computed_tokens = 0;          // tokens whose KV is already in the request's blocks
};

}  // namespace mms
