// Every matmul variant against ref::matmul on random inputs: decode shapes (GEMV path), prefill shapes
// (oneDNN path, several W panels per thread), odd sizes, all weight dtypes, with and without bias.
#include "kernels/matmul.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "common/compute_pool.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/kernel_test_util.h"

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

INSTANTIATE_TEST_SUITE_P(All, MatmulVariantTest, ::testing::ValuesIn(testing::non_ref(matmul_variants())),
                         testing::VariantName());

}  // namespace
}  // namespace mms::kernels
