#include "bench/arrivals.h"

#include <gtest/gtest.h>

namespace mms::bench {
namespace {

TEST(Arrivals, PoissonHasRateAndUnitCv) {
  auto t = arrival_times(ArrivalProcess::kPoisson, 5.0, 1.0, 20000, 1);
  ASSERT_EQ(t.size(), 20000u);
  EXPECT_DOUBLE_EQ(t[0], 0.0);
  GapStats s = gap_stats(t);
  EXPECT_NEAR(s.rate, 5.0, 0.15);
  EXPECT_NEAR(s.cv, 1.0, 0.04);
}

class GammaCv : public ::testing::TestWithParam<double> {};

TEST_P(GammaCv, GapsHaveRequestedRateAndCv) {
  const double cv = GetParam();
  auto t = arrival_times(ArrivalProcess::kGamma, 10.0, cv, 40000, 7);
  GapStats s = gap_stats(t);
  EXPECT_NEAR(s.rate, 10.0, 10.0 * 0.04);
  EXPECT_NEAR(s.cv, cv, cv * 0.07);
}

INSTANTIATE_TEST_SUITE_P(Cvs, GammaCv, ::testing::Values(0.25, 0.5, 2.0, 3.0));

TEST(Arrivals, DeterministicPerSeed) {
  EXPECT_EQ(arrival_times(ArrivalProcess::kGamma, 2, 2, 100, 3), arrival_times(ArrivalProcess::kGamma, 2, 2, 100, 3));
  EXPECT_NE(arrival_times(ArrivalProcess::kGamma, 2, 2, 100, 3), arrival_times(ArrivalProcess::kGamma, 2, 2, 100, 4));
}

TEST(Arrivals, WeibullFromFittedParameters) {
  // ServeGen client 0, window 600: Weibull(shape 1.33, scale 1.168) fits rate 0.935, CV 0.762.
  std::mt19937_64 rng(5);
  GapSampler g = GapSampler::weibull_params(1.3303845222743667, 1.1677856341320065);
  std::vector<double> t{0};
  for (int i = 0; i < 40000; ++i) t.push_back(t.back() + g(rng));
  GapStats s = gap_stats(t);
  EXPECT_NEAR(s.rate, 0.935, 0.03);
  EXPECT_NEAR(s.cv, 0.762, 0.04);
}

TEST(Arrivals, ParsesNamesAndBuildsSyntheticTrace) {
  EXPECT_EQ(*parse_arrival_process("gamma"), ArrivalProcess::kGamma);
  EXPECT_FALSE(parse_arrival_process("uniform").ok());
  Trace tr = synthetic_trace({0, 1, 2}, 100, 20, 2, {448, 448});
  ASSERT_EQ(tr.requests.size(), 3u);
  EXPECT_EQ(tr.requests[2].images.size(), 2u);
  EXPECT_EQ(tr.requests[1].output_tokens, 20);
}

}  // namespace
}  // namespace mms::bench
