// Causal grouped-query attention over a flattened batch of sequences whose K/V live in paged blocks
// (vLLM's layout idea; the KV cache manager of kv/ decides which blocks a sequence owns, the executor
// owns the bytes). Query head h reads KV head h / (n_heads / n_kv_heads).
#pragma once

#include <cstdint>

#include "tensor/dtype.h"

namespace mms::kernels {

// One layer's K and V storage: k and v each [num_blocks, n_kv_heads, block_size, head_dim] of `dtype`
// (f32; f16 too where the dispatched variants support it: the AVX2 ones do, ref:: is f32 only).
// Slot s = block_id * block_size + offset.
struct PagedKvLayer {
  void* k = nullptr;
  void* v = nullptr;
  DType dtype = DType::kF32;
  int64_t num_blocks = 0;
  int32_t block_size = 16;
  int32_t n_kv_heads = 0;
  int32_t head_dim = 0;
};

// Which tokens of the flattened batch belong to which sequence, and where each sequence's K/V is.
// Sequence s owns query rows [query_start_loc[s], query_start_loc[s+1]); after this step's K/V are written
// it has seq_lens[s] tokens of context; its query rows are its last (q_len) positions, so query row i of
// the sequence sits at position seq_lens[s] - q_len + i and attends to positions [0, that position].
struct AttentionMetadata {
  int32_t num_seqs = 0;
  const int32_t* query_start_loc = nullptr;  // [num_seqs + 1]
  const int32_t* seq_lens = nullptr;         // [num_seqs]
  const int32_t* block_tables = nullptr;     // [num_seqs, max_blocks_per_seq] block ids
  int32_t max_blocks_per_seq = 0;
};

// Writes k/v rows [T, n_kv_heads * head_dim] into their slots (slot_mapping[t]; -1 skips the row).
void write_kv(const float* k, const float* v, const int32_t* slot_mapping, int64_t T, const PagedKvLayer& kv);

// out[T, n_heads * head_dim] = softmax(scale * q k^T, causal) v for every query row of q[T, n_heads * head_dim].
void paged_attention(const float* q, const PagedKvLayer& kv, const AttentionMetadata& md, int32_t n_heads,
                     float scale, float* out);
// Whether paged_attention() on this CPU reads f16 K/V (the AVX2 and AVX-512 kernels do; ref:: does not).
bool paged_attention_takes_f16();

namespace ref {
void write_kv(const float* k, const float* v, const int32_t* slot_mapping, int64_t T, const PagedKvLayer& kv);
void paged_attention(const float* q, const PagedKvLayer& kv, const AttentionMetadata& md, int32_t n_heads,
                     float scale, float* out);
}  // namespace ref

}  // namespace mms::kernels
