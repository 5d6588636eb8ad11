// End to end: the bench against fake OpenAI servers on 127.0.0.1.
#include "bench/bench_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "fake_openai_server.h"
#include "testing/test_data.h"

namespace mms::bench {
namespace {

using nlohmann::json;

std::string out_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("mms_bench_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return d.string();
}


void expect_consistent(const json& sys, int64_t planned) {
  const json& s = sys["summary"];
  EXPECT_EQ(s["num_requests"].get<int64_t>(), planned);
  EXPECT_EQ(s["num_ok"].get<int64_t>() + s["num_errors"].get<int64_t>(), planned);
  EXPECT_EQ(static_cast<int64_t>(sys["requests"].size()), planned);
  int64_t tokens = 0;
  for (const json& r : sys["requests"]) {
    if (!r["ok"].get<bool>()) continue;
    tokens += r["output_tokens"].get<int64_t>();
    EXPECT_LE(r["ttft_s"].get<double>(), r["e2e_s"].get<double>());
    EXPECT_GE(r["ttft_s"].get<double>(), 0);
    const auto times = r["chunk_times_s"].get<std::vector<double>>();
    EXPECT_EQ(static_cast<int64_t>(times.size()), r["chunks"].get<int64_t>());
    for (size_t i = 1; i < times.size(); ++i) EXPECT_GE(times[i], times[i - 1]);  // no negative gaps
    EXPECT_EQ(r["output_tokens"], r["expected_output_tokens"]);  // max_tokens + ignore_eos honoured
  }
  EXPECT_EQ(tokens, s["total_output_tokens"].get<int64_t>());
}

TEST(BenchEndToEnd, SyntheticRunWritesConsistentReport) {
  testing::FakeOpenAiServer server({.ttft_s = 0.01, .itl_s = 0.002, .fail_every = 10});
  BenchOptions o;
  o.target = server.url();
  o.num_requests = 20;
  o.rate = 50;
  o.input_tokens = 64;
  o.output_tokens = 6;
  o.images_per_request = 1;
  o.image_size = "112x84";
  o.slo = "ttft=1s,tpot=100ms";
  o.out_dir = out_dir("synthetic");
  o.progress = false;
  auto rep = run_bench(o);
  ASSERT_TRUE(rep.ok()) << rep.status().to_string();
  EXPECT_FALSE(rep->interrupted);
  EXPECT_NE(rep->token_counting.find("measured"), std::string::npos) << rep->token_counting;
  const RunSummary& s = rep->systems[0].summary;
  EXPECT_EQ(s.num_requests, 20);
  EXPECT_EQ(s.num_errors, 2);  // every 10th fails
  EXPECT_DOUBLE_EQ(s.attainment, 0.9);
  for (const char* f : {"report.json", "summary.md", "ttft_cdf.svg", "tpot_cdf.svg", "e2e_cdf.svg", "throughput.svg"})
    EXPECT_TRUE(std::filesystem::exists(o.out_dir + "/" + f)) << f;
  json j = mms::testing::load_json(o.out_dir + "/report.json");
  ASSERT_EQ(j["systems"].size(), 1u);
  expect_consistent(j["systems"][0], 20);
  std::filesystem::remove_all(o.out_dir);
}

TEST(BenchEndToEnd, ComparisonShowsTheSlowerServerLosing) {
  testing::FakeOpenAiServer fast({.ttft_s = 0.005, .itl_s = 0.001});
  testing::FakeOpenAiServer slow({.ttft_s = 0.06, .itl_s = 0.008, .tokenize = false});
  for (const char* mode : {"sequential", "interleaved"}) {
    BenchOptions o;
    o.target = fast.url();
    o.compare = slow.url();
    o.compare_mode = mode;
    o.slice_s = 0.1;
    o.api = "completions";
    o.num_requests = 12;
    o.rate = 40;
    o.output_tokens = 8;
    o.out_dir = out_dir(mode);
    o.progress = false;
    auto rep = run_bench(o);
    ASSERT_TRUE(rep.ok()) << rep.status().to_string();
    ASSERT_EQ(rep->systems.size(), 2u);
    const RunSummary &a = rep->systems[0].summary, &b = rep->systems[1].summary;
    EXPECT_EQ(a.num_ok, 12) << mode;
    EXPECT_EQ(b.num_ok, 12) << mode;
    EXPECT_GT(b.ttft.p50 / a.ttft.p50, 3.0) << mode;
    EXPECT_GT(b.tpot.p50 / a.tpot.p50, 2.0) << mode;
    std::ifstream md(o.out_dir + "/summary.md");
    std::string text((std::istreambuf_iterator<char>(md)), {});
    EXPECT_NE(text.find("| TTFT p50 |"), std::string::npos);
    EXPECT_NE(text.find("(target better)"), std::string::npos);
    EXPECT_EQ(text.find("TTFT p50 | 0."), std::string::npos);  // ratio > 1: compare is slower
    json j = mms::testing::load_json(o.out_dir + "/report.json");
    expect_consistent(j["systems"][0], 12);
    expect_consistent(j["systems"][1], 12);
    std::filesystem::remove_all(o.out_dir);
  }
}

TEST(BenchEndToEnd, TraceReplayClosedLoopAndGoodput) {
  testing::FakeOpenAiServer server({.ttft_s = 0.002, .itl_s = 0.0005, .tokenize = false});
  BenchOptions o;
  o.target = server.url();
  o.trace = "azure";
  o.trace_path = mms::testing::test_data("bench/azure_conv_head40.csv");
  o.rate_scale = 100;
  o.num_requests = 10;
  o.concurrency = 3;
  o.out_dir = out_dir("azure");
  o.progress = false;
  auto rep = run_bench(o);
  ASSERT_TRUE(rep.ok()) << rep.status().to_string();
  EXPECT_NE(rep->token_counting.find("estimated"), std::string::npos);
  EXPECT_EQ(rep->systems[0].summary.num_ok, 10);

  // Goodput over an open-loop synthetic workload: the fake server keeps up at every probed rate.
  o.trace = "synthetic";
  o.concurrency = 0;
  o.num_requests = 8;
  o.output_tokens = 4;
  o.slo = "ttft=500ms";
  o.goodput = true;
  o.goodput_min_rate = 5;
  o.goodput_max_rate = 40;
  o.goodput_steps = 3;
  o.goodput_requests = 8;
  rep = run_bench(o);
  ASSERT_TRUE(rep.ok()) << rep.status().to_string();
  ASSERT_TRUE(rep->systems[0].goodput.has_value());
  EXPECT_TRUE(rep->systems[0].goodput->at_max);
  EXPECT_DOUBLE_EQ(rep->systems[0].goodput->goodput, 40);
  EXPECT_TRUE(std::filesystem::exists(o.out_dir + "/attainment.svg"));
  std::filesystem::remove_all(o.out_dir);
}

TEST(BenchEndToEnd, SafetyRules) {
  BenchOptions o;
  o.target = "http://10.1.2.3:8000";
  o.out_dir = out_dir("safety");
  auto r = run_bench(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--allow-remote"), std::string::npos);
  o.target = "http://127.0.0.1:1";
  o.num_requests = 1000000;
  EXPECT_FALSE(run_bench(o).ok());  // over --max-requests
  o.num_requests = 5;
  o.slo = "ttft=soon";
  EXPECT_FALSE(run_bench(o).ok());
}

TEST(BenchEndToEnd, StopFlagWritesWhatWasMeasured) {
  testing::FakeOpenAiServer server({.ttft_s = 0.01, .itl_s = 0.05});
  std::atomic<bool> stop{false};
  BenchOptions o;
  o.target = server.url();
  o.num_requests = 40;
  o.rate = 10;
  o.output_tokens = 50;
  o.out_dir = out_dir("stop");
  o.progress = false;
  o.stop = &stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    stop = true;
  });
  auto rep = run_bench(o);
  stopper.join();
  ASSERT_TRUE(rep.ok()) << rep.status().to_string();
  EXPECT_TRUE(rep->interrupted);
  EXPECT_LT(rep->systems[0].summary.num_requests, 40);
  EXPECT_GT(rep->systems[0].summary.num_requests, 0);
  json j = mms::testing::load_json(o.out_dir + "/report.json");
  EXPECT_TRUE(j["interrupted"].get<bool>());
  std::filesystem::remove_all(o.out_dir);
}

}  // namespace
}  // namespace mms::bench
