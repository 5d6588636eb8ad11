#include "bench/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "bench/goodput.h"

namespace mms::bench {
namespace {

// A finished request: sent at `start`, first token after `ttft`, then `n - 1` more tokens `gap` apart.
RequestRecord rec(double start, double ttft, int n, double gap, bool ok = true) {
  RequestRecord r;
  r.start_s = start;
  r.first_token_s = start + ttft;
  for (int i = 0; i < n; ++i) r.chunk_times_s.push_back(start + ttft + i * gap);
  r.chunks = n;
  r.output_tokens = n;
  r.end_s = r.chunk_times_s.back() + 0.001;
  r.ok = ok;
  if (!ok) r.error = "x";
  return r;
}

TEST(Percentile, LinearInterpolationLikeNumpy) {
  std::vector<double> v{4, 1, 3, 2, 5};  // sorted 1..5
  EXPECT_DOUBLE_EQ(percentile(v, 50), 3);
  EXPECT_DOUBLE_EQ(percentile(v, 0), 1);
  EXPECT_DOUBLE_EQ(percentile(v, 100), 5);
  EXPECT_DOUBLE_EQ(percentile(v, 90), 4.6);   // numpy.percentile([1..5], 90)
  EXPECT_DOUBLE_EQ(percentile(v, 99), 4.96);
  std::vector<double> h;
  for (int i = 1; i <= 100; ++i) h.push_back(i);
  EXPECT_NEAR(percentile(h, 99), 99.01, 1e-9);
  EXPECT_TRUE(std::isnan(percentile({}, 50)));
  Dist d = summarize(v);
  EXPECT_DOUBLE_EQ(d.mean, 3);
  EXPECT_DOUBLE_EQ(d.max, 5);
  EXPECT_EQ(d.n, 5);
}

TEST(Record, TpotIsMeanGapAfterFirstToken) {
  RequestRecord r = rec(1.0, 0.5, 11, 0.02);
  EXPECT_DOUBLE_EQ(r.ttft(), 0.5);
  EXPECT_NEAR(r.tpot(), 0.02, 1e-12);
  EXPECT_EQ(r.gaps().size(), 10u);
  r.output_tokens = 21;  // usage says 21 tokens in 11 chunks: two per chunk
  EXPECT_NEAR(r.tpot(), 0.01, 1e-12);
  EXPECT_EQ(rec(0, 0.1, 1, 0).tpot(), 0);
}

TEST(Slo, ParsesUnitsAndRejectsJunk) {
  auto s = parse_slo("ttft=2s,tpot=100ms,e2e=30000");
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->ttft_s, 2);
  EXPECT_DOUBLE_EQ(s->tpot_s, 0.1);
  EXPECT_DOUBLE_EQ(s->e2e_s, 30);
  EXPECT_FALSE(parse_slo("ttft").ok());
  EXPECT_FALSE(parse_slo("ttft=-1").ok());
  EXPECT_FALSE(parse_slo("ttft=2h").ok());
  EXPECT_FALSE(parse_slo("foo=1s").ok());
  EXPECT_FALSE(parse_slo("").value().any());
}

TEST(Summary, HandMadeTimingsGiveKnownAnswers) {
  // Four ok requests over [0, 2.0xx] s plus one error; SLO ttft <= 0.3 s, tpot <= 0.05 s.
  std::vector<RequestRecord> v{rec(0.0, 0.1, 5, 0.01), rec(0.5, 0.2, 5, 0.04), rec(1.0, 0.4, 5, 0.01),
                               rec(1.5, 0.2, 5, 0.1), rec(1.6, 0.1, 3, 0.01, /*ok=*/false)};
  Slo slo{0.3, 0.05, 0};
  EXPECT_TRUE(attains(v[0], slo));
  EXPECT_TRUE(attains(v[1], slo));
  EXPECT_FALSE(attains(v[2], slo));  // TTFT
  EXPECT_FALSE(attains(v[3], slo));  // TPOT
  EXPECT_FALSE(attains(v[4], slo));  // failed
  RunSummary s = summarize_run(v, slo);
  EXPECT_EQ(s.num_requests, 5);
  EXPECT_EQ(s.num_ok, 4);
  EXPECT_EQ(s.num_errors, 1);
  EXPECT_DOUBLE_EQ(s.attainment, 0.4);
  EXPECT_EQ(s.total_output_tokens, 20);
  EXPECT_NEAR(s.duration_s, 1.5 + 0.2 + 0.4 + 0.001, 1e-9);  // last end - first start
  EXPECT_NEAR(s.output_throughput, 20 / s.duration_s, 1e-9);
  EXPECT_NEAR(s.ttft.p50, 0.2, 1e-12);   // {0.1, 0.2, 0.2, 0.4}
  EXPECT_NEAR(s.ttft.mean, 0.225, 1e-12);
  EXPECT_NEAR(s.tpot.max, 0.1, 1e-12);
  EXPECT_EQ(s.itl.n, 16);
  EXPECT_DOUBLE_EQ(summarize_run(v, {}).attainment, 0.8);  // no SLO: every ok request attains
}

TEST(Goodput, FindsTheKneeOfAKnownCurve) {
  // Attainment 97% up to 3.7 req/s, 40% beyond.
  int calls = 0;
  auto curve = [&](double r) { ++calls; return r <= 3.7 ? 0.97 : 0.4; };
  GoodputResult g = find_goodput(curve, {0.5, 32, 12, 0.9, 0.02});
  EXPECT_LE(g.goodput, 3.7);
  EXPECT_GE(g.goodput, 3.7 / 1.02 - 1e-9);
  EXPECT_FALSE(g.at_max);
  EXPECT_EQ(static_cast<int>(g.points.size()), calls);
  EXPECT_LE(calls, 12);
  for (size_t i = 1; i < g.points.size(); ++i) EXPECT_LT(g.points[i - 1].rate, g.points[i].rate);
}

TEST(Goodput, BoundedAtBothEnds) {
  GoodputResult all = find_goodput([](double) { return 1.0; }, {1, 8, 5, 0.9, 0.05});
  EXPECT_TRUE(all.at_max);
  EXPECT_DOUBLE_EQ(all.goodput, 8);
  EXPECT_EQ(all.points.size(), 1u);
  GoodputResult none = find_goodput([](double) { return 0.5; }, {1, 8, 5, 0.9, 0.05});
  EXPECT_DOUBLE_EQ(none.goodput, 0);
  EXPECT_EQ(none.points.size(), 2u);
  int calls = 0;
  find_goodput([&](double r) { ++calls; return r < 2.0 ? 1.0 : 0.0; }, {0.1, 100, 4, 0.9, 1e-6});
  EXPECT_EQ(calls, 4);  // max_steps bounds the search
}

}  // namespace
}  // namespace mms::bench
