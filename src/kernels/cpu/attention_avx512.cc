// AVX-512 paged attention over the work items of attention_items.h, the same online softmax as the AVX2
// kernel (attention_avx2.cc) with the work laid out for 16-lane vectors:
//   - a row's scores for 16 positions of a KV block are 16 dot products accumulated side by side (one
//     register per position, so FMAs do not wait on each other) and reduced into one vector by a
//     transposing add tree: one exp, max and sum per 16 positions instead of per 8;
//   - P V for those 16 positions is 64 output columns at a time, split over two accumulator sets by
//     position parity so that 8 FMA chains are in flight;
//   - the next KV block of the item is prefetched while the group's rows read the current one (blocks of a
//     sequence are scattered, so the hardware prefetchers do not follow them).
// K/V f32 or f16 (vcvtph2ps); any head_dim (the last partial 16 columns through masks).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "common/check.h"
#include "kernels/cpu/attention_items.h"
#include "kernels/cpu/cpu_kernels.h"

#pragma GCC target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")  // below here only; see matmul_avx2.cc
#include "kernels/cpu/simd_avx2.h"

namespace mms::kernels::cpu::avx512 {
namespace {

constexpr int32_t kQueryBlock = 16;
constexpr int64_t kChunk = 16;  // positions per score vector

template <DType KT>
using KvElem = std::conditional_t<KT == DType::kF32, float, uint16_t>;

// 16 elements (lanes outside `mask` zero) as f32.
template <DType KT>
inline __m512 load16(const KvElem<KT>* p, __mmask16 mask) {
  if constexpr (KT == DType::kF32) {
    return _mm512_maskz_loadu_ps(mask, p);
  } else {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, p));
  }
}

inline __m512 exp16(__m512 x) {
  const __m256 lo = avx2::exp(_mm512_castps512_ps256(x));
  const __m256 hi = avx2::exp(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo)), _mm256_castps_pd(hi), 1));
}

// {sum(a[0]), sum(a[1]), ..., sum(a[15])}.
inline __m512 hsum16(const __m512 (&a)[16]) {
  // Pairs: per 128-bit lane, partial sums of a[2i] in elements 0 and 2, of a[2i+1] in 1 and 3.
  __m512 u[8];
  for (int i = 0; i < 8; ++i)
    u[i] = _mm512_add_ps(_mm512_unpacklo_ps(a[2 * i], a[2 * i + 1]), _mm512_unpackhi_ps(a[2 * i], a[2 * i + 1]));
  // Quads: per 128-bit lane L, {sum_L a[4i], sum_L a[4i+1], sum_L a[4i+2], sum_L a[4i+3]}.
  __m512 v[4];
  for (int i = 0; i < 4; ++i)
    v[i] = _mm512_add_ps(_mm512_shuffle_ps(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(u[2 * i], u[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  // Across 128-bit lanes: two rounds of pairwise lane sums leave lane i holding a[4i .. 4i+3]'s totals.
  const __m512 w0 = _mm512_add_ps(_mm512_shuffle_f32x4(v[0], v[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                  _mm512_shuffle_f32x4(v[0], v[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512 w1 = _mm512_add_ps(_mm512_shuffle_f32x4(v[2], v[3], _MM_SHUFFLE(2, 0, 2, 0)),
                                  _mm512_shuffle_f32x4(v[2], v[3], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_add_ps(_mm512_shuffle_f32x4(w0, w1, _MM_SHUFFLE(2, 0, 2, 0)),
                       _mm512_shuffle_f32x4(w0, w1, _MM_SHUFFLE(3, 1, 3, 1)));
}

// Scores of one query row against K rows [0, n) of kb (n <= 16, row stride D): lane j = dot(q, k_j).
// Lanes >= n are 0 and no K row past n is read.
template <DType KT>
inline __m512 chunk_scores(const float* q, const KvElem<KT>* kb, int64_t n, int64_t D, __mmask16 tail) {
  __m512 a[16];
  for (auto& v : a) v = _mm512_setzero_ps();
  for (int64_t d = 0; d < D; d += 16) {
    const __mmask16 mask = d + 16 <= D ? __mmask16(0xffff) : tail;
    const __m512 qv = _mm512_maskz_loadu_ps(mask, q + d);
    if (n == kChunk) {
      for (int j = 0; j < 16; ++j) a[j] = _mm512_fmadd_ps(qv, load16<KT>(kb + j * D + d, mask), a[j]);
    } else {
      for (int j = 0; j < 16; ++j)
        if (j < n) a[j] = _mm512_fmadd_ps(qv, load16<KT>(kb + j * D + d, mask), a[j]);
    }
  }
  return hsum16(a);
}

// acc[0, D) = acc * corr + sum_{j < n} p[j] * v_j.
template <DType KT>
inline void accumulate_pv(const float* p, const KvElem<KT>* vb, int64_t n, int64_t D, __mmask16 tail, float corr,
                          float* acc) {
  const __m512 vcorr = _mm512_set1_ps(corr);
  for (int64_t d0 = 0; d0 < D; d0 += 64) {
    __m512 e[4], o[4];
    __mmask16 mask[4];
    for (int c = 0; c < 4; ++c) {
      const int64_t d = d0 + 16 * c;
      mask[c] = d + 16 <= D ? __mmask16(0xffff) : d < D ? tail : __mmask16(0);
      e[c] = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask[c], acc + d), vcorr);
      o[c] = _mm512_setzero_ps();
    }
    int64_t j = 0;
    for (; j + 2 <= n; j += 2) {
      const __m512 pe = _mm512_set1_ps(p[j]), po = _mm512_set1_ps(p[j + 1]);
      const KvElem<KT>* ve = vb + j * D + d0;
      const KvElem<KT>* vo = ve + D;
      for (int c = 0; c < 4; ++c) {
        e[c] = _mm512_fmadd_ps(pe, load16<KT>(ve + 16 * c, mask[c]), e[c]);
        o[c] = _mm512_fmadd_ps(po, load16<KT>(vo + 16 * c, mask[c]), o[c]);
      }
    }
    if (j < n) {
      const __m512 pe = _mm512_set1_ps(p[j]);
      const KvElem<KT>* ve = vb + j * D + d0;
      for (int c = 0; c < 4; ++c) e[c] = _mm512_fmadd_ps(pe, load16<KT>(ve + 16 * c, mask[c]), e[c]);
    }
    for (int c = 0; c < 4; ++c) _mm512_mask_storeu_ps(acc + d0 + 16 * c, mask[c], _mm512_add_ps(e[c], o[c]));
  }
}

void prefetch(const void* p, int64_t bytes) {
  const char* c = static_cast<const char*>(p);
  for (int64_t i = 0; i < bytes; i += 64) _mm_prefetch(c + i, _MM_HINT_T0);
}

struct Scratch {
  std::vector<float> acc;  // [rows, D] unnormalized outputs
  std::vector<float> m;    // [rows] running max of scaled scores
  std::vector<float> l;    // [rows] running sum of exp(score - m)
  std::vector<float> p;     // [rows, 16] one chunk's scores, then their exps
  std::vector<float> corr;  // [rows] exp(old m - new m) of the chunk
  std::vector<int32_t> n;   // [rows] positions of the chunk the row sees
};

template <DType KT>
void attend(const float* q, const PagedKvLayer& kv, const AttentionMetadata& md, int32_t n_heads, float scale,
            const AttentionItem& it, Scratch& sc, float* out) {
  const ItemRows g(kv, md, n_heads, it);
  const int64_t D = g.D, bs = g.bs, rows = g.rows, last_pos = g.last_pos;
  const __mmask16 tail = static_cast<__mmask16>(D % 16 == 0 ? 0xffff : (1u << (D % 16)) - 1);
  const int64_t block_bytes = bs * D * static_cast<int64_t>(sizeof(KvElem<KT>));

  sc.acc.assign(static_cast<size_t>(rows * D), 0.f);
  sc.m.assign(static_cast<size_t>(rows), -INFINITY);
  sc.l.assign(static_cast<size_t>(rows), 0.f);
  sc.p.resize(static_cast<size_t>(rows * kChunk));
  sc.corr.resize(static_cast<size_t>(rows));
  sc.n.resize(static_cast<size_t>(rows));
  const __m512 vscale = _mm512_set1_ps(scale);
  for (int64_t p0 = 0; p0 <= last_pos; p0 += bs) {
    const int64_t base = g.kv_base(p0);
    if (p0 + bs <= last_pos) {
      const int64_t next = g.kv_base(p0 + bs);
      prefetch(static_cast<const KvElem<KT>*>(kv.k) + next, block_bytes);
      prefetch(static_cast<const KvElem<KT>*>(kv.v) + next, block_bytes);
    }
    for (int64_t c0 = 0; c0 < bs && p0 + c0 <= last_pos; c0 += kChunk) {
      const KvElem<KT>* kb = static_cast<const KvElem<KT>*>(kv.k) + base + c0 * D;
      const KvElem<KT>* vb = static_cast<const KvElem<KT>*>(kv.v) + base + c0 * D;
      // Three passes over the rows, each a short loop body without a chain from one row to the next, so
      // the out-of-order core overlaps rows: a row's exp waits on its reduced scores, its P V on its exps.
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t n = std::min({kChunk, bs - c0, g.position(r) - p0 - c0 + 1});  // causal: <= the row's
        sc.n[r] = static_cast<int32_t>(std::max<int64_t>(n, 0));
        if (n <= 0) continue;
        const __mmask16 valid = static_cast<__mmask16>((1u << n) - 1);
        _mm512_storeu_ps(&sc.p[r * kChunk],
                        _mm512_mask_mov_ps(_mm512_set1_ps(-INFINITY), valid,
                                           _mm512_mul_ps(chunk_scores<KT>(q + g.offset(r), kb, n, D, tail), vscale)));
      }
      for (int64_t r = 0; r < rows; ++r) {
        if (sc.n[r] == 0) continue;
        const __m512 s = _mm512_loadu_ps(&sc.p[r * kChunk]);
        const float m_new = std::max(sc.m[r], _mm512_reduce_max_ps(s));
        sc.corr[r] = std::exp(sc.m[r] - m_new);  // 0 on the first chunk (m = -inf)
        sc.m[r] = m_new;
        const __m512 e = exp16(_mm512_sub_ps(s, _mm512_set1_ps(m_new)));  // 0 in lanes >= n
        sc.l[r] = sc.l[r] * sc.corr[r] + _mm512_reduce_add_ps(e);
        _mm512_storeu_ps(&sc.p[r * kChunk], e);
      }
      for (int64_t r = 0; r < rows; ++r)
        if (sc.n[r] > 0) accumulate_pv<KT>(&sc.p[r * kChunk], vb, sc.n[r], D, tail, sc.corr[r], sc.acc.data() + r * D);
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

}  // namespace mms::kernels::cpu::avx512
