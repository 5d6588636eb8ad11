#include "exec/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace mms {
namespace {

TEST(SamplerTest, GreedyTakesArgmaxLowestIndexOnTies) {
  Sampler s(SamplingParams{});
  std::vector<float> logits = {0.1f, 2.0f, -1.0f, 2.0f};
  EXPECT_EQ(s.sample(logits), 1);
  EXPECT_EQ(argmax(logits), 1);
}

TEST(SamplerTest, SameSeedSameTokens) {
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(static_cast<float>(i));
  SamplingParams p;
  p.temperature = 1.0;
  p.seed = 42;
  Sampler a(p), b(p);
  std::vector<int32_t> ta, tb;
  for (int i = 0; i < 100; ++i) {
    ta.push_back(a.sample(logits));
    tb.push_back(b.sample(logits));
  }
  EXPECT_EQ(ta, tb);
  p.seed = 43;
  Sampler c(p);
  std::vector<int32_t> tc;
  for (int i = 0; i < 100; ++i) tc.push_back(c.sample(logits));
  EXPECT_NE(ta, tc);
}

TEST(SamplerTest, TopKOneAndTinyTopPAreGreedy) {
  std::vector<float> logits = {0.5f, 0.4f, 3.0f, 0.2f};
  SamplingParams p;
  p.temperature = 5.0;
  p.top_k = 1;
  Sampler k1(p);
  p.top_k = 0;
  p.top_p = 1e-6;
  Sampler tp(p);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(k1.sample(logits), 2);
    EXPECT_EQ(tp.sample(logits), 2);
  }
}

TEST(SamplerTest, FrequenciesFollowSoftmax) {
  std::vector<float> logits = {std::log(1.f), std::log(2.f), std::log(7.f)};  // probs .1 .2 .7
  SamplingParams p;
  p.temperature = 1.0;
  p.seed = 7;
  Sampler s(p);
  std::map<int32_t, int> counts;
  const int n = 20000;
  for (int i = 0; i < n; ++i) ++counts[s.sample(logits)];
  EXPECT_NEAR(counts[0] / double(n), 0.1, 0.015);
  EXPECT_NEAR(counts[1] / double(n), 0.2, 0.015);
  EXPECT_NEAR(counts[2] / double(n), 0.7, 0.015);
}

TEST(SamplerTest, MinPAndTopKFilter) {
  std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  SamplingParams p;
  p.temperature = 1.0;
  p.min_p = 0.4;  // keeps tokens with prob >= 0.2: ids 0 and 1
  Sampler s(p);
  for (int i = 0; i < 500; ++i) EXPECT_LE(s.sample(logits), 1);
  p.min_p = 0;
  p.top_k = 3;
  Sampler k(p);
  for (int i = 0; i < 500; ++i) EXPECT_NE(k.sample(logits), 3);
}

}  // namespace
}  // namespace mms
