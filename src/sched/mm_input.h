// MmInputRef: the scheduler's id-only view of one media item (image or video) in a request's prompt: its
// content hash (the encoder-cache key), where its placeholder tokens sit, and how much encoder work it
// is. The pixels and embeddings never reach sched/; the executor holds them under the same hash.
// Plain value type; thread-compatible.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/hash.h"
#include "common/status.h"
#include "kv/block_hash.h"

namespace mms {

struct MmInputRef {
  Hash128 hash;              // content hash of the preprocessed pixels + every parameter that changes them
  int64_t offset = 0;        // index in the prompt of the item's first placeholder token
  int64_t num_tokens = 0;    // placeholder tokens = embedding rows the encoder produces
  int64_t encoder_cost = 0;  // encoder work in patches (before merging); for budgeting and batching
  bool operator==(const MmInputRef&) const = default;
};

// InvalidArgument unless the items are sorted by offset, non-overlapping, non-empty and inside the prompt.
Status validate_mm_inputs(std::span<const MmInputRef> inputs, int64_t num_prompt_tokens);

// Prefix-cache extra keys for a prompt with media: a block covering placeholder tokens of an item gets
// H(item hash, index of the block's first token relative to the item's first placeholder), so prompts
// with identical token ids but different images never share KV blocks.
ExtraKeysFn mm_extra_keys(std::vector<MmInputRef> inputs);

}  // namespace mms
