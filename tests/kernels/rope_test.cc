// Every rope and rope_multi (M-RoPE) variant against ref, both pairings, head_dim with and without vector
// tails, large positions; M-RoPE's section rule checked by hand, and M-RoPE with t = h = w against rope.
#include "kernels/rope.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/kernel_test_util.h"

namespace mms::kernels {
namespace {

class RopeVariantTest : public ::testing::TestWithParam<const RopeVariant*> {};

TEST_P(RopeVariantTest, MatchesRef) {
  const RopeVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(11);
  testing::ErrorReport report("rope");
  for (RopePairing pairing : {RopePairing::kNeox, RopePairing::kGptj}) {
    for (int64_t head_dim : {2, 6, 10, 32, 64, 80, 128}) {
      for (int64_t n_heads : {1, 3, 14}) {
        for (int64_t T : {1, 5, 33}) {
          std::vector<float> inv_freq(static_cast<size_t>(head_dim / 2));
          for (int64_t j = 0; j < head_dim / 2; ++j)
            inv_freq[j] = std::pow(1e6f, -2.f * static_cast<float>(j) / static_cast<float>(head_dim));
          std::vector<int32_t> positions(static_cast<size_t>(T));
          for (auto& p : positions) p = static_cast<int32_t>(rng() % 100000);
          positions[0] = 0;
          const auto x = mms::testing::random_floats(rng, static_cast<size_t>(T * n_heads * head_dim), -2.f, 2.f);
          std::vector<float> want = x, got = x;
          ref::rope(want.data(), T, n_heads, head_dim, positions.data(), inv_freq.data(), pairing);
          v.fn(got.data(), T, n_heads, head_dim, positions.data(), inv_freq.data(), pairing);
          const float err = mms::testing::rel_error(got.data(), want.data(), want.size());
          EXPECT_LE(err, 1e-6f) << v.name << (pairing == RopePairing::kNeox ? " neox" : " gptj")
                                << " head_dim=" << head_dim << " n_heads=" << n_heads << " T=" << T;
          report.add(std::string(v.name) + (pairing == RopePairing::kNeox ? " neox" : " gptj"), err);
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, RopeVariantTest, ::testing::ValuesIn(testing::non_ref(rope_variants())),
                         testing::VariantName());

std::vector<float> neox_inv_freq(int64_t head_dim, float theta) {
  std::vector<float> inv(static_cast<size_t>(head_dim / 2));
  for (int64_t j = 0; j < head_dim / 2; ++j)
    inv[j] = std::pow(theta, -2.f * static_cast<float>(j) / static_cast<float>(head_dim));
  return inv;
}

// Sections that split head_dim / 2 pairs: Qwen2-VL's shape scaled, and edge cases (empty sections).
std::vector<MropeSections> sections_for(int64_t head_dim) {
  const int32_t half = static_cast<int32_t>(head_dim / 2);
  const int32_t t = half / 4, h = (half - t) / 2;
  return {{t, h, half - t - h}, {half, 0, 0}, {0, 0, half}, {0, half / 2, half - half / 2}};
}

class RopeMultiVariantTest : public ::testing::TestWithParam<const RopeMultiVariant*> {};

TEST_P(RopeMultiVariantTest, MatchesRef) {
  const RopeMultiVariant& v = *GetParam();
  MMS_SKIP_IF_UNAVAILABLE(v);
  std::mt19937 rng(12);
  testing::ErrorReport report("rope_multi");
  for (RopePairing pairing : {RopePairing::kNeox, RopePairing::kGptj}) {
    for (int64_t head_dim : {2, 8, 32, 80, 128}) {
      for (const MropeSections& sec : sections_for(head_dim)) {
        for (int64_t n_heads : {1, 3, 16}) {
          for (int64_t T : {1, 7, 40}) {
            const auto inv_freq = neox_inv_freq(head_dim, 1e6f);
            std::vector<int32_t> positions(static_cast<size_t>(3 * T));
            for (auto& p : positions) p = static_cast<int32_t>(rng() % 100000);
            const auto x = mms::testing::random_floats(rng, static_cast<size_t>(T * n_heads * head_dim), -2.f, 2.f);
            std::vector<float> want = x, got = x;
            ref::rope_multi(want.data(), T, n_heads, head_dim, positions.data(), sec, inv_freq.data(), pairing);
            v.fn(got.data(), T, n_heads, head_dim, positions.data(), sec, inv_freq.data(), pairing);
            const float err = mms::testing::rel_error(got.data(), want.data(), want.size());
            EXPECT_LE(err, 1e-6f) << v.name << " head_dim=" << head_dim << " sections=" << sec.t << "," << sec.h
                                  << "," << sec.w << " n_heads=" << n_heads << " T=" << T;
            report.add(std::string(v.name) + (pairing == RopePairing::kNeox ? " neox" : " gptj"), err);
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(All, RopeMultiVariantTest, ::testing::ValuesIn(testing::non_ref(rope_multi_variants())),
                         testing::VariantName());

// Text rows of an M-RoPE model (t = h = w = position) get exactly plain RoPE, in every variant.
TEST(RopeMulti, EqualPositionsGivePlainRopeExactly) {
  std::mt19937 rng(13);
  const int64_t T = 37, n_heads = 4;
  for (int64_t head_dim : {32, 128}) {
    const auto inv_freq = neox_inv_freq(head_dim, 1e6f);
    std::vector<int32_t> positions(static_cast<size_t>(T)), positions3;
    for (auto& p : positions) p = static_cast<int32_t>(rng() % 50000);
    for (int s = 0; s < 3; ++s) positions3.insert(positions3.end(), positions.begin(), positions.end());
    const auto x = mms::testing::random_floats(rng, static_cast<size_t>(T * n_heads * head_dim), -2.f, 2.f);
    for (const MropeSections& sec : sections_for(head_dim)) {
      for (size_t i = 0; i < rope_variants().size(); ++i) {
        const RopeVariant& plain = rope_variants()[i];
        const RopeMultiVariant& multi = rope_multi_variants()[i];
        ASSERT_STREQ(plain.name, multi.name);
        if (!plain.available()) continue;
        std::vector<float> want = x, got = x;
        plain.fn(want.data(), T, n_heads, head_dim, positions.data(), inv_freq.data(), RopePairing::kNeox);
        multi.fn(got.data(), T, n_heads, head_dim, positions3.data(), sec, inv_freq.data(), RopePairing::kNeox);
        EXPECT_EQ(got, want) << multi.name << " head_dim=" << head_dim;
      }
    }
  }
}

// The section rule spelled out for Qwen2-VL's tiny fixture (head_dim 32, sections [4, 6, 6]): pair j takes
// the temporal position for j < 4, the height position for 4 <= j < 10, the width position after; pair
// (j, j + 16) of a unit vector (1 at j) becomes (cos a, sin a) with a = position * inv_freq[j].
TEST(RopeMulti, SectionRuleOfQwen2Vl) {
  const int64_t head_dim = 32, half = 16;
  const auto inv_freq = neox_inv_freq(head_dim, 1e6f);
  const int32_t pos[3] = {7, 1234, 56789};
  for (size_t vi = 0; vi < rope_multi_variants().size(); ++vi) {
    const RopeMultiVariant& v = rope_multi_variants()[vi];
    if (!v.available()) continue;
    std::vector<float> x(static_cast<size_t>(half * head_dim), 0.f);  // T = half rows, row j has 1 at j
    std::vector<int32_t> positions;
    for (int s = 0; s < 3; ++s) positions.insert(positions.end(), half, pos[s]);
    for (int64_t j = 0; j < half; ++j) x[j * head_dim + j] = 1.f;
    v.fn(x.data(), half, 1, head_dim, positions.data(), {4, 6, 6}, inv_freq.data(), RopePairing::kNeox);
    for (int64_t j = 0; j < half; ++j) {
      const int32_t p = j < 4 ? pos[0] : j < 10 ? pos[1] : pos[2];
      const float a = static_cast<float>(p) * inv_freq[j];
      EXPECT_NEAR(x[j * head_dim + j], std::cos(a), 1e-6f) << v.name << " pair " << j;
      EXPECT_NEAR(x[j * head_dim + j + half], std::sin(a), 1e-6f) << v.name << " pair " << j;
    }
  }
}

}  // namespace
}  // namespace mms::kernels
