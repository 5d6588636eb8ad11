#include "exec/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <vector>

namespace mms {
namespace {

TEST(SamplerTest, GreedyTakesArgmaxLowestIndexOnTies) {
  Sampler s(SamplingParams{});
  std::vector<float> logits = {0.1f, 2.0f, -1.0f, 2.0f};
  EXPECT_EQ(s.sample(logits), 1);
  EXPECT_EQ(argmax(logits), 1);
}

// The blocked argmax gives what a plain first-largest scan gives: maxima and ties in the first, middle and
// last block, in the tail past the last whole block, all-equal rows, NaNs, tiny and vocabulary sizes.
TEST(SamplerTest, ArgmaxMatchesPlainScan) {
  auto plain = [](const std::vector<float>& v) {
    int32_t best = 0;
    for (size_t i = 1; i < v.size(); ++i)
      if (v[i] > v[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
    return best;
  };
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-10.f, 10.f);
  for (size_t n : {1, 2, 63, 64, 65, 129, 1000, 151936}) {
    std::vector<float> v(n);
    for (auto& x : v) x = dist(rng);
    EXPECT_EQ(argmax(v), plain(v)) << n;
    for (size_t at : {size_t{0}, n / 2, n - 1}) {
      auto w = v;
      w[at] = 50.f;
      if (at + 70 < n) w[at + 70] = 50.f;  // a tie later on: the first one wins
      EXPECT_EQ(argmax(w), static_cast<int32_t>(at)) << n << " " << at;
      w[n - 1] = NAN;
      EXPECT_EQ(argmax(w), plain(w)) << n << " " << at;
    }
    EXPECT_EQ(argmax(std::vector<float>(n, 1.f)), 0);
  }
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

TEST(SamplerTest, PresenceAndFrequencyPenaltiesOverOutputsOnly) {
  SamplingParams p;
  p.presence_penalty = 0.5;
  p.frequency_penalty = 0.25;
  std::vector<float> logits = {1.f, 1.f, 1.f, 1.f};
  const std::vector<int32_t> prompt = {0, 0, 0};
  const std::vector<int32_t> output = {1, 2, 2};
  apply_penalties(p, {prompt, output}, logits);
  EXPECT_FLOAT_EQ(logits[0], 1.f);                // prompt tokens are not penalized by these
  EXPECT_FLOAT_EQ(logits[1], 1.f - 0.5f - 0.25f);  // count 1
  EXPECT_FLOAT_EQ(logits[2], 1.f - 0.5f - 0.5f);   // count 2
  EXPECT_FLOAT_EQ(logits[3], 1.f);
}

TEST(SamplerTest, RepetitionPenaltyDividesPositiveMultipliesNegativeOncePerToken) {
  SamplingParams p;
  p.repetition_penalty = 2.0;
  std::vector<float> logits = {4.f, -4.f, 4.f, 4.f};
  const std::vector<int32_t> prompt = {0, 1, 0};
  const std::vector<int32_t> output = {2, 2};
  apply_penalties(p, {prompt, output}, logits);
  EXPECT_FLOAT_EQ(logits[0], 2.f);
  EXPECT_FLOAT_EQ(logits[1], -8.f);
  EXPECT_FLOAT_EQ(logits[2], 2.f);
  EXPECT_FLOAT_EQ(logits[3], 4.f);
}

TEST(SamplerTest, GreedyHonoursPenalties) {
  std::vector<float> logits = {3.f, 2.f, 0.f};
  const std::vector<int32_t> prompt = {};
  const std::vector<int32_t> output = {0};
  SamplingParams p;
  EXPECT_EQ(Sampler(p).sample(logits, {prompt, output}).token_id, 0);
  p.frequency_penalty = 2.0;
  EXPECT_EQ(Sampler(p).sample(logits, {prompt, output}).token_id, 1);
  p = SamplingParams{};
  p.repetition_penalty = 2.0;  // 3 / 2 = 1.5 < 2
  EXPECT_EQ(Sampler(p).sample(logits, {prompt, output}).token_id, 1);
}

TEST(SamplerTest, LogprobsAreRawLogSoftmaxWithTopByValueThenId) {
  std::vector<float> logits = {std::log(0.2f), std::log(0.4f), std::log(0.2f), std::log(0.2f)};
  SamplingParams p;
  p.logprobs = 3;
  p.frequency_penalty = 2.0;  // changes the choice, not the reported (raw) logprobs
  const std::vector<int32_t> prompt = {};
  const std::vector<int32_t> output = {1};
  SampleResult r = Sampler(p).sample(logits, {prompt, output});
  EXPECT_EQ(r.token_id, 0);
  ASSERT_TRUE(r.logprob.has_value());
  EXPECT_EQ(r.logprob->token_id, 0);
  EXPECT_NEAR(r.logprob->logprob, std::log(0.2), 1e-5);
  ASSERT_EQ(r.logprob->top.size(), 3u);
  EXPECT_EQ(r.logprob->top[0].first, 1);
  EXPECT_NEAR(r.logprob->top[0].second, std::log(0.4), 1e-5);
  EXPECT_EQ(r.logprob->top[1].first, 0);  // ties broken by lower id
  EXPECT_EQ(r.logprob->top[2].first, 2);
  p.logprobs = 0;
  r = Sampler(p).sample(logits, {prompt, output});
  ASSERT_TRUE(r.logprob.has_value());
  EXPECT_TRUE(r.logprob->top.empty());
  p.logprobs.reset();
  EXPECT_FALSE(Sampler(p).sample(logits, {prompt, output}).logprob.has_value());
}

TEST(SamplerTest, DrawDependsOnlyOnSeedAndOutputIndex) {
  std::vector<float> logits(64);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::cos(static_cast<float>(i) * 0.7f);
  SamplingParams p;
  p.temperature = 1.3;
  p.top_p = 0.9;
  p.seed = 1234;
  std::vector<int32_t> history;
  Sampler a(p);
  for (int i = 0; i < 20; ++i) history.push_back(a.sample(logits, {{}, history}).token_id);
  // A fresh sampler (as after a preemption) asked for output index k gives the same token.
  for (size_t k = 0; k < history.size(); ++k) {
    Sampler b(p);
    EXPECT_EQ(b.sample(logits, {{}, std::span<const int32_t>(history).first(k)}).token_id, history[k]) << k;
  }
  EXPECT_DOUBLE_EQ(uniform_draw(5, 9), uniform_draw(5, 9));
  EXPECT_NE(uniform_draw(5, 9), uniform_draw(6, 9));
  EXPECT_NE(uniform_draw(5, 9), uniform_draw(5, 10));
}

TEST(SamplerTest, PlainTemperatureFollowsSoftmaxAtHighTemperatureToo) {
  std::vector<float> logits = {0.f, std::log(3.f)};  // T=2: probs proportional to 1 : sqrt(3)
  SamplingParams p;
  p.temperature = 2.0;
  p.seed = 3;
  Sampler s(p);
  int ones = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) ones += s.sample(logits) == 1;
  EXPECT_NEAR(ones / double(n), std::sqrt(3.0) / (1 + std::sqrt(3.0)), 0.015);
}

}  // namespace
}  // namespace mms
