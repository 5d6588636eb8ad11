// Every rope variant against ref, both pairings, head_dim with and without vector tails, large positions.
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

}  // namespace
}  // namespace mms::kernels
