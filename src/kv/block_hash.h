// Chained hashes of full KV blocks for prefix caching: hash(block i) covers the hash of block i-1, the
// token ids of block i and its extra keys (content hashes of media inside the block, filled by a later
// issue). Same prefix -> same chain. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "kv/kv_types.h"

namespace mms {

// Parent hash of block 0.
BlockHash root_block_hash();

// H(parent, tokens, extra_keys).
BlockHash hash_block_tokens(const BlockHash& parent, std::span<const int32_t> tokens,
                            std::span<const Hash128> extra_keys = {});

// Extra keys for the block holding tokens [start, end); empty when the block holds no media.
using ExtraKeysFn = std::function<std::vector<Hash128>(int64_t start, int64_t end)>;

// Appends to `hashes` the hash of every full block of `token_ids` not hashed yet (hashes.size() blocks
// are taken as already hashed). Returns the number of hashes appended.
int64_t extend_block_hashes(std::vector<BlockHash>& hashes, std::span<const int32_t> token_ids,
                            int32_t block_size, const ExtraKeysFn& extra_keys = nullptr);

}  // namespace mms
