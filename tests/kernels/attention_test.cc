// write_kv and paged_attention variants against ref on batches that mix prefill, chunked prefill and
// decode sequences, GQA ratios 1/4/7, head_dim 20..128, block sizes 16 and 5, shuffled block tables.
// Unwritten KV slots hold NaN, so a kernel that reads past a sequence's context fails the comparison.
// Every fast variant also takes f16 K/V; it is checked against ref on f32 K/V holding the same rounded values.
#include "kernels/attention.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "common/compute_pool.h"
#include "kernels/kernel_test_util.h"

namespace mms::kernels {
namespace {

struct SeqSpec {
  int32_t ctx;    // context length after this step
  int32_t q_len;  // query rows this step (1 = decode, ctx = whole prefill, else a chunk)
};

struct Scenario {
  int32_t n_heads, n_kv_heads, head_dim, block_size;
  std::vector<SeqSpec> seqs;
};

// A batch: paged K/V storage and block tables, every context token's K/V, and this step's queries.
struct Batch {
  int32_t n_heads;
  int32_t num_blocks;
  std::vector<int32_t> query_start_loc, seq_lens, block_tables, slot_mapping;
  int32_t max_blocks = 0;
  std::vector<float> k_rows, v_rows;  // [total context tokens, n_kv_heads * head_dim]
  std::vector<float> q;               // [T, n_heads * head_dim]
  int64_t T = 0;

  Batch(const Scenario& sc, std::mt19937& rng) : n_heads(sc.n_heads) {
    int32_t total_blocks = 0;
    for (const SeqSpec& s : sc.seqs) {
      const int32_t nb = (s.ctx + sc.block_size - 1) / sc.block_size;
      max_blocks = std::max(max_blocks, nb);
      total_blocks += nb;
    }
    num_blocks = total_blocks + 3;
    std::vector<int32_t> ids(static_cast<size_t>(num_blocks));
    std::iota(ids.begin(), ids.end(), 0);
    std::shuffle(ids.begin(), ids.end(), rng);
    block_tables.assign(static_cast<size_t>(sc.seqs.size() * max_blocks), -1);
    query_start_loc.push_back(0);
    size_t next_block = 0;
    for (size_t s = 0; s < sc.seqs.size(); ++s) {
      const SeqSpec& sp = sc.seqs[s];
      for (int32_t b = 0; b * sc.block_size < sp.ctx; ++b) block_tables[s * max_blocks + b] = ids[next_block++];
      for (int32_t p = 0; p < sp.ctx; ++p)
        slot_mapping.push_back(block_tables[s * max_blocks + p / sc.block_size] * sc.block_size + p % sc.block_size);
      seq_lens.push_back(sp.ctx);
      query_start_loc.push_back(query_start_loc.back() + sp.q_len);
    }
    T = query_start_loc.back();
    const size_t kv_row = static_cast<size_t>(sc.n_kv_heads * sc.head_dim);
    k_rows = mms::testing::random_floats(rng, slot_mapping.size() * kv_row);
    v_rows = mms::testing::random_floats(rng, slot_mapping.size() * kv_row);
    q = mms::testing::random_floats(rng, static_cast<size_t>(T * sc.n_heads * sc.head_dim), -3.f, 3.f);
  }

  AttentionMetadata metadata() const {
    return {static_cast<int32_t>(seq_lens.size()), query_start_loc.data(), seq_lens.data(), block_tables.data(),
            max_blocks};
  }
};

// Paged storage for one layer, NaN until written.
struct KvStorage {
  std::vector<float> k, v;
  PagedKvLayer layer;
  KvStorage(const Scenario& sc, int32_t num_blocks) {
    const size_t n = static_cast<size_t>(num_blocks) * sc.n_kv_heads * sc.block_size * sc.head_dim;
    k.assign(n, NAN);
    v.assign(n, NAN);
    layer = {k.data(), v.data(), DType::kF32, num_blocks, sc.block_size, sc.n_kv_heads, sc.head_dim};
  }
};

template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

std::vector<uint16_t> to_f16(const std::vector<float>& x) {
  std::vector<uint16_t> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = f32_to_f16(x[i]);
  return out;
}

std::vector<float> round_through_f16(const std::vector<float>& x) {
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = f16_to_f32(f32_to_f16(x[i]));
  return out;
}

std::vector<Scenario> scenarios() {
  return {
      {14, 2, 64, 16, {{1, 1}, {37, 37}, {100, 1}, {50, 13}, {530, 530}}},  // Qwen2.5-0.5B heads, GQA 7
      {8, 2, 128, 16, {{16, 16}, {17, 1}, {300, 44}, {5, 2}}},              // GQA 4, head_dim 128
      {4, 4, 32, 16, {{1, 1}, {33, 33}, {64, 1}, {200, 7}}},                // MHA, head_dim 32
      {7, 1, 80, 5, {{23, 23}, {12, 1}, {40, 16}}},                          // odd block size
      {2, 1, 20, 16, {{40, 3}, {3, 3}}},                                     // head_dim not a multiple of 8
  };
}

class WriteKvVariantTest : public ::testing::TestWithParam<const WriteKvVariant*> {};
TEST_P(WriteKvVariantTest, MatchesRefExactly) {
  const WriteKvVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(21);
  for (const Scenario& sc : scenarios()) {
    Batch batch(sc, rng);
    batch.slot_mapping[batch.slot_mapping.size() / 2] = -1;  // padding rows are skipped
    KvStorage want(sc, batch.num_blocks), got(sc, batch.num_blocks);
    const int64_t n = static_cast<int64_t>(batch.slot_mapping.size());
    ref::write_kv(batch.k_rows.data(), batch.v_rows.data(), batch.slot_mapping.data(), n, want.layer);
    v.fn(batch.k_rows.data(), batch.v_rows.data(), batch.slot_mapping.data(), n, got.layer);
    EXPECT_TRUE(same_bits(got.k, want.k)) << v.name << " head_dim=" << sc.head_dim;
    EXPECT_TRUE(same_bits(got.v, want.v)) << v.name << " head_dim=" << sc.head_dim;

    // f16 storage: each written element is f32_to_f16 of the f32 one; the rest keep their NaN fill.
    std::vector<uint16_t> k16 = to_f16(std::vector<float>(want.k.size(), NAN)), v16 = k16;
    PagedKvLayer half = got.layer;
    half.k = k16.data();
    half.v = v16.data();
    half.dtype = DType::kF16;
    v.fn(batch.k_rows.data(), batch.v_rows.data(), batch.slot_mapping.data(), n, half);
    EXPECT_TRUE(same_bits(k16, to_f16(want.k))) << v.name << " f16 head_dim=" << sc.head_dim;
    EXPECT_TRUE(same_bits(v16, to_f16(want.v))) << v.name << " f16 head_dim=" << sc.head_dim;
  }
}
INSTANTIATE_TEST_SUITE_P(All, WriteKvVariantTest, ::testing::ValuesIn(testing::non_ref(write_kv_variants())),
                         testing::VariantName());

class PagedAttentionVariantTest : public ::testing::TestWithParam<const PagedAttentionVariant*> {};
TEST_P(PagedAttentionVariantTest, MatchesRef) {
  const PagedAttentionVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(22);
  testing::ErrorReport report("paged_attention");
  const int saved = compute_threads();
  for (const Scenario& sc : scenarios()) {
    Batch batch(sc, rng);
    KvStorage kv(sc, batch.num_blocks);
    ref::write_kv(batch.k_rows.data(), batch.v_rows.data(), batch.slot_mapping.data(),
                  static_cast<int64_t>(batch.slot_mapping.size()), kv.layer);
    const AttentionMetadata md = batch.metadata();
    const float scale = 1.0f / std::sqrt(static_cast<float>(sc.head_dim));
    std::vector<float> want(batch.q.size());
    ref::paged_attention(batch.q.data(), kv.layer, md, sc.n_heads, scale, want.data());
    // f16 K/V vs ref on f32 K/V rounded the same way.
    std::vector<uint16_t> k16 = to_f16(kv.k), v16 = to_f16(kv.v);
    PagedKvLayer half = kv.layer;
    half.k = k16.data();
    half.v = v16.data();
    half.dtype = DType::kF16;
    std::vector<float> k_rounded = round_through_f16(kv.k), v_rounded = round_through_f16(kv.v);
    PagedKvLayer rounded = kv.layer;
    rounded.k = k_rounded.data();
    rounded.v = v_rounded.data();
    std::vector<float> want16(batch.q.size()), got16(batch.q.size(), NAN);
    ref::paged_attention(batch.q.data(), rounded, md, sc.n_heads, scale, want16.data());
    v.fn(batch.q.data(), half, md, sc.n_heads, scale, got16.data());
    const float err16 = mms::testing::rel_error(got16.data(), want16.data(), want16.size());
    EXPECT_LE(err16, 1e-5f) << v.name << " f16 KV heads=" << sc.n_heads << "/" << sc.n_kv_heads
                            << " head_dim=" << sc.head_dim;
    report.add(std::string(v.name) + " f16 KV", err16);

    for (int threads : {saved, 1, 3}) {
      set_compute_threads(threads);
      std::vector<float> got(batch.q.size(), NAN);
      v.fn(batch.q.data(), kv.layer, md, sc.n_heads, scale, got.data());
      const float err = mms::testing::rel_error(got.data(), want.data(), want.size());
      EXPECT_LE(err, 1e-5f) << v.name << " heads=" << sc.n_heads << "/" << sc.n_kv_heads
                            << " head_dim=" << sc.head_dim << " threads=" << threads;
      report.add(std::string(v.name) + " head_dim=" + std::to_string(sc.head_dim) + " gqa=" +
                     std::to_string(sc.n_heads / sc.n_kv_heads),
                 err);
    }
  }
  set_compute_threads(saved);
}
INSTANTIATE_TEST_SUITE_P(All, PagedAttentionVariantTest,
                         ::testing::ValuesIn(testing::non_ref(paged_attention_variants())), testing::VariantName());

}  // namespace
}  // namespace mms::kernels
