// rms_norm, silu_mul, add, softmax and embedding: every variant against ref on random inputs of odd
// sizes (vector tails), sizes large enough to be split over the pool, and extreme values for the exps.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "kernels/activation.h"
#include "kernels/embedding.h"
#include "kernels/kernel_test_util.h"
#include "kernels/matmul.h"
#include "kernels/rms_norm.h"
#include "kernels/softmax.h"

namespace mms::kernels {
namespace {

using mms::testing::random_floats;
using testing::ErrorReport;

class RmsNormVariantTest : public ::testing::TestWithParam<const RmsNormVariant*> {};
TEST_P(RmsNormVariantTest, MatchesRef) {
  const RmsNormVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(1);
  ErrorReport report("rms_norm");
  for (int64_t rows : {1, 3, 40}) {
    for (int64_t dim : {1, 7, 8, 33, 64, 896, 1001}) {
      const auto x = random_floats(rng, static_cast<size_t>(rows * dim), -3.f, 3.f);
      const auto w = random_floats(rng, static_cast<size_t>(dim));
      std::vector<float> want(x.size()), got(x.size(), NAN), in_place = x;
      ref::rms_norm(x.data(), w.data(), rows, dim, 1e-6f, want.data());
      v.fn(x.data(), w.data(), rows, dim, 1e-6f, got.data());
      v.fn(in_place.data(), w.data(), rows, dim, 1e-6f, in_place.data());  // y may alias x
      const float err = testing::max_elementwise_rel(got.data(), want.data(), want.size(), 1e-6f);
      EXPECT_LE(err, 1e-5f) << v.name << " rows=" << rows << " dim=" << dim;
      EXPECT_EQ(got, in_place);
      report.add(v.name, err);
    }
  }
}
INSTANTIATE_TEST_SUITE_P(All, RmsNormVariantTest, ::testing::ValuesIn(testing::non_ref(rms_norm_variants())),
                         testing::VariantName());

class SiluMulVariantTest : public ::testing::TestWithParam<const SiluMulVariant*> {};
TEST_P(SiluMulVariantTest, MatchesRef) {
  const SiluMulVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(2);
  ErrorReport report("silu_mul");
  for (int64_t n : {1, 7, 8, 9, 100, 4864, 70001}) {
    auto gate = random_floats(rng, static_cast<size_t>(n), -20.f, 20.f);
    const auto up = random_floats(rng, static_cast<size_t>(n), -2.f, 2.f);
    const float extremes[] = {0.f, -0.f, 1e-8f, -87.5f, -88.5f, -100.f, 88.5f, 100.f, -1e30f, 1e30f};
    for (size_t i = 0; i < std::size(extremes) && i < gate.size(); ++i) gate[gate.size() - 1 - i] = extremes[i];
    std::vector<float> want(gate.size()), got(gate.size(), NAN);
    ref::silu_mul(gate.data(), up.data(), n, want.data());
    v.fn(gate.data(), up.data(), n, got.data());
    // Elementwise relative error (the exp approximation's accuracy), plus a floor for silu(-100) ~ -4e-42.
    const float err = testing::max_elementwise_rel(got.data(), want.data(), want.size(), 1e-30f);
    EXPECT_LE(err, 2e-6f) << v.name << " n=" << n;
    report.add(v.name, err);
  }
}
INSTANTIATE_TEST_SUITE_P(All, SiluMulVariantTest, ::testing::ValuesIn(testing::non_ref(silu_mul_variants())),
                         testing::VariantName());

class AddVariantTest : public ::testing::TestWithParam<const AddVariant*> {};
TEST_P(AddVariantTest, MatchesRefExactly) {
  const AddVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(3);
  for (int64_t n : {1, 7, 8, 100, 70001}) {
    const auto a = random_floats(rng, static_cast<size_t>(n));
    const auto b = random_floats(rng, static_cast<size_t>(n));
    std::vector<float> want(a.size()), got(a.size(), NAN), in_place = a;
    ref::add(a.data(), b.data(), n, want.data());
    v.fn(a.data(), b.data(), n, got.data());
    v.fn(in_place.data(), b.data(), n, in_place.data());
    EXPECT_EQ(got, want) << v.name << " n=" << n;
    EXPECT_EQ(in_place, want) << v.name << " n=" << n;
  }
}
INSTANTIATE_TEST_SUITE_P(All, AddVariantTest, ::testing::ValuesIn(testing::non_ref(add_variants())),
                         testing::VariantName());

class SoftmaxVariantTest : public ::testing::TestWithParam<const SoftmaxVariant*> {};
TEST_P(SoftmaxVariantTest, MatchesRef) {
  const SoftmaxVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(4);
  ErrorReport report("softmax");
  for (int64_t rows : {1, 3, 20}) {
    for (int64_t cols : {1, 5, 8, 33, 1000, 151936}) {
      if (rows * cols > 1'000'000) continue;
      const auto x = random_floats(rng, static_cast<size_t>(rows * cols), -30.f, 30.f);
      std::vector<float> want = x, got = x;
      ref::softmax(want.data(), rows, cols);
      v.fn(got.data(), rows, cols);
      // Probabilities below ~1e-30 (exp(-69) and less) are compared in absolute terms.
      const float err = testing::max_elementwise_rel(got.data(), want.data(), want.size(), 1e-30f);
      EXPECT_LE(err, 2e-6f) << v.name << " rows=" << rows << " cols=" << cols;
      report.add(v.name, err);
    }
  }
}
INSTANTIATE_TEST_SUITE_P(All, SoftmaxVariantTest, ::testing::ValuesIn(testing::non_ref(softmax_variants())),
                         testing::VariantName());

class EmbeddingVariantTest : public ::testing::TestWithParam<const EmbeddingVariant*> {};
TEST_P(EmbeddingVariantTest, MatchesRefExactly) {
  const EmbeddingVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(5);
  for (DType dt : {DType::kF32, DType::kF16, DType::kBF16}) {
    for (int64_t hidden : {1, 7, 64, 896, 1003}) {
      const int64_t vocab = 300;
      testing::RandomWeights table(rng, dt, vocab, hidden, -5.f, 5.f);
      std::vector<int32_t> ids = {0, 299, 17, 17, 5};
      for (int i = 0; i < 40; ++i) ids.push_back(static_cast<int32_t>(rng() % vocab));
      const int64_t n = static_cast<int64_t>(ids.size());
      std::vector<float> want(static_cast<size_t>(n * hidden)), got(want.size(), NAN);
      ref::embedding(table.tensor, ids.data(), n, want.data());
      v.fn(table.tensor, ids.data(), n, got.data());
      EXPECT_EQ(got, want) << v.name << " " << dtype_name(dt) << " hidden=" << hidden;
    }
  }
}
// A bf16 table in the tile layout (a tied embedding/LM-head matrix after kernels::prepare_weight) gives the
// same rows as the row-major table, in every variant and in ref itself.
TEST_P(EmbeddingVariantTest, TiledTableMatchesRowMajor) {
  const EmbeddingVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(6);
  const int64_t vocab = 160, hidden = 96;
  testing::RandomWeights table(rng, DType::kBF16, vocab, hidden, -5.f, 5.f);
  std::vector<uint16_t> tiles(table.half.size());
  const Tensor tiled = ref::to_tiles(table.tensor, tiles.data());
  const std::vector<int32_t> ids = {0, 159, 15, 16, 17, 77, 77, 144};
  const int64_t n = static_cast<int64_t>(ids.size());
  std::vector<float> want(static_cast<size_t>(n * hidden)), got(want.size(), NAN), ref_tiled(want.size(), NAN);
  ref::embedding(table.tensor, ids.data(), n, want.data());
  ref::embedding(tiled, ids.data(), n, ref_tiled.data());
  v.fn(tiled, ids.data(), n, got.data());
  EXPECT_EQ(ref_tiled, want);
  EXPECT_EQ(got, want) << v.name;
}
INSTANTIATE_TEST_SUITE_P(All, EmbeddingVariantTest, ::testing::ValuesIn(testing::non_ref(embedding_variants())),
                         testing::VariantName());

}  // namespace
}  // namespace mms::kernels
