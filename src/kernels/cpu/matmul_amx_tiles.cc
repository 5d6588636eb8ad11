// Matmul over bf16 weights in Layout::kTiles16x32 (kernels/matmul.h: prepare_weight), the amx_bf16
// variant's path for prepared weights:
//   M >= 2: AMX. y^T = W x^T with a 1 KiB W tile as tdpbf16ps's A operand (16 W rows x 32 k, contiguous)
//           and x^T as the B operand (x rounded to bf16 once per call, packed k-pair-major in blocks of 16
//           rows, zero-padded). Four W tiles share each x tile; a pass over K streams W in address order,
//           with the W rows prefetched into L1 a few steps ahead. At decode batch sizes this runs at the
//           memory roofline: one tdpbf16ps does a whole 1 KiB tile against up to 16 x rows, where the
//           row-major AVX512-BF16 GEMV (gemv_avx512_bf16.cc) is compute-bound at 8 rows and a row-major
//           AMX tile load touches 16 rows at once, more streams than the prefetchers follow (both
//           measured: BM_DecodeGemv_bf16 in benchmarks/kernels_bench.cc).
//   M == 1: exact f32 GEMV over the tiles (AVX-512), as the row-major path does at M = 1.
// Numerics for M >= 2 as the other bf16 paths: bf16 products, f32 sums; tdpbf16ps reads subnormal bf16
// inputs as zero.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/check.h"
#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"
#include "tensor/tensor.h"

#pragma GCC target("avx512f,avx512bw,avx512vl,amx-tile,amx-bf16")

namespace mms::kernels::cpu::avx512 {
namespace {

constexpr int64_t kTileElems = kTileRows * kTileCols;  // 512 bf16 = 1 KiB
constexpr int64_t kXCols = 16;                          // x rows per B tile (padded with zeros)
constexpr int64_t kGroupTiles = 4;                      // W tiles per pass: 4 C accumulators share each x tile
constexpr int64_t kPrefetchSteps = 4;                   // steps of k that the W prefetch runs ahead

// The 64-byte operand of ldtilecfg (palette 1).
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// tmm0-3: C (16 W rows x 16 x rows, f32); tmm4: B (16 k-pairs x 16 x rows); tmm5-7: A (16 W rows x 32 k).
void load_config() {
  TileConfig c;
  for (int t = 0; t < 8; ++t) c.rows[t] = kTileRows, c.colsb[t] = 64;
  _tile_loadconfig(&c);
  asm volatile("" ::: "memory");  // the config is read through a pointer GCC does not see
}

// x [M, K] f32 -> bf16 B tiles: block b (x rows 16b..16b+15) is K/2 words of 16 lanes; word (b, p, c)
// holds x[16b + c, 2p] in its low half and x[16b + c, 2p + 1] in its high half; rows >= M are zero.
// Rounding as f32_to_bf16 (nearest even, NaN stays NaN). K is a multiple of 32.
// Columns [k0, k1) of the block (multiples of 16).
void pack_x_block(const float* x, int64_t rows, int64_t K, int64_t k0, int64_t k1, int32_t* out) {
  const __m512i one = _mm512_set1_epi32(1), round = _mm512_set1_epi32(0x7fff);
  const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
  const __m512i quiet = _mm512_set1_epi32(0x00400000);
  const __m512i lo16 = _mm512_set1_epi64(0xffff), hi16 = _mm512_set1_epi64(0xffff0000);
  const __m256i index = _mm256_setr_epi32(0, 16, 32, 48, 64, 80, 96, 112);
  if (rows < kXCols) std::memset(out + k0 / 2 * kXCols, 0, static_cast<size_t>((k1 - k0) / 2 * kXCols) * 4);
  for (int64_t c = 0; c < rows; ++c) {
    for (int64_t k = k0; k < k1; k += 16) {
      const __m512i u = _mm512_loadu_si512(x + c * K + k);
      const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, abs_mask), inf);
      __m512i r = _mm512_add_epi32(_mm512_add_epi32(u, round), _mm512_and_si512(_mm512_srli_epi32(u, 16), one));
      r = _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(u, quiet));
      // Per 64-bit lane (x[2p], x[2p+1]): the two bf16 halves side by side in the low 32 bits.
      const __m512i pair = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi64(r, 16), lo16),
                                           _mm512_and_si512(_mm512_srli_epi64(r, 32), hi16));
      _mm256_i32scatter_epi32(out + (k / 2) * kXCols + c, index, _mm512_cvtepi64_epi32(pair), 4);
    }
  }
}

// C tile (16 W rows x 16 x rows, row stride 16) -> y[m, n0 .. n0 + 15] for the `rows` valid x rows
// (+ bias): column m of the tile is one gather.
void store_tile(const float* c, int64_t m0, int64_t rows, int64_t n0, const float* bias, float* y, int64_t N) {
  const __m512i column = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(static_cast<int>(kXCols)));
  const __m512 b = bias ? _mm512_loadu_ps(bias + n0) : _mm512_setzero_ps();
  for (int64_t m = 0; m < rows; ++m)
    _mm512_storeu_ps(y + (m0 + m) * N + n0, _mm512_add_ps(_mm512_i32gather_ps(column, c + m, 4), b));
}

// Four consecutive W tile rows (t0 .. t0 + 3) against one block of 16 x rows, over all of K.
void group4(const uint16_t* w, int64_t KB, int64_t t0, const int32_t* xb, bool prefetch, int64_t m0, int64_t rows,
            const float* bias, float* y, int64_t N) {
  const uint16_t* a0 = w + t0 * KB * kTileElems;
  const uint16_t* a1 = a0 + KB * kTileElems;
  const uint16_t* a2 = a1 + KB * kTileElems;
  const uint16_t* a3 = a2 + KB * kTileElems;
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (int64_t kb = 0; kb < KB; ++kb) {
    if (prefetch && kb + kPrefetchSteps < KB) {
      const int64_t off = (kb + kPrefetchSteps) * kTileElems;
      for (const uint16_t* a : {a0, a1, a2, a3})
        for (int64_t i = 0; i < kTileElems; i += 32) _mm_prefetch(reinterpret_cast<const char*>(a + off + i), _MM_HINT_T0);
    }
    const int64_t off = kb * kTileElems;
    _tile_loadd(4, xb + kb * kTileRows * kXCols, 64);
    _tile_loadd(5, a0 + off, 64);
    _tile_loadd(6, a1 + off, 64);
    _tile_loadd(7, a2 + off, 64);
    _tile_dpbf16ps(0, 5, 4);
    _tile_dpbf16ps(1, 6, 4);
    _tile_loadd(5, a3 + off, 64);
    _tile_dpbf16ps(2, 7, 4);
    _tile_dpbf16ps(3, 5, 4);
  }
  alignas(64) float c[kGroupTiles][kTileRows * kXCols];
  _tile_stored(0, c[0], 64);
  _tile_stored(1, c[1], 64);
  _tile_stored(2, c[2], 64);
  _tile_stored(3, c[3], 64);
  for (int64_t t = 0; t < kGroupTiles; ++t) store_tile(c[t], m0, rows, (t0 + t) * kTileRows, bias, y, N);
}

// One W tile row against one block of x rows (the last 1-3 tile rows of W).
void group1(const uint16_t* w, int64_t KB, int64_t t0, const int32_t* xb, int64_t m0, int64_t rows,
            const float* bias, float* y, int64_t N) {
  const uint16_t* a0 = w + t0 * KB * kTileElems;
  _tile_zero(0);
  for (int64_t kb = 0; kb < KB; ++kb) {
    _tile_loadd(4, xb + kb * kTileRows * kXCols, 64);
    _tile_loadd(5, a0 + kb * kTileElems, 64);
    _tile_dpbf16ps(0, 5, 4);
  }
  alignas(64) float c[kTileRows * kXCols];
  _tile_stored(0, c, 64);
  store_tile(c, m0, rows, t0 * kTileRows, bias, y, N);
}

void matmul_amx(const float* x, int64_t M, const uint16_t* w, int64_t N, int64_t K, const float* bias, float* y) {
  const int64_t KB = K / kTileCols, tiles = N / kTileRows;
  const int64_t blocks = (M + kXCols - 1) / kXCols;
  const int64_t block_words = K / 2 * kXCols;
  thread_local std::vector<int32_t> packed;
  packed.resize(static_cast<size_t>(blocks * block_words));
  int32_t* xp = packed.data();
  // Packing is split over the pool by blocks and by 512 columns, so a decode batch (one block) is not
  // packed by one thread while the other waits.
  constexpr int64_t kPackCols = 512;
  const int64_t chunks = (K + kPackCols - 1) / kPackCols;
  parallel_for(blocks * chunks, 1, [&](int64_t b, int64_t e) {
    for (int64_t j = b; j < e; ++j) {
      const int64_t i = j / chunks, k0 = j % chunks * kPackCols, k1 = std::min(K, k0 + kPackCols);
      pack_x_block(x + i * kXCols * K, std::min(kXCols, M - i * kXCols), K, k0, k1, xp + i * block_words);
    }
  });
  // Groups of 4 W tile rows (64 W rows) over the pool, each against every block of x: the group's W
  // comes from memory once (prefetched) and from L2 for the later blocks. At least ~64 KiB of W per task.
  const int64_t groups = (tiles + kGroupTiles - 1) / kGroupTiles;
  const int64_t grain = std::max<int64_t>(1, (int64_t{64} << 10) / (kGroupTiles * KB * kTileElems * 2 * blocks));
  parallel_for(groups, grain, [&](int64_t gb, int64_t ge) {
    load_config();
    for (int64_t g = gb; g < ge; ++g) {
      const int64_t t0 = g * kGroupTiles;
      for (int64_t i = 0; i < blocks; ++i) {
        const int64_t m0 = i * kXCols, rows = std::min(kXCols, M - m0);
        if (t0 + kGroupTiles <= tiles) {
          group4(w, KB, t0, xp + i * block_words, i == 0, m0, rows, bias, y, N);
        } else {
          for (int64_t t = t0; t < tiles; ++t) group1(w, KB, t, xp + i * block_words, m0, rows, bias, y, N);
        }
      }
    }
    _tile_release();
  });
}

// M == 1 in f32: 16 accumulators, one per W row of a tile. A tile row's 32 bf16 are 16 (even k, odd k)
// pairs: a shift and a mask make them two f32 vectors, multiplied by x's even and odd columns (split once
// per call), so widening costs no shuffles.
void gemv_f32(const float* x, const uint16_t* w, int64_t N, int64_t K, const float* bias, float* y) {
  const int64_t KB = K / kTileCols, tiles = N / kTileRows;
  thread_local std::vector<float> split;
  split.resize(static_cast<size_t>(K));
  float* xe = split.data();  // per 32 columns: 16 even, then 16 odd
  for (int64_t kb = 0; kb < KB; ++kb)
    for (int64_t j = 0; j < 16; ++j) {
      xe[kb * 32 + j] = x[kb * 32 + 2 * j];
      xe[kb * 32 + 16 + j] = x[kb * 32 + 2 * j + 1];
    }
  const int64_t grain = std::max<int64_t>(1, (int64_t{64} << 10) / (KB * kTileElems * 2));
  parallel_for(tiles, grain, [&](int64_t tb, int64_t te) {
    const __m512i hi_mask = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
    for (int64_t t = tb; t < te; ++t) {
      const uint16_t* a = w + t * KB * kTileElems;
      __m512 acc[kTileRows];
      for (auto& v : acc) v = _mm512_setzero_ps();
      for (int64_t kb = 0; kb < KB; ++kb, a += kTileElems) {  // one stream in address order
        const __m512 x_even = _mm512_loadu_ps(xe + kb * 32), x_odd = _mm512_loadu_ps(xe + kb * 32 + 16);
        for (int r = 0; r < kTileRows; ++r) {
          const __m512i v = _mm512_loadu_si512(a + r * kTileCols);
          acc[r] = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v, 16)), x_even, acc[r]);
          acc[r] = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v, hi_mask)), x_odd, acc[r]);
        }
      }
      for (int r = 0; r < kTileRows; ++r) {
        const int64_t n = t * kTileRows + r;
        y[n] = _mm512_reduce_add_ps(acc[r]) + (bias ? bias[n] : 0.f);
      }
    }
  });
}

}  // namespace

void matmul_amx_tiles(const float* x, int64_t M, const Tensor& w, const float* bias, float* y) {
  MMS_CHECK(w.ndim() == 2 && w.layout == Layout::kTiles16x32 && w.dtype == DType::kBF16);
  const int64_t N = w.dim(0), K = w.dim(1);
  MMS_CHECK(N % kTileRows == 0 && K % kTileCols == 0);
  if (M == 1) return gemv_f32(x, w.as<uint16_t>(), N, K, bias, y);
  if (M > 1) matmul_amx(x, M, w.as<uint16_t>(), N, K, bias, y);
}

}  // namespace mms::kernels::cpu::avx512
