#include "bench/servegen.h"

#include <gtest/gtest.h>

#include "bench/image_gen.h"
#include "testing/test_data.h"

namespace mms::bench {
namespace {

TEST(ServeGen, ParsesPythonDistributions) {
  auto d = parse_python_dist("{136: 0.2557027673108869, 372: 0.7442972326891131}");
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->values.size(), 2u);
  EXPECT_NEAR(d->mean(), 136 * 0.2557 + 372 * 0.7443, 0.1);
  EXPECT_DOUBLE_EQ(d->cdf.back(), 1.0);
  std::mt19937_64 rng(1);
  int big = 0;
  for (int i = 0; i < 10000; ++i) big += d->sample(rng) == 372;
  EXPECT_NEAR(big / 10000.0, 0.744, 0.02);
  EXPECT_FALSE(parse_python_dist("{}").ok());
  EXPECT_FALSE(parse_python_dist("{1 0.5}").ok());
}

TEST(ServeGen, ReadsClientWindowsAndMixes) {
  auto c = read_servegen_client(mms::testing::test_data("bench/servegen_mm-image"), 0);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  ASSERT_EQ(c->windows.size(), 144u);  // a day of 600 s windows
  EXPECT_EQ(c->windows[1].start_s, 600);
  EXPECT_EQ(c->windows[1].distribution, "Weibull");
  EXPECT_NEAR(c->windows[0].rate, 0.805, 1e-9);
  ASSERT_EQ(c->mixes.size(), 4u);  // 0, 21600, 43200, 64800
  const ServeGenMix& m = c->mixes.at(0);
  EXPECT_DOUBLE_EQ(m.image_count.mean(), 1.0);
  EXPECT_NEAR(m.image_tokens.mean(), 1208, 15);  // mostly 1196 and 1222
}

TEST(ServeGen, SamplesWindowWithItsRateAndImageMix) {
  ServeGenOptions o;
  o.clients = {0};
  o.start_s = 0;
  o.duration_s = 3600;  // six windows, ~0.8-0.95 req/s
  o.seed = 3;
  auto t = servegen_trace(mms::testing::test_data("bench/servegen_mm-image"), o);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  const double rate = static_cast<double>(t->requests.size()) / 3600.0;
  EXPECT_NEAR(rate, 0.9, 0.12);
  for (size_t i = 1; i < t->requests.size(); ++i) EXPECT_GE(t->requests[i].arrival_s, t->requests[i - 1].arrival_s);
  for (const TraceRequest& r : t->requests) {
    ASSERT_EQ(r.images.size(), 1u);  // client 0 always sends one image
    int64_t tok = qwen25vl_image_tokens(r.images[0].width, r.images[0].height);
    EXPECT_GE(tok, 500);
    EXPECT_LE(tok, 1300);
    EXPECT_GT(r.output_tokens, 0);
    EXPECT_TRUE(r.input_tokens == 136 || r.input_tokens == 372 || r.input_tokens > 0);
  }
}

TEST(ServeGen, AllClientsInDirectoryAreSuperposed) {
  ServeGenOptions o;
  o.duration_s = 600;
  auto both = servegen_trace(mms::testing::test_data("bench/servegen_mm-image"), o);
  o.clients = {0};
  auto one = servegen_trace(mms::testing::test_data("bench/servegen_mm-image"), o);
  ASSERT_TRUE(both.ok() && one.ok());
  EXPECT_GT(both->requests.size(), one->requests.size());
  EXPECT_FALSE(servegen_trace("/nonexistent", {}).ok());
}

}  // namespace
}  // namespace mms::bench
