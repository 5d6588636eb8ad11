#include "bench/trace.h"

#include <gtest/gtest.h>

#include "testing/test_data.h"

namespace mms::bench {
namespace {

TEST(AzureTrace, ReadsRealSlice) {
  auto t = read_azure_csv(mms::testing::test_data("bench/azure_conv_head40.csv"));
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ASSERT_EQ(t->requests.size(), 40u);
  EXPECT_DOUBLE_EQ(t->requests[0].arrival_s, 0.0);
  EXPECT_EQ(t->requests[0].input_tokens, 374);
  EXPECT_EQ(t->requests[0].output_tokens, 44);
  // 18:15:50.9951690 - 18:15:46.6805900
  EXPECT_NEAR(t->requests[1].arrival_s, 4.314579, 1e-6);
  EXPECT_EQ(t->requests[39].input_tokens, 28);
  EXPECT_NEAR(t->requests[39].arrival_s, 24.146296, 1e-6);  // 18:16:10.8268860
  for (size_t i = 1; i < t->requests.size(); ++i) EXPECT_GE(t->requests[i].arrival_s, t->requests[i - 1].arrival_s);
}

TEST(AzureTrace, ReportsBadLinesAndMissingFiles) {
  EXPECT_EQ(read_azure_csv("/nonexistent.csv").status().code(), StatusCode::kIoError);
  auto bad = read_mooncake_jsonl(mms::testing::test_data("bench/azure_conv_head40.csv"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(":1:"), std::string::npos) << bad.status().message();
}

TEST(MooncakeTrace, ReadsRealSliceWithSharedPrefixes) {
  auto t = read_mooncake_jsonl(mms::testing::test_data("bench/mooncake_conversation_head40.jsonl"));
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ASSERT_EQ(t->requests.size(), 40u);
  const TraceRequest& r0 = t->requests[0];
  EXPECT_EQ(r0.input_tokens, 6758);
  EXPECT_EQ(r0.output_tokens, 500);
  ASSERT_EQ(r0.prefix_blocks.size(), 14u);  // ceil(6758 / 512)
  EXPECT_EQ(r0.prefix_blocks[0], 0);
  EXPECT_EQ(t->requests[1].prefix_blocks[0], 0);  // every conversation shares block 0
  EXPECT_NEAR(t->requests.back().arrival_s, 12.0, 1e-9);  // 12000 ms
  for (const TraceRequest& r : t->requests) {
    EXPECT_LE(static_cast<int64_t>(r.prefix_blocks.size()),
              (r.input_tokens + kMooncakeBlockTokens - 1) / kMooncakeBlockTokens);
  }
}

TEST(BurstGptTrace, FindsColumnsByName) {
  auto t = read_burstgpt_csv(mms::testing::test_data("bench/burstgpt_sample.csv"));
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  ASSERT_EQ(t->requests.size(), 5u);
  EXPECT_DOUBLE_EQ(t->requests[0].arrival_s, 0);
  EXPECT_DOUBLE_EQ(t->requests[3].arrival_s, 131.5);
  EXPECT_EQ(t->requests[1].output_tokens, 1);  // failed request (0 tokens) kept with 1
  EXPECT_EQ(t->requests[4].input_tokens, 17);  // quoted field
}

TEST(TraceOps, WindowScaleTruncateRate) {
  Trace t;
  for (int i = 0; i < 10; ++i) t.requests.push_back({static_cast<double>(i), 1, 1, {}, {}});
  EXPECT_NEAR(trace_rate(t), 1.0, 1e-12);
  Trace w = window_trace(t, 2.0, 5.0);
  ASSERT_EQ(w.requests.size(), 5u);  // 2,3,4,5,6
  EXPECT_DOUBLE_EQ(w.requests[0].arrival_s, 0.0);
  EXPECT_DOUBLE_EQ(w.requests[4].arrival_s, 4.0);
  scale_trace_time(w, 4.0);
  EXPECT_DOUBLE_EQ(w.requests[4].arrival_s, 1.0);
  EXPECT_NEAR(trace_rate(w), 4.0, 1e-12);
  truncate_trace(w, 2);
  EXPECT_EQ(w.requests.size(), 2u);
  EXPECT_EQ(window_trace(t, 0, 0).requests.size(), 10u);
}

}  // namespace
}  // namespace mms::bench
