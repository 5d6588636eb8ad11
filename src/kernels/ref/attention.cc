// Reference paged attention: one query row at a time, scores over the whole visible context, softmax,
// weighted sum of V. The executable spec for kernels/attention.h.
#include "kernels/attention.h"

#include <cmath>
#include <vector>

#include "common/check.h"

namespace mms::kernels::ref {

namespace {
// Element (head, position) of K or V for a sequence, through its block table.
const float* kv_row(const void* base, const PagedKvLayer& kv, const int32_t* block_table, int32_t head, int64_t pos) {
  const int64_t block = block_table[pos / kv.block_size];
  const int64_t offset = pos % kv.block_size;
  const int64_t idx = ((block * kv.n_kv_heads + head) * kv.block_size + offset) * kv.head_dim;
  return static_cast<const float*>(base) + idx;
}
}  // namespace

void write_kv(const float* k, const float* v, const int32_t* slot_mapping, int64_t T, const PagedKvLayer& kv) {
  MMS_CHECK_MSG(kv.dtype == DType::kF32, "ref::write_kv: f32 KV only");
  const int64_t row = static_cast<int64_t>(kv.n_kv_heads) * kv.head_dim;
  for (int64_t t = 0; t < T; ++t) {
    const int64_t slot = slot_mapping[t];
    if (slot < 0) continue;
    const int64_t block = slot / kv.block_size;
    const int64_t offset = slot % kv.block_size;
    MMS_CHECK(block < kv.num_blocks);
    for (int32_t h = 0; h < kv.n_kv_heads; ++h) {
      const int64_t dst = ((block * kv.n_kv_heads + h) * kv.block_size + offset) * kv.head_dim;
      for (int32_t d = 0; d < kv.head_dim; ++d) {
        static_cast<float*>(kv.k)[dst + d] = k[t * row + h * kv.head_dim + d];
        static_cast<float*>(kv.v)[dst + d] = v[t * row + h * kv.head_dim + d];
      }
    }
  }
}

void paged_attention(const float* q, const PagedKvLayer& kv, const AttentionMetadata& md, int32_t n_heads,
                     float scale, float* out) {
  MMS_CHECK_MSG(kv.dtype == DType::kF32, "ref::paged_attention: f32 KV only");
  MMS_CHECK(n_heads % kv.n_kv_heads == 0);
  const int32_t group = n_heads / kv.n_kv_heads;
  const int64_t D = kv.head_dim;
  std::vector<float> scores;
  for (int32_t s = 0; s < md.num_seqs; ++s) {
    const int32_t q0 = md.query_start_loc[s];
    const int32_t q_len = md.query_start_loc[s + 1] - q0;
    const int32_t ctx = md.seq_lens[s];
    const int32_t* table = md.block_tables + static_cast<int64_t>(s) * md.max_blocks_per_seq;
    for (int32_t i = 0; i < q_len; ++i) {
      const int64_t pos = ctx - q_len + i;
      const int64_t t = q0 + i;
      for (int32_t h = 0; h < n_heads; ++h) {
        const int32_t kvh = h / group;
        const float* qv = q + (t * n_heads + h) * D;
        scores.assign(static_cast<size_t>(pos + 1), 0.f);
        float m = -INFINITY;
        for (int64_t p = 0; p <= pos; ++p) {
          const float* kr = kv_row(kv.k, kv, table, kvh, p);
          float dot = 0;
          for (int64_t d = 0; d < D; ++d) dot += qv[d] * kr[d];
          scores[p] = dot * scale;
          m = std::fmax(m, scores[p]);
        }
        double sum = 0;
        for (int64_t p = 0; p <= pos; ++p) {
          scores[p] = std::exp(scores[p] - m);
          sum += scores[p];
        }
        float* o = out + (t * n_heads + h) * D;
        for (int64_t d = 0; d < D; ++d) o[d] = 0;
        for (int64_t p = 0; p <= pos; ++p) {
          const float w = static_cast<float>(scores[p] / sum);
          const float* vr = kv_row(kv.v, kv, table, kvh, p);
          for (int64_t d = 0; d < D; ++d) o[d] += w * vr[d];
        }
      }
    }
  }
}

}  // namespace mms::kernels::ref
