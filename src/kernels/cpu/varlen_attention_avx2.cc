// Varlen bidirectional attention on oneDNN's sgemm with an AVX2 softmax between the two products. A work item is
// (sequence, head, block of query rows): S = scale * Qb K^T into a per-thread scratch [rows, n_keys], each row's
// softmax normalized in place, then Ob = P V. Blocks are sized so S stays about 1 MiB (L2). Items go to the
// compute threads through a shared counter; an item's arithmetic is the same whichever thread takes it, so the
// result does not depend on scheduling. sgemm runs single-threaded inside the pool's parallel region
// (see matmul_dnnl.cc).
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "common/check.h"
#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"

#pragma GCC target("avx2,fma,f16c")  // below here only; see matmul_avx2.cc
#include "kernels/cpu/simd_avx2.h"

namespace mms::kernels::cpu::avx2 {
namespace {

struct Item {
  int32_t seq, head, q_begin, q_end;
};

// Rows of a query block: S (rows x n_keys floats) of at most 2 Mi floats (8 MiB, measured best on a 2 MiB-L2 core
// at 1024-4784 keys), 16..512 rows.
int32_t block_rows(int32_t n_keys) {
  const int32_t rows = 2097152 / std::max(n_keys, 1);
  return std::clamp(rows / 16 * 16, 16, 512);
}

// In place: each of the rows of s[rows, n] becomes softmax(row).
void softmax_rows(float* s, int64_t rows, int64_t n) {
  const int64_t nv = n / 8 * 8;
  for (int64_t r = 0; r < rows; ++r) {
    float* row = s + r * n;
    __m256 vmax = _mm256_set1_ps(-INFINITY);
    int64_t j = 0;
    for (; j < nv; j += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(row + j));
    float m = hmax(vmax);
    for (; j < n; ++j) m = std::max(m, row[j]);
    const __m256 vm = _mm256_set1_ps(m);
    __m256 vsum = _mm256_setzero_ps();
    for (j = 0; j < nv; j += 8) {
      const __m256 e = avx2::exp(_mm256_sub_ps(_mm256_loadu_ps(row + j), vm));
      _mm256_storeu_ps(row + j, e);
      vsum = _mm256_add_ps(vsum, e);
    }
    float sum = hsum(vsum);
    for (; j < n; ++j) {
      row[j] = std::exp(row[j] - m);
      sum += row[j];
    }
    const __m256 inv = _mm256_set1_ps(1.0f / sum);
    for (j = 0; j < nv; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inv));
    for (; j < n; ++j) row[j] *= 1.0f / sum;
  }
}

void run_item(const VarlenAttentionArgs& a, const Item& it, std::vector<float>& scratch) {
  const int64_t D = a.head_dim;
  const int32_t k0 = a.cu_seqlens_k[it.seq];
  const int32_t n = a.cu_seqlens_k[it.seq + 1] - k0;
  const int32_t m = it.q_end - it.q_begin;
  float* out = a.out + it.q_begin * a.out_stride + it.head * D;
  if (n <= 0) {
    for (int32_t r = 0; r < m; ++r) std::fill(out + r * a.out_stride, out + r * a.out_stride + D, 0.0f);
    return;
  }
  scratch.resize(static_cast<size_t>(m) * n);
  const float* q = a.q + it.q_begin * a.q_stride + it.head * D;
  const float* k = a.k + k0 * a.kv_stride + it.head * D;
  const float* v = a.v + k0 * a.kv_stride + it.head * D;
  dnnl_status_t st = dnnl_sgemm('N', 'T', m, n, D, a.scale, q, a.q_stride, k, a.kv_stride, 0.f, scratch.data(), n);
  MMS_CHECK_MSG(st == dnnl_success, "varlen_attention: dnnl_sgemm (scores) failed");
  softmax_rows(scratch.data(), m, n);
  st = dnnl_sgemm('N', 'N', m, D, n, 1.f, scratch.data(), n, v, a.kv_stride, 0.f, out, a.out_stride);
  MMS_CHECK_MSG(st == dnnl_success, "varlen_attention: dnnl_sgemm (values) failed");
}

}  // namespace

void varlen_attention(const VarlenAttentionArgs& a) {
  // At least ~4 items per compute thread when there are enough rows, so that one head's block of query rows
  // still spreads over the pool.
  int64_t head_rows = 0;
  for (int32_t s = 0; s < a.num_seqs; ++s) head_rows += int64_t{a.cu_seqlens_q[s + 1] - a.cu_seqlens_q[s]} * a.n_heads;
  const int64_t spread = (head_rows / (4 * compute_threads()) + 15) / 16 * 16;
  std::vector<Item> items;
  for (int32_t s = 0; s < a.num_seqs; ++s) {
    const int32_t q0 = a.cu_seqlens_q[s], q1 = a.cu_seqlens_q[s + 1];
    const auto rows = static_cast<int32_t>(
        std::min<int64_t>(block_rows(a.cu_seqlens_k[s + 1] - a.cu_seqlens_k[s]), std::max<int64_t>(16, spread)));
    for (int32_t h = 0; h < a.n_heads; ++h)
      for (int32_t b = q0; b < q1; b += rows) items.push_back({s, h, b, std::min(q1, b + rows)});
  }
  std::atomic<size_t> next{0};
  parallel_run([&](int, int) {
    thread_local std::vector<float> scratch;
    for (size_t i = next.fetch_add(1); i < items.size(); i = next.fetch_add(1)) run_item(a, items[i], scratch);
  });
}

}  // namespace mms::kernels::cpu::avx2
