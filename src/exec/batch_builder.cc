#include "exec/batch_builder.h"

#include <algorithm>

#include "common/check.h"

namespace mms {

void BatchBuilder::clear() {
  tables_.clear();
  token_ids_.clear();
  positions_.clear();
  slots_.clear();
  query_start_loc_.assign(1, 0);
  seq_lens_.clear();
  block_tables_.clear();
  logits_indices_.clear();
  logits_offsets_.clear();
  mrope_t_.clear();
  mrope_h_.clear();
  mrope_w_.clear();
  overrides_.clear();
  num_mrope_seqs_ = 0;
}

void BatchBuilder::add(const SequenceStep& s) {
  const int32_t n = static_cast<int32_t>(s.tokens.size());
  const int32_t first_row = static_cast<int32_t>(token_ids_.size());
  const int32_t ctx = s.num_computed_tokens + n;
  MMS_CHECK_MSG(static_cast<int64_t>(s.block_table.size()) * block_size_ >= ctx, "block table too short");
  logits_offsets_.push_back(static_cast<int32_t>(logits_indices_.size()));
  for (int32_t i = 0; i < n; ++i) {
    const int32_t pos = s.num_computed_tokens + i;
    token_ids_.push_back(s.tokens[i]);
    positions_.push_back(pos);
    slots_.push_back(s.block_table[pos / block_size_] * block_size_ + pos % block_size_);
    if (s.logits == LogitsWanted::kAll || (s.logits == LogitsWanted::kLast && i == n - 1)) {
      logits_indices_.push_back(first_row + i);
    }
  }
  if (s.mrope_rule != nullptr) {
    scratch_.resize(3 * static_cast<size_t>(n));
    const Status st = compute_mrope_positions_slice(s.mrope_spans, *s.mrope_rule, s.num_computed_tokens,
                                                    s.num_computed_tokens + n, scratch_.data(), n);
    MMS_CHECK_MSG(st.ok(), st.message().c_str());  // spans are validated when the request arrives
    mrope_t_.insert(mrope_t_.end(), scratch_.begin(), scratch_.begin() + n);
    mrope_h_.insert(mrope_h_.end(), scratch_.begin() + n, scratch_.begin() + 2 * n);
    mrope_w_.insert(mrope_w_.end(), scratch_.begin() + 2 * n, scratch_.end());
    ++num_mrope_seqs_;
  }
  for (const EmbeddingOverride& o : s.embedding_overrides) {
    MMS_CHECK(o.row >= 0 && o.num_rows > 0 && o.row + o.num_rows <= n);
    overrides_.push_back(EmbeddingOverride{first_row + o.row, o.num_rows, o.data});
  }
  query_start_loc_.push_back(static_cast<int32_t>(token_ids_.size()));
  seq_lens_.push_back(ctx);
  tables_.push_back(s.block_table);
}

ForwardBatch BatchBuilder::build() {
  size_t max_blocks = 1;
  for (const auto& t : tables_) max_blocks = std::max(max_blocks, t.size());
  block_tables_.assign(tables_.size() * max_blocks, 0);
  for (size_t s = 0; s < tables_.size(); ++s) std::copy(tables_[s].begin(), tables_[s].end(), block_tables_.begin() + s * max_blocks);
  ForwardBatch b;
  b.token_ids = token_ids_;
  b.positions = positions_;
  b.slot_mapping = slots_;
  b.logits_indices = logits_indices_;
  if (num_mrope_seqs_ > 0) {
    MMS_CHECK_MSG(num_mrope_seqs_ == static_cast<int>(tables_.size()), "every sequence of an M-RoPE batch needs a rule");
    mrope_.clear();
    mrope_.insert(mrope_.end(), mrope_t_.begin(), mrope_t_.end());
    mrope_.insert(mrope_.end(), mrope_h_.begin(), mrope_h_.end());
    mrope_.insert(mrope_.end(), mrope_w_.begin(), mrope_w_.end());
    b.mrope_positions = mrope_;
  }
  b.embedding_overrides = overrides_;
  b.attn.num_seqs = static_cast<int32_t>(tables_.size());
  b.attn.query_start_loc = query_start_loc_.data();
  b.attn.seq_lens = seq_lens_.data();
  b.attn.block_tables = block_tables_.data();
  b.attn.max_blocks_per_seq = static_cast<int32_t>(max_blocks);
  return b;
}

}  // namespace mms
