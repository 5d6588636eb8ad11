// End to end: the bench against the real `mmserve serve` binary on the tiny fixture, 127.0.0.1 only.
// One server: a short open-loop run through run_bench (the library `mmserve bench` calls) must produce a
// complete, consistent report. Two servers (--max-num-seqs 1 vs 8): the `mmserve bench --compare` binary,
// closed loop at concurrency 4, reports both systems and the ratio table, and the server that runs one
// request at a time has the higher mean TTFT (its queue). Skipped when the mmserve binary is not built.
#include "bench/bench_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

#include "testing/serve_process.h"
#include "testing/test_data.h"

// A named namespace of its own: the test executables are unity builds, where anonymous namespaces of
// files in one batch are shared.
namespace mms::bench::real_server_e2e_test {
namespace {

using nlohmann::json;
using mms::testing::ServeProcess;

constexpr const char* kModelName = "tiny";

std::string out_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("mms_bench_real_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return d.string();
}

// Removes the directory on every exit path.
struct TmpDir {
  std::string path;
  ~TmpDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};


std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

bool start_server(ServeProcess& sp, int max_num_seqs) {
  return sp.start(mms::testing::test_data("tiny-qwen2-hf"),
                  {"--served-model-name", kModelName, "--max-num-seqs", std::to_string(max_num_seqs), "--threads", "1"});
}

// One system's report.json entry: counts add up, no errors, per-request timings are ordered and the
// output length is the requested max_tokens (ignore_eos).
void expect_consistent(const json& sys, int64_t planned, int64_t output_tokens) {
  const json& s = sys["summary"];
  EXPECT_EQ(s["num_requests"].get<int64_t>(), planned);
  EXPECT_EQ(s["num_ok"].get<int64_t>(), planned);
  EXPECT_EQ(s["num_errors"].get<int64_t>(), 0);
  EXPECT_EQ(s["num_ok"].get<int64_t>() + s["num_errors"].get<int64_t>(), planned);
  ASSERT_EQ(static_cast<int64_t>(sys["requests"].size()), planned);
  int64_t tokens = 0;
  for (const json& r : sys["requests"]) {
    EXPECT_TRUE(r["ok"].get<bool>()) << r.dump();
    if (!r["ok"].get<bool>()) continue;
    tokens += r["output_tokens"].get<int64_t>();
    const double ttft = r["ttft_s"].get<double>(), e2e = r["e2e_s"].get<double>();
    EXPECT_GT(ttft, 0);
    EXPECT_LE(ttft, e2e);
    const auto times = r["chunk_times_s"].get<std::vector<double>>();
    EXPECT_EQ(static_cast<int64_t>(times.size()), r["chunks"].get<int64_t>());
    ASSERT_FALSE(times.empty());
    // Chunk times are seconds from the run's start, like start_s / first_token_s / end_s.
    const double start = r["start_s"].get<double>();
    EXPECT_GE(r["scheduled_s"].get<double>(), 0);
    EXPECT_GE(start, 0);
    EXPECT_DOUBLE_EQ(times.front(), r["first_token_s"].get<double>());
    EXPECT_LE(times.back(), r["end_s"].get<double>());
    EXPECT_NEAR(r["first_token_s"].get<double>() - start, ttft, 1e-9);
    for (size_t i = 1; i < times.size(); ++i) EXPECT_GE(times[i], times[i - 1]);  // no negative gaps
    EXPECT_EQ(r["output_tokens"].get<int64_t>(), output_tokens);
    EXPECT_EQ(r["expected_output_tokens"].get<int64_t>(), output_tokens);
  }
  EXPECT_EQ(tokens, s["total_output_tokens"].get<int64_t>());
}

void expect_report_files(const std::string& dir) {
  for (const char* f : {"report.json", "summary.md", "ttft_cdf.svg", "tpot_cdf.svg", "e2e_cdf.svg", "throughput.svg"}) {
    const auto p = std::filesystem::path(dir) / f;
    EXPECT_TRUE(std::filesystem::exists(p)) << f;
    if (std::filesystem::exists(p)) {
      EXPECT_GT(std::filesystem::file_size(p), 0u) << f;
    }
  }
  const std::string svg = read_text(dir + "/ttft_cdf.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
}

TEST(BenchRealServer, ShortPoissonRunWritesConsistentReport) {
  if (mms::testing::mmserve_bin().empty()) GTEST_SKIP() << "mmserve binary not built";
  ServeProcess sp;
  ASSERT_TRUE(start_server(sp, 8));
  constexpr int64_t kRequests = 12, kOut = 8;
  TmpDir dir{out_dir("poisson")};
  BenchOptions o;
  o.target = sp.url();
  o.model = kModelName;
  o.api = "chat";
  o.arrival = "poisson";
  o.rate = 4;
  o.num_requests = kRequests;
  o.input_tokens = 32;
  o.output_tokens = kOut;
  o.ignore_eos = true;
  o.slo = "ttft=5s,tpot=1s";
  o.max_duration_s = 60;
  o.request_timeout_s = 30;
  o.out_dir = dir.path;
  o.progress = false;
  auto rep = run_bench(o);
  ASSERT_TRUE(rep.ok()) << rep.status().to_string();
  EXPECT_FALSE(rep->interrupted);
  EXPECT_EQ(rep->planned_requests, kRequests);
  EXPECT_NE(rep->token_counting.find("measured"), std::string::npos) << rep->token_counting;
  ASSERT_EQ(rep->systems.size(), 1u);
  const RunSummary& s = rep->systems[0].summary;
  EXPECT_EQ(s.num_requests, kRequests);
  EXPECT_EQ(s.num_ok, kRequests);
  EXPECT_EQ(s.num_errors, 0);
  EXPECT_EQ(s.total_output_tokens, kRequests * kOut);
  EXPECT_GT(s.total_prompt_tokens, 0);  // the server reports usage
  EXPECT_GT(s.output_throughput, 0);
  EXPECT_LE(s.ttft.p50, s.e2e.p50);
  EXPECT_GE(s.tpot.p50, 0);

  expect_report_files(dir.path);
  json j = mms::testing::load_json(dir.path + "/report.json");
  ASSERT_EQ(j["systems"].size(), 1u);
  EXPECT_EQ(j["systems"][0]["url"], sp.url());
  expect_consistent(j["systems"][0], kRequests, kOut);
  const std::string md = read_text(dir.path + "/summary.md");
  EXPECT_NE(md.find("TTFT"), std::string::npos);
  EXPECT_EQ(md.find("## Ratios"), std::string::npos);  // one system: no ratio table
  EXPECT_EQ(sp.stop(), 0);
}

TEST(BenchRealServer, CompareMaxNumSeqsOneAgainstEight) {
  if (mms::testing::mmserve_bin().empty()) GTEST_SKIP() << "mmserve binary not built";
  ServeProcess wide, narrow;  // target: --max-num-seqs 8; compare: --max-num-seqs 1 (queues)
  ASSERT_TRUE(start_server(wide, 8));
  ASSERT_TRUE(start_server(narrow, 1));
  constexpr int64_t kRequests = 12, kOut = 24;
  TmpDir dir{out_dir("compare")};
  // The `mmserve bench` binary itself, as a user would run it.
  const std::string cmd = mms::testing::mmserve_bin() + " bench --target " + wide.url() + " --compare " +
                          narrow.url() + " --model " + kModelName +
                          " --api completions --concurrency 4 -n " + std::to_string(kRequests) +
                          " --input-tokens 16 --output-tokens " + std::to_string(kOut) +
                          " --max-duration 60 --request-timeout 30 --no-progress -o " + dir.path + " > " + dir.path +
                          ".log 2>&1";
  std::filesystem::create_directories(dir.path);
  const int rc = std::system(cmd.c_str());
  const std::string log = read_text(dir.path + ".log");
  std::filesystem::remove(dir.path + ".log");
  ASSERT_EQ(rc, 0) << log;

  expect_report_files(dir.path);
  json j = mms::testing::load_json(dir.path + "/report.json");
  ASSERT_EQ(j["systems"].size(), 2u);
  EXPECT_EQ(j["systems"][0]["url"], wide.url());
  EXPECT_EQ(j["systems"][1]["url"], narrow.url());
  expect_consistent(j["systems"][0], kRequests, kOut);
  expect_consistent(j["systems"][1], kRequests, kOut);

  const std::string md = read_text(dir.path + "/summary.md");
  EXPECT_NE(md.find("## Ratios (compare / target)"), std::string::npos) << md;
  for (const char* row : {"| TTFT p50 |", "| TTFT p99 |", "| TPOT p50 |", "| E2E p50 |", "| output tok/s |"})
    EXPECT_NE(md.find(row), std::string::npos) << row;
  EXPECT_NE(md.find(wide.url()), std::string::npos);
  EXPECT_NE(md.find(narrow.url()), std::string::npos);

  auto mean = [&](int sys, const char* field) {
    double sum = 0;
    for (const json& r : j["systems"][sys]["requests"]) sum += r[field].get<double>();
    return sum / static_cast<double>(j["systems"][sys]["requests"].size());
  };
  const double ttft_wide = mean(0, "ttft_s"), ttft_narrow = mean(1, "ttft_s");
  const double e2e_wide = mean(0, "e2e_s"), e2e_narrow = mean(1, "e2e_s");
  std::printf("mean TTFT: max-num-seqs 8 %.4f s, 1 %.4f s (ratio %.2f); mean E2E: 8 %.4f s, 1 %.4f s (ratio %.2f)\n",
              ttft_wide, ttft_narrow, ttft_narrow / ttft_wide, e2e_wide, e2e_narrow, e2e_narrow / e2e_wide);
  // With 4 requests in flight, max-num-seqs 1 runs them one after another: a request waits for up to three
  // whole generations before its first token, while max-num-seqs 8 prefills all four at once.
  EXPECT_GT(ttft_narrow, ttft_wide);
  EXPECT_EQ(wide.stop(), 0);
  EXPECT_EQ(narrow.stop(), 0);
}

}  // namespace
}  // namespace mms::bench::real_server_e2e_test
