// Every matmul variant against ref::matmul on random inputs: decode shapes (GEMV path), prefill shapes
// (oneDNN path, several W panels per thread), odd sizes, all weight dtypes, with and without bias.
#include "kernels/matmul.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/kernel_test_util.h"
#include "kernels/variants.h"

namespace mms::kernels {
namespace {

using testing::ErrorReport;
using testing::RandomWeights;

struct Shape3 {
  int64_t M, N, K;
};

void check_variant(const MatmulVariant& v, const std::vector<Shape3>& shapes, ErrorReport& report, uint32_t seed) {
  std::mt19937 rng(seed);
  for (DType dt : {DType::kF32, DType::kF16, DType::kBF16}) {
    for (const Shape3& s : shapes) {
      for (bool with_bias : {false, true}) {
        RandomWeights w(rng, dt, s.N, s.K);
        const auto x = mms::testing::random_floats(rng, static_cast<size_t>(s.M * s.K));
        const auto bias = mms::testing::random_floats(rng, static_cast<size_t>(s.N));
        std::vector<float> want(static_cast<size_t>(s.M * s.N)), got(want.size(), NAN);
        ref::matmul(x.data(), s.M, w.tensor, with_bias ? bias.data() : nullptr, want.data());
        v.fn(x.data(), s.M, w.tensor, with_bias ? bias.data() : nullptr, got.data());
        const float err = mms::testing::rel_error(got.data(), want.data(), want.size());
        const bool gemm = s.M > cpu::kGemvMaxRows;
        // bf16_compute variants round x to bf16 for bf16 weights at M >= 2 (decode batches and GEMMs).
        const float tol = v.bf16_compute && dt == DType::kBF16 && s.M >= 2 ? 1e-2f : 1e-5f;
        EXPECT_LE(err, tol) << v.name << " " << dtype_name(dt) << " M=" << s.M << " N=" << s.N << " K=" << s.K
                            << " bias=" << with_bias;
        report.add(std::string(v.name) + " " + std::string(dtype_name(dt)) + (gemm ? " gemm" : " gemv"), err);
      }
    }
  }
}

class MatmulVariantTest : public ::testing::TestWithParam<const MatmulVariant*> {};

TEST_P(MatmulVariantTest, MatchesRef) {
  const MatmulVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  const std::vector<Shape3> shapes = {
      {1, 1, 1},    {1, 5, 7},    {2, 17, 33},    {3, 64, 96},   {4, 131, 250}, {5, 9, 16},
      {7, 96, 1000}, {8, 33, 17}, {13, 40, 24},   {16, 20, 72},  {17, 20, 72},  {33, 131, 250},
      {64, 96, 896}, {1, 1000, 896},
  };
  ErrorReport report("matmul");
  check_variant(v, shapes, report, 1234);
}

// Uneven splits of N over more threads than cores, a single thread, and W panels (f16/bf16 -> f32)
// that do not divide a thread's slice.
TEST_P(MatmulVariantTest, ThreadCountsAndPanels) {
  const MatmulVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  const int saved = compute_threads();
  ErrorReport report("matmul threads");
  for (int threads : {1, 3}) {
    set_compute_threads(threads);
    check_variant(v, {{1, 77, 130}, {6, 301, 64}, {9, 50, 40}, {17, 1100, 2100}}, report, 99 + threads);
  }
  set_compute_threads(saved);
}

int thread_count() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return -1;
}

// oneDNN runs on the calling compute thread: a prefill matmul adds no threads beyond the compute pool's.
TEST_P(MatmulVariantTest, GemmStartsNoThreads) {
  const MatmulVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(7);
  const int64_t M = 64, N = 256, K = 512;
  const auto x = mms::testing::random_floats(rng, static_cast<size_t>(M * K));
  std::vector<float> y(static_cast<size_t>(M * N));
  parallel_run([](int, int) {});  // start the pool's threads
  const int before = thread_count();
  for (DType dt : {DType::kF32, DType::kBF16}) {
    RandomWeights w(rng, dt, N, K);
    v.fn(x.data(), M, w.tensor, nullptr, y.data());
  }
  EXPECT_EQ(thread_count(), before) << "a GEMM library started its own threads";
}

// Variants that take the tile layout (takes_tiles) on bf16 weights prepared as tiles: every M from the
// exact f32 GEMV (M = 1) through decode batches to GEMM shapes with a partial block of 16 rows, W with
// whole groups of 4 tile rows and with 1-3 left over, and more threads than cores.
TEST_P(MatmulVariantTest, TiledWeights) {
  const MatmulVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  if (!v.takes_tiles) GTEST_SKIP() << v.name << " takes row-major weights only";
  std::mt19937 rng(31);
  const int saved = compute_threads();
  ErrorReport report("matmul tiles");
  for (int threads : {saved, 3}) {
    set_compute_threads(threads);
    for (const Shape3& s : std::vector<Shape3>{{1, 64, 32},   {1, 208, 896}, {2, 48, 64},  {8, 896, 896},
                                               {8, 80, 4864}, {13, 112, 96}, {16, 64, 32}, {17, 96, 160},
                                               {40, 272, 64}, {64, 128, 896}}) {
      RandomWeights w(rng, DType::kBF16, s.N, s.K);
      std::vector<uint16_t> tiles(w.half.size());
      const Tensor tiled = ref::to_tiles(w.tensor, tiles.data());
      const auto x = mms::testing::random_floats(rng, static_cast<size_t>(s.M * s.K));
      const auto bias = mms::testing::random_floats(rng, static_cast<size_t>(s.N));
      std::vector<float> want(static_cast<size_t>(s.M * s.N)), got(want.size(), NAN);
      ref::matmul(x.data(), s.M, w.tensor, bias.data(), want.data());
      v.fn(x.data(), s.M, tiled, bias.data(), got.data());
      const float err = mms::testing::rel_error(got.data(), want.data(), want.size());
      EXPECT_LE(err, s.M >= 2 ? 1e-2f : 1e-5f) << v.name << " M=" << s.M << " N=" << s.N << " K=" << s.K;
      report.add(std::string(v.name) + (s.M >= 2 ? " tiles bf16" : " tiles f32"), err);
    }
  }
  set_compute_threads(saved);
}

// ref::matmul reads the tile layout as the spec says: same result as on the row-major weight.
TEST(MatmulRef, TiledLayoutIsTheSameMatrix) {
  std::mt19937 rng(32);
  const int64_t M = 3, N = 48, K = 96;
  RandomWeights w(rng, DType::kBF16, N, K);
  std::vector<uint16_t> tiles(w.half.size());
  const Tensor tiled = ref::to_tiles(w.tensor, tiles.data());
  EXPECT_EQ(tiled.layout, Layout::kTiles16x32);
  EXPECT_EQ(tiles[element_offset(Layout::kTiles16x32, 17, 33, K)], w.half[17 * K + 33]);
  EXPECT_EQ(tiles[3 * 512 + 1], w.half[16 * K + 1]);  // rows 16..31 start after the 3 tiles of rows 0..15
  const auto x = mms::testing::random_floats(rng, static_cast<size_t>(M * K));
  std::vector<float> a(static_cast<size_t>(M * N)), b(a.size());
  ref::matmul(x.data(), M, w.tensor, nullptr, a.data());
  ref::matmul(x.data(), M, tiled, nullptr, b.data());
  EXPECT_EQ(a, b);
}

// prepare_weight tiles exactly the weights the matmul in use takes as tiles, and the result multiplies
// like the original; anything else comes back as the same view.
TEST(PrepareWeight, TilesOnlyWhatTheMatmulTakes) {
  std::mt19937 rng(33);
  const bool tiles = best_variant(matmul_variants()).takes_tiles;
  RandomWeights bf16(rng, DType::kBF16, 64, 96), odd(rng, DType::kBF16, 40, 96), f32(rng, DType::kF32, 64, 96);
  HostBuffer storage;
  const Tensor p = prepare_weight(bf16.tensor, storage);
  EXPECT_EQ(p.layout, tiles ? Layout::kTiles16x32 : Layout::kRowMajor);
  EXPECT_EQ(p.data != bf16.tensor.data, tiles);
  EXPECT_TRUE(p.shape == bf16.tensor.shape);
  const auto x = mms::testing::random_floats(rng, 96 * 2);
  std::vector<float> a(128), b(128);
  ref::matmul(x.data(), 2, bf16.tensor, nullptr, a.data());
  ref::matmul(x.data(), 2, p, nullptr, b.data());
  EXPECT_EQ(a, b);
  for (const Tensor& w : {odd.tensor, f32.tensor}) {
    HostBuffer unused;
    const Tensor q = prepare_weight(w, unused);
    EXPECT_EQ(q.data, w.data);
    EXPECT_EQ(q.layout, Layout::kRowMajor);
    EXPECT_EQ(unused.size(), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(All, MatmulVariantTest, ::testing::ValuesIn(testing::non_ref(matmul_variants())),
                         testing::VariantName());

}  // namespace
}  // namespace mms::kernels
