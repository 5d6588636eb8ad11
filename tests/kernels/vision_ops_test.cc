// layer_norm, gelu, quick_gelu and rope_table (the vision tower's elementwise and per-row ops): every variant
// against ref on odd sizes (vector tails), sizes split over the pool, and extreme inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/gelu.h"
#include "kernels/kernel_test_util.h"
#include "kernels/layer_norm.h"
#include "kernels/rope_table.h"

namespace mms::kernels {
namespace {

using mms::testing::random_floats;
using testing::ErrorReport;

TEST(LayerNormRef, MatchesDefinition) {
  // Row [1, 2, 3, 4]: mean 2.5, variance 1.25.
  const float x[] = {1, 2, 3, 4};
  const float w[] = {1, 2, 1, 1};
  const float b[] = {0, 0, 0, 1};
  float y[4];
  ref::layer_norm(x, w, b, 1, 4, 0.0f, y);
  const float inv = 1.0f / std::sqrt(1.25f);
  EXPECT_FLOAT_EQ(y[0], -1.5f * inv);
  EXPECT_FLOAT_EQ(y[1], -0.5f * inv * 2);
  EXPECT_FLOAT_EQ(y[2], 0.5f * inv);
  EXPECT_FLOAT_EQ(y[3], 1.5f * inv + 1);
}

class LayerNormVariantTest : public ::testing::TestWithParam<const LayerNormVariant*> {};
TEST_P(LayerNormVariantTest, MatchesRef) {
  const LayerNormVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(11);
  ErrorReport report("layer_norm");
  for (int64_t rows : {1, 3, 40}) {
    for (int64_t dim : {1, 7, 8, 33, 128, 1280, 1001}) {
      auto x = random_floats(rng, static_cast<size_t>(rows * dim), -3.f, 3.f);
      for (size_t i = 0; i < x.size(); i += 5) x[i] += 10.f;  // a mean far from 0
      const auto w = random_floats(rng, static_cast<size_t>(dim));
      const auto b = random_floats(rng, static_cast<size_t>(dim));
      for (const float* bias : {b.data(), static_cast<const float*>(nullptr)}) {
        std::vector<float> want(x.size()), got(x.size(), NAN), in_place = x;
        ref::layer_norm(x.data(), w.data(), bias, rows, dim, 1e-6f, want.data());
        v.fn(x.data(), w.data(), bias, rows, dim, 1e-6f, got.data());
        v.fn(in_place.data(), w.data(), bias, rows, dim, 1e-6f, in_place.data());  // y may alias x
        const float err = mms::testing::max_abs_diff(got.data(), want.data(), want.size());
        EXPECT_LE(err, 1e-5f) << v.name << " rows=" << rows << " dim=" << dim;
        EXPECT_EQ(got, in_place);
        report.add(v.name, err);
      }
    }
  }
}
INSTANTIATE_TEST_SUITE_P(All, LayerNormVariantTest, ::testing::ValuesIn(testing::non_ref(layer_norm_variants())),
                         testing::VariantName());

TEST(GeluRef, KnownValues) {
  const float x[] = {0.f, 1.f, -1.f, 3.f, -10.f};
  float y[5];
  ref::gelu(x, 5, y);
  EXPECT_EQ(y[0], 0.f);
  EXPECT_NEAR(y[1], 0.8413447f, 1e-6f);
  EXPECT_NEAR(y[2], -0.1586553f, 1e-6f);
  EXPECT_NEAR(y[3], 2.9959502f, 1e-6f);
  EXPECT_NEAR(y[4], 0.f, 1e-6f);
  ref::quick_gelu(x, 5, y);
  EXPECT_EQ(y[0], 0.f);
  EXPECT_NEAR(y[1], 1.f / (1.f + std::exp(-1.702f)), 1e-7f);
}

// Inputs over the range where the activations bend, plus extremes.
std::vector<float> activation_inputs(std::mt19937& rng, int64_t n) {
  auto x = random_floats(rng, static_cast<size_t>(n), -6.f, 6.f);
  const float extremes[] = {0.f, -0.f, 1e-8f, -1e-8f, 4.5f, -4.5f, -60.f, 60.f, -100.f, 100.f, -1e30f, 1e30f};
  for (size_t i = 0; i < std::size(extremes) && i < x.size(); ++i) x[x.size() - 1 - i] = extremes[i];
  return x;
}

class GeluVariantTest : public ::testing::TestWithParam<const GeluVariant*> {};
TEST_P(GeluVariantTest, MatchesRef) {
  const GeluVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(12);
  ErrorReport report("gelu");
  for (int64_t n : {1, 7, 8, 9, 100, 5120, 70001}) {
    const auto x = activation_inputs(rng, n);
    std::vector<float> want(x.size()), got(x.size(), NAN), in_place = x;
    ref::gelu(x.data(), n, want.data());
    v.fn(x.data(), n, got.data());
    v.fn(in_place.data(), n, in_place.data());
    // Absolute error relative to max(|x|, 1): erf's approximation error (< 2e-7) times |x| / 2.
    float err = 0;
    for (size_t i = 0; i < x.size(); ++i)
      err = std::max(err, std::fabs(got[i] - want[i]) / std::max(1.0f, std::fabs(x[i])));
    EXPECT_LE(err, 5e-7f) << v.name << " n=" << n;
    EXPECT_EQ(got, in_place);
    report.add(v.name, err);
  }
}
INSTANTIATE_TEST_SUITE_P(All, GeluVariantTest, ::testing::ValuesIn(testing::non_ref(gelu_variants())),
                         testing::VariantName());

class QuickGeluVariantTest : public ::testing::TestWithParam<const QuickGeluVariant*> {};
TEST_P(QuickGeluVariantTest, MatchesRef) {
  const QuickGeluVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(13);
  ErrorReport report("quick_gelu");
  for (int64_t n : {1, 7, 8, 9, 100, 5120, 70001}) {
    const auto x = activation_inputs(rng, n);
    std::vector<float> want(x.size()), got(x.size(), NAN), in_place = x;
    ref::quick_gelu(x.data(), n, want.data());
    v.fn(x.data(), n, got.data());
    v.fn(in_place.data(), n, in_place.data());
    const float err = testing::max_elementwise_rel(got.data(), want.data(), want.size(), 1e-30f);
    EXPECT_LE(err, 2e-6f) << v.name << " n=" << n;
    EXPECT_EQ(got, in_place);
    report.add(v.name, err);
  }
}
INSTANTIATE_TEST_SUITE_P(All, QuickGeluVariantTest, ::testing::ValuesIn(testing::non_ref(quick_gelu_variants())),
                         testing::VariantName());

TEST(RopeTableRef, RotatesPairsHalfApart) {
  // head_dim 4: pairs (0, 2) and (1, 3); pair 0 by 90 degrees, pair 1 unrotated.
  float x[] = {1, 2, 3, 4};
  const float c[] = {0, 1}, s[] = {1, 0};
  ref::rope_table(x, 1, 1, 4, 4, c, s);
  EXPECT_FLOAT_EQ(x[0], -3);
  EXPECT_FLOAT_EQ(x[2], 1);
  EXPECT_FLOAT_EQ(x[1], 2);
  EXPECT_FLOAT_EQ(x[3], 4);
}

class RopeTableVariantTest : public ::testing::TestWithParam<const RopeTableVariant*> {};
TEST_P(RopeTableVariantTest, MatchesRef) {
  const RopeTableVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(14);
  ErrorReport report("rope_table");
  for (int64_t T : {1, 5, 300}) {
    for (int64_t head_dim : {4, 32, 40, 80, 128}) {
      for (int64_t n_heads : {1, 3, 16}) {
        for (int64_t extra : {0, 7}) {  // rows wider than the heads (a fused qkv row); the rest stays untouched
          const int64_t stride = n_heads * head_dim + extra;
          const auto x = random_floats(rng, static_cast<size_t>(T * stride));
          const auto angles = random_floats(rng, static_cast<size_t>(T * head_dim / 2), -100.f, 100.f);
          std::vector<float> c(angles.size()), s(angles.size());
          for (size_t i = 0; i < angles.size(); ++i) c[i] = std::cos(angles[i]), s[i] = std::sin(angles[i]);
          std::vector<float> want = x, got = x;
          ref::rope_table(want.data(), T, n_heads, head_dim, stride, c.data(), s.data());
          v.fn(got.data(), T, n_heads, head_dim, stride, c.data(), s.data());
          const float err = mms::testing::max_abs_diff(got.data(), want.data(), want.size());
          EXPECT_LE(err, 1e-6f) << v.name << " T=" << T << " D=" << head_dim << " H=" << n_heads;
          for (int64_t t = 0; t < T; ++t)
            for (int64_t j = n_heads * head_dim; j < stride; ++j) EXPECT_EQ(got[t * stride + j], x[t * stride + j]);
          report.add(v.name, err);
        }
      }
    }
  }
}
INSTANTIATE_TEST_SUITE_P(All, RopeTableVariantTest, ::testing::ValuesIn(testing::non_ref(rope_table_variants())),
                         testing::VariantName());

}  // namespace
}  // namespace mms::kernels
