// Work items of the CPU paged-attention kernels (attention_avx2.cc, attention_avx512.cc). An item is
// (sequence, KV head, block of up to q_block query positions); its rows are every (query position, query
// head of that KV head's group), so each K/V block is read from memory once per item and reused from L1 by
// all the group's heads (GQA). Items run on the compute threads through a shared counter, largest first
// (causal prefill is triangular).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "common/check.h"
#include "common/compute_pool.h"
#include "kernels/attention.h"

namespace mms::kernels::cpu {

struct AttentionItem {
  int32_t seq, kv_head, q_begin, q_end;  // query rows [q_begin, q_end) of the sequence
  int64_t cost;                           // ~ rows x context positions
};

// One item's geometry: row r is query position it.q_begin + r / G of the sequence, query head
// it.kv_head * G + r % G; its K/V sit in the sequence's blocks, positions [0, last_pos].
struct ItemRows {
  ItemRows(const PagedKvLayer& kv, const AttentionMetadata& md, int32_t n_heads, const AttentionItem& item)
      : kv(kv), it(item), n_heads(n_heads) {
    D = kv.head_dim;
    bs = kv.block_size;
    G = n_heads / kv.n_kv_heads;
    q0 = md.query_start_loc[it.seq];
    first_pos = md.seq_lens[it.seq] - (md.query_start_loc[it.seq + 1] - q0);
    last_pos = first_pos + it.q_end - 1;
    rows = (it.q_end - it.q_begin) * G;
    table = md.block_tables + static_cast<int64_t>(it.seq) * md.max_blocks_per_seq;
  }
  // Element offset of row r's vector in q and out ([T, n_heads * D]).
  int64_t offset(int64_t r) const { return ((q0 + it.q_begin + r / G) * n_heads + it.kv_head * G + r % G) * D; }
  int64_t position(int64_t r) const { return first_pos + it.q_begin + r / G; }
  // Element offset of the item's K (and V) rows in the block that holds position p0 (a multiple of bs).
  int64_t kv_base(int64_t p0) const {
    const int64_t block = table[p0 / bs];
    MMS_CHECK(block >= 0 && block < kv.num_blocks);
    return (block * kv.n_kv_heads + it.kv_head) * bs * D;
  }
  // out row r = acc row r / l[r].
  void write_normalized(const float* acc, const float* l, float* out) const {
    for (int64_t r = 0; r < rows; ++r) {
      float* o = out + offset(r);
      const float* a = acc + r * D;
      const float inv = 1.0f / l[r];
      for (int64_t d = 0; d < D; ++d) o[d] = a[d] * inv;
    }
  }

  const PagedKvLayer& kv;
  const AttentionItem& it;
  int64_t n_heads, D, bs, G, q0, first_pos, last_pos, rows;  // first_pos: the sequence's query row 0
  const int32_t* table;
};

// Calls item_fn(item) once for every item of the batch, on the compute pool.
template <typename ItemFn>
void for_each_attention_item(const AttentionMetadata& md, int32_t n_heads, int32_t n_kv_heads, int32_t q_block,
                             ItemFn&& item_fn) {
  thread_local std::vector<AttentionItem> items;  // reused across calls by this calling thread
  items.clear();
  const int64_t G = n_heads / n_kv_heads;
  for (int32_t s = 0; s < md.num_seqs; ++s) {
    const int32_t q_len = md.query_start_loc[s + 1] - md.query_start_loc[s];
    const int64_t first_pos = md.seq_lens[s] - q_len;
    for (int32_t qb = 0; qb < q_len; qb += q_block) {
      const int32_t qe = std::min(q_len, qb + q_block);
      const int64_t cost = (qe - qb) * G * (first_pos + qe);
      for (int32_t h = 0; h < n_kv_heads; ++h) items.push_back({s, h, qb, qe, cost});
    }
  }
  std::sort(items.begin(), items.end(), [](const AttentionItem& a, const AttentionItem& b) { return a.cost > b.cost; });
  const AttentionItem* list = items.data();
  const int64_t n_items = static_cast<int64_t>(items.size());
  std::atomic<int64_t> next{0};
  // One task per thread (at most one per item); each pulls items from the shared counter until none remain.
  parallel_for(n_items, 1, [&](int64_t, int64_t) {
    for (int64_t i = next.fetch_add(1); i < n_items; i = next.fetch_add(1)) item_fn(list[i]);
  });
}

// A kernel's paged_attention(): checks the KV dtype (f32 or f16) and head counts, then runs
// attend(std::integral_constant<DType, KV dtype>{}, item) for every item.
template <typename Attend>
void run_paged_attention(const PagedKvLayer& kv, const AttentionMetadata& md, int32_t n_heads, int32_t q_block,
                         Attend&& attend) {
  MMS_CHECK_MSG(kv.dtype == DType::kF32 || kv.dtype == DType::kF16, "paged_attention: f32 or f16 KV only");
  MMS_CHECK(kv.n_kv_heads > 0 && n_heads % kv.n_kv_heads == 0);
  for_each_attention_item(md, n_heads, kv.n_kv_heads, q_block, [&](const AttentionItem& it) {
    if (kv.dtype == DType::kF16) {
      attend(std::integral_constant<DType, DType::kF16>{}, it);
    } else {
      attend(std::integral_constant<DType, DType::kF32>{}, it);
    }
  });
}

}  // namespace mms::kernels::cpu
