#include "kernels/varlen_attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace mms::kernels::ref {

// Row by row: scores against every key of the sequence, softmax, weighted sum of the values.
void varlen_attention(const VarlenAttentionArgs& a) {
  const int64_t D = a.head_dim;
  std::vector<float> scores;
  for (int32_t s = 0; s < a.num_seqs; ++s) {
    const int32_t k0 = a.cu_seqlens_k[s], k1 = a.cu_seqlens_k[s + 1];
    scores.resize(static_cast<size_t>(std::max(k1 - k0, 0)));
    for (int32_t i = a.cu_seqlens_q[s]; i < a.cu_seqlens_q[s + 1]; ++i) {
      for (int32_t h = 0; h < a.n_heads; ++h) {
        const float* q = a.q + i * a.q_stride + h * D;
        float* o = a.out + i * a.out_stride + h * D;
        float max_score = -INFINITY;
        for (int32_t j = k0; j < k1; ++j) {
          const float* k = a.k + j * a.kv_stride + h * D;
          float dot = 0;
          for (int64_t d = 0; d < D; ++d) dot += q[d] * k[d];
          scores[j - k0] = dot * a.scale;
          max_score = std::max(max_score, scores[j - k0]);
        }
        float sum = 0;
        for (int32_t j = k0; j < k1; ++j) {
          scores[j - k0] = std::exp(scores[j - k0] - max_score);
          sum += scores[j - k0];
        }
        for (int64_t d = 0; d < D; ++d) o[d] = 0;
        for (int32_t j = k0; j < k1; ++j) {
          const float p = scores[j - k0] / sum;
          const float* v = a.v + j * a.kv_stride + h * D;
          for (int64_t d = 0; d < D; ++d) o[d] += p * v[d];
        }
      }
    }
  }
}

}  // namespace mms::kernels::ref
