// MmInputRef: the scheduler's id-only view of one media item (image or video) in a request's prompt: its
// content hash (the encoder-cache key), where its placeholder tokens sit, and how much encoder work it
// is. The pixels and embeddings never reach sched/; the executor holds them under the same hash.
// Plain value type; thread-compatible.
#pragma once

#include <cstdint>

#include "common/hash.h"

namespace mms {

struct MmInputRef {
  Hash128 hash;              // content hash of the preprocessed pixels + every parameter that changes them
  int64_t offset = 0;        // index in the prompt of the item's first placeholder token
  int64_t num_tokens = 0;    // placeholder tokens = embedding rows the encoder produces
  int64_t encoder_cost = 0;  // encoder work in patches (before merging); for budgeting and batching
  bool operator==(const MmInputRef&) const = default;
};

}  // namespace mms
