// Dense bidirectional (non-causal) multi-head attention over a flattened batch of variable-length sequences,
// as flash_attn_varlen_func(causal=False) with cu_seqlens: the vision tower's attention, where a sequence is a
// frame (full attention) or a window (window attention). Query rows of sequence s attend to every key row of
// sequence s and nothing else. One call may cover part of a problem (a range of heads via pointer offsets and
// n_heads, a block of query rows via cu_seqlens_q), which is how the vision encoder slices its work; the result
// of a row depends only on its own query and its sequence's keys and values, not on how the work is split.
// f32 in and out, f32 accumulation. Runs on the pool; thread-compatible (callers serialize calls sharing out).
#pragma once

#include <cstdint>

namespace mms::kernels {

struct VarlenAttentionArgs {
  // Row r of q / k / v / out starts at base + r * stride; head h occupies [h * head_dim, (h + 1) * head_dim).
  const float* q = nullptr;
  int64_t q_stride = 0;
  const float* k = nullptr;
  const float* v = nullptr;
  int64_t kv_stride = 0;
  float* out = nullptr;
  int64_t out_stride = 0;
  // Sequence s: query rows [cu_seqlens_q[s], cu_seqlens_q[s+1]), key/value rows [cu_seqlens_k[s], cu_seqlens_k[s+1])
  // (absolute row indices; each has num_seqs + 1 entries, non-decreasing). An empty key range gives zeros.
  const int32_t* cu_seqlens_q = nullptr;
  const int32_t* cu_seqlens_k = nullptr;
  int32_t num_seqs = 0;
  int32_t n_heads = 0;
  int32_t head_dim = 0;
  float scale = 1.0f;  // scores = scale * q . k
};

void varlen_attention(const VarlenAttentionArgs& args);

namespace ref {
void varlen_attention(const VarlenAttentionArgs& args);
}  // namespace ref

}  // namespace mms::kernels
