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
