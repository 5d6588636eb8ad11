// BatchBuilder: flattens the sequences of one step (prefill chunks and decode tokens) into the arrays a
// ForwardBatch points at: token ids, positions, KV slots, attention metadata, logits rows. Owns those
// arrays; a ForwardBatch from build() is valid until the next clear()/add(). Not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/causal_lm.h"
#include "model/mrope_positions.h"

namespace mms {

enum class LogitsWanted { kNone, kLast, kAll };

struct SequenceStep {
  std::span<const int32_t> tokens;       // tokens computed this step
  int32_t num_computed_tokens = 0;       // tokens of this sequence already in the KV cache
  std::span<const int32_t> block_table;  // block ids covering num_computed_tokens + tokens.size()
  LogitsWanted logits = LogitsWanted::kLast;
  // M-RoPE models: the rule and the sequence's media spans (empty for text); nullptr for 1-D RoPE. When
  // any sequence of a batch has a rule, every sequence must (the batch then carries [3, T] positions).
  const MropeRule* mrope_rule = nullptr;
  std::span<const MropeMediaSpan> mrope_spans;
  // Rows of this sequence's tokens whose input embedding is given: row indices relative to the first of
  // `tokens` (the builder offsets them into the batch).
  std::span<const EmbeddingOverride> embedding_overrides;
};

class BatchBuilder {
 public:
  explicit BatchBuilder(int32_t block_size) : block_size_(block_size) {}
  void clear();
  void add(const SequenceStep& step);
  // Row offset in the logits output of the first logits row of sequence i (in add() order).
  int32_t logits_offset(size_t i) const { return logits_offsets_[i]; }
  int64_t num_tokens() const { return static_cast<int64_t>(token_ids_.size()); }
  ForwardBatch build();

 private:
  int32_t block_size_;
  std::vector<std::span<const int32_t>> tables_;
  std::vector<int32_t> token_ids_, positions_, slots_, query_start_loc_{0}, seq_lens_, block_tables_,
      logits_indices_, logits_offsets_;
  std::vector<int32_t> mrope_t_, mrope_h_, mrope_w_, mrope_;  // per-section positions; mrope_ = [3, T]
  std::vector<int32_t> scratch_;
  std::vector<EmbeddingOverride> overrides_;
  int num_mrope_seqs_ = 0;
};

}  // namespace mms
