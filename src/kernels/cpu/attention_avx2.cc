// AVX2 paged attention, flash-attention style, over the work items of attention_items.h. An item walks the
// sequence's KV blocks in order up to its last row's position, keeping per row a running max m, sum l and
// unnormalized output acc (online softmax), so no [q_len, ctx] score matrix is ever built.
// K/V may be f32 or f16 (converted to f32 in registers with F16C).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "common/check.h"
#include "common/compute_pool.h"
#include "kernels/cpu/attention_items.h"
#include "kernels/cpu/cpu_kernels.h"

#pragma GCC target("avx2,fma,f16c")  // below here only; see matmul_avx2.cc
#include "kernels/cpu/simd_avx2.h"

namespace mms::kernels::cpu::avx2 {
namespace {

constexpr int32_t kQueryBlock = 16;

struct Scratch {
  std::vector<float> acc;  // [rows, D] unnormalized outputs
  std::vector<float> m;    // [rows] running max of scaled scores
  std::vector<float> l;    // [rows] running sum of exp(score - m)
  std::vector<float> p;    // [block_size rounded up to 8] scores of one block, then their exps
};

// K/V element type: float for f32, uint16_t (bits) for f16.
template <DType KT>
using KvElem = std::conditional_t<KT == DType::kF32, float, uint16_t>;

// s[j] = scale * dot(q, K row j) for the n rows of kb (row stride D).
template <DType KT>
void block_scores(const float* q, const KvElem<KT>* kb, int64_t n, int64_t D, float scale, float* s) {
  const int64_t dv = D / 8 * 8;
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const KvElem<KT>* k0 = kb + j * D;
    const KvElem<KT>* k1 = k0 + D;
    const KvElem<KT>* k2 = k1 + D;
    const KvElem<KT>* k3 = k2 + D;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t d = 0; d < dv; d += 8) {
      const __m256 qv = _mm256_loadu_ps(q + d);
      a0 = _mm256_fmadd_ps(qv, load8<KT>(k0, d), a0);
      a1 = _mm256_fmadd_ps(qv, load8<KT>(k1, d), a1);
      a2 = _mm256_fmadd_ps(qv, load8<KT>(k2, d), a2);
      a3 = _mm256_fmadd_ps(qv, load8<KT>(k3, d), a3);
    }
    float tail[4] = {0, 0, 0, 0};
    for (int64_t d = dv; d < D; ++d) {
      tail[0] += q[d] * load1<KT>(k0, d);
      tail[1] += q[d] * load1<KT>(k1, d);
      tail[2] += q[d] * load1<KT>(k2, d);
      tail[3] += q[d] * load1<KT>(k3, d);
    }
    const __m128 dots = _mm_add_ps(hsum4(a0, a1, a2, a3), _mm_loadu_ps(tail));
    _mm_storeu_ps(s + j, _mm_mul_ps(dots, _mm_set1_ps(scale)));
  }
  for (; j < n; ++j) {
    const KvElem<KT>* k = kb + j * D;
    __m256 a = _mm256_setzero_ps();
    for (int64_t d = 0; d < dv; d += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), load8<KT>(k, d), a);
    float dot = hsum(a);
    for (int64_t d = dv; d < D; ++d) dot += q[d] * load1<KT>(k, d);
    s[j] = dot * scale;
  }
}

// Folds one block's n scores s (room for n rounded up to 8) of one row into its m, l, acc[D].
template <DType KT>
void online_softmax_step(float* s, int64_t n, const KvElem<KT>* vb, int64_t D, float* m, float* l, float* acc) {
  float block_max = s[0];
  for (int64_t j = 1; j < n; ++j) block_max = std::max(block_max, s[j]);
  const float m_new = std::max(*m, block_max);
  const float corr = std::exp(*m - m_new);  // 0 on the first block (m = -inf)
  *m = m_new;
  const int64_t n8 = (n + 7) / 8 * 8;
  for (int64_t j = n; j < n8; ++j) s[j] = -INFINITY;  // exp() gives 0
  __m256 sum = _mm256_setzero_ps();
  for (int64_t j = 0; j < n8; j += 8) {
    const __m256 e = avx2::exp(_mm256_sub_ps(_mm256_loadu_ps(s + j), _mm256_set1_ps(m_new)));
    _mm256_storeu_ps(s + j, e);
    sum = _mm256_add_ps(sum, e);
  }
  *l = *l * corr + hsum(sum);

  const __m256 vcorr = _mm256_set1_ps(corr);
  int64_t d = 0;
  for (; d + 32 <= D; d += 32) {
    __m256 a0 = _mm256_mul_ps(_mm256_loadu_ps(acc + d), vcorr);
    __m256 a1 = _mm256_mul_ps(_mm256_loadu_ps(acc + d + 8), vcorr);
    __m256 a2 = _mm256_mul_ps(_mm256_loadu_ps(acc + d + 16), vcorr);
    __m256 a3 = _mm256_mul_ps(_mm256_loadu_ps(acc + d + 24), vcorr);
    for (int64_t j = 0; j < n; ++j) {
      const __m256 pj = _mm256_broadcast_ss(s + j);
      const KvElem<KT>* v = vb + j * D + d;
      a0 = _mm256_fmadd_ps(pj, load8<KT>(v, 0), a0);
      a1 = _mm256_fmadd_ps(pj, load8<KT>(v, 8), a1);
      a2 = _mm256_fmadd_ps(pj, load8<KT>(v, 16), a2);
      a3 = _mm256_fmadd_ps(pj, load8<KT>(v, 24), a3);
    }
    _mm256_storeu_ps(acc + d, a0);
    _mm256_storeu_ps(acc + d + 8, a1);
    _mm256_storeu_ps(acc + d + 16, a2);
    _mm256_storeu_ps(acc + d + 24, a3);
  }
  for (; d + 8 <= D; d += 8) {
    __m256 a = _mm256_mul_ps(_mm256_loadu_ps(acc + d), vcorr);
    for (int64_t j = 0; j < n; ++j) a = _mm256_fmadd_ps(_mm256_broadcast_ss(s + j), load8<KT>(vb, j * D + d), a);
    _mm256_storeu_ps(acc + d, a);
  }
  for (; d < D; ++d) {
    float a = acc[d] * corr;
    for (int64_t j = 0; j < n; ++j) a += s[j] * load1<KT>(vb, j * D + d);
    acc[d] = a;
  }
}

template <DType KT>
void attend(const float* q, const PagedKvLayer& kv, const AttentionMetadata& md, int32_t n_heads, float scale,
            const AttentionItem& it, Scratch& sc, float* out) {
  const ItemRows g(kv, md, n_heads, it);
  const int64_t D = g.D, bs = g.bs, rows = g.rows;
  sc.acc.assign(static_cast<size_t>(rows * D), 0.f);
  sc.m.assign(static_cast<size_t>(rows), -INFINITY);
  sc.l.assign(static_cast<size_t>(rows), 0.f);
  sc.p.resize(static_cast<size_t>((bs + 7) / 8 * 8));

  for (int64_t p0 = 0; p0 <= g.last_pos; p0 += bs) {
    const int64_t base = g.kv_base(p0);
    const KvElem<KT>* kb = static_cast<const KvElem<KT>*>(kv.k) + base;
    const KvElem<KT>* vb = static_cast<const KvElem<KT>*>(kv.v) + base;
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t n = std::min(bs, g.position(r) - p0 + 1);  // causal: positions <= the row's
      if (n <= 0) continue;
      block_scores<KT>(q + g.offset(r), kb, n, D, scale, sc.p.data());
      online_softmax_step<KT>(sc.p.data(), n, vb, D, &sc.m[r], &sc.l[r], sc.acc.data() + r * D);
    }
  }
  g.write_normalized(sc.acc.data(), sc.l.data(), out);
}

}  // namespace

void paged_attention(const float* q, const PagedKvLayer& kv, const AttentionMetadata& md, int32_t n_heads,
                     float scale, float* out) {
  run_paged_attention(kv, md, n_heads, kQueryBlock, [&](auto kv_dtype, const AttentionItem& it) {
    thread_local Scratch scratch;
    attend<decltype(kv_dtype)::value>(q, kv, md, n_heads, scale, it, scratch, out);
  });
}

}  // namespace mms::kernels::cpu::avx2
