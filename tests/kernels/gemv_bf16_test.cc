// The bf16 kernels behind the amx_bf16 matmul variant, each on its own: the row-major AVX512-BF16 GEMV
// (gemv_avx512_bf16.cc) and the tile-layout AMX matmul (matmul_amx_tiles.cc), against ref::matmul on x
// rounded to bf16 first. Both multiply bf16 by bf16 exactly in f32, so only the order of the f32 sums
// differs and the tolerance is tight. Also the fast row-major -> tiles copy against ref::to_tiles.
// Skipped where the CPU lacks AVX512-BF16 or usable AMX.
#include <gtest/gtest.h>

#include <cstring>
#include <iterator>
#include <vector>

#include "common/compute_pool.h"
#include "common/cpu_features.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/kernel_test_util.h"
#include "kernels/matmul.h"

namespace mms::kernels {
namespace {

using MatmulFn = void (*)(const float*, int64_t, const Tensor&, const float*, float*);

struct Case {
  int64_t M, N, K;
};

// `fn` on W (tiled first when `tiles`) against ref on bf16-rounded x.
void check(MatmulFn fn, bool tiles, const std::vector<Case>& cases, uint32_t seed) {
  std::mt19937 rng(seed);
  for (const Case& c : cases) {
    for (bool with_bias : {false, true}) {
      testing::RandomWeights w(rng, DType::kBF16, c.N, c.K);
      std::vector<uint16_t> tiled(w.half.size());
      const Tensor wt = tiles ? cpu::to_tiles(w.tensor, tiled.data()) : w.tensor;
      const auto x = mms::testing::random_floats(rng, static_cast<size_t>(c.M * c.K));
      const auto bias = mms::testing::random_floats(rng, static_cast<size_t>(c.N));
      std::vector<float> xb(x.size());
      for (size_t i = 0; i < x.size(); ++i) xb[i] = c.M >= 2 ? bf16_to_f32(f32_to_bf16(x[i])) : x[i];
      std::vector<float> want(static_cast<size_t>(c.M * c.N)), got(want.size(), NAN);
      ref::matmul(xb.data(), c.M, w.tensor, with_bias ? bias.data() : nullptr, want.data());
      fn(x.data(), c.M, wt, with_bias ? bias.data() : nullptr, got.data());
      EXPECT_LE(mms::testing::rel_error(got.data(), want.data(), want.size()), 1e-5f)
          << "M=" << c.M << " N=" << c.N << " K=" << c.K << " bias=" << with_bias;
    }
  }
}

// N a multiple of 16 and K of 32 (the tile layout); N: whole groups of 4 tile rows, groups plus 1-3 tile
// rows, fewer than a group; M: the f32 GEMV (1), decode batches, GEMM shapes with a partial block of 16.
const std::vector<Case> kTileCases = {
    {1, 64, 32},   {1, 48, 896},  {2, 64, 896},   {3, 80, 64},  {5, 16, 32},    {7, 304, 64}, {8, 896, 896},
    {8, 128, 4864}, {9, 16, 160}, {12, 48, 128}, {16, 256, 896}, {17, 112, 64}, {33, 64, 96}, {100, 208, 128},
};

TEST(AmxTiles, MatchesRefOnBf16RoundedX) {
  if (!cpu_features().amx_usable) GTEST_SKIP() << "no usable AMX on this CPU";
  check(cpu::avx512::matmul_amx_tiles, true, kTileCases, 7);
}

// The kernel rounds x to bf16 with its own vector code: through an identity W, y is that rounding exactly,
// and it must equal f32_to_bf16 on ties (to even, both ways), carries into the exponent and the largest
// finite values. What a matmul cannot show: values that round to infinity (infinity times W's zeros is
// NaN), -0 (-0 + 0 = +0) and subnormal bf16 (tdpbf16ps reads them as zero).
TEST(AmxTiles, RoundsXExactlyLikeF32ToBf16) {
  if (!cpu_features().amx_usable) GTEST_SKIP() << "no usable AMX on this CPU";
  const int64_t M = 2, N = 32, K = 32;
  std::vector<uint16_t> eye(static_cast<size_t>(N * K), 0), tiles(eye.size());
  for (int64_t i = 0; i < N; ++i) eye[static_cast<size_t>(i * K + i)] = f32_to_bf16(1.f);
  const Tensor w = cpu::to_tiles(Tensor(eye.data(), DType::kBF16, Shape{N, K}), tiles.data());
  const uint32_t bits[] = {0x3f808000, 0x3f818000, 0x3f808001, 0x3f80ffff, 0x3fffffff, 0x7f7f0000, 0xff7f7fff,
                           0x00000001, 0x00800000, 0x007fffff, 0x00000000, 0xbf818000, 0x4b7fffff, 0x3f800000};
  std::vector<float> x(static_cast<size_t>(M * K));
  for (size_t i = 0; i < x.size(); ++i) std::memcpy(&x[i], &bits[i % std::size(bits)], 4);
  std::vector<float> y(static_cast<size_t>(M * N), NAN);
  cpu::avx512::matmul_amx_tiles(x.data(), M, w, nullptr, y.data());
  for (size_t i = 0; i < x.size(); ++i) {
    const uint16_t want = f32_to_bf16(x[i]);
    uint32_t got_bits;
    std::memcpy(&got_bits, &y[i], 4);
    EXPECT_EQ(got_bits, uint32_t{want} << 16) << "x bits " << std::hex << bits[i % std::size(bits)];
  }
}

TEST(AmxTiles, MoreThreadsThanCores) {
  if (!cpu_features().amx_usable) GTEST_SKIP() << "no usable AMX on this CPU";
  const int saved = compute_threads();
  set_compute_threads(5);
  check(cpu::avx512::matmul_amx_tiles, true, {{1, 1104, 64}, {8, 1104, 64}, {40, 4864, 96}}, 10);
  set_compute_threads(saved);
}

TEST(AmxTiles, FastCopyMatchesRefLayout) {
  std::mt19937 rng(12);
  testing::RandomWeights w(rng, DType::kBF16, 80, 160);
  std::vector<uint16_t> fast(w.half.size()), slow(w.half.size());
  const Tensor a = cpu::to_tiles(w.tensor, fast.data());
  const Tensor b = ref::to_tiles(w.tensor, slow.data());
  EXPECT_EQ(fast, slow);
  EXPECT_EQ(a.layout, Layout::kTiles16x32);
  EXPECT_EQ(b.layout, Layout::kTiles16x32);
}

TEST(GemvBf16Dp, MatchesRefOnBf16RoundedX) {
  if (!cpu_features().avx512_bf16) GTEST_SKIP() << "no AVX512-BF16 on this CPU";
  std::vector<Case> cases;
  for (const Case& c : kTileCases)
    if (c.M >= 2 && c.M <= cpu::kGemvMaxRows) cases.push_back(c);
  check(cpu::avx512::gemv_bf16_dp, false, cases, 8);
  check(cpu::avx512::gemv_bf16_dp, false, {{2, 17, 33}, {5, 3, 1}, {9, 31, 100}, {16, 9, 7}}, 9);  // odd sizes
  const int saved = compute_threads();
  set_compute_threads(5);
  check(cpu::avx512::gemv_bf16_dp, false, {{8, 1100, 64}, {3, 4865, 96}}, 11);
  set_compute_threads(saved);
}

}  // namespace
}  // namespace mms::kernels
