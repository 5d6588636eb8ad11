// The bench's outputs: report.json (config, summaries and every request's raw timings), summary.md
// (tables, and ratios when two systems were compared) and SVG plots (latency CDFs, attainment vs rate,
// throughput over time). Value types; write_report is thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/goodput.h"
#include "bench/metrics.h"
#include "bench/request_record.h"
#include "common/status.h"

namespace mms::bench {

struct SystemResult {
  std::string name;  // "target" | "compare" (or a user label)
  std::string url;
  std::vector<RequestRecord> records;
  RunSummary summary;
  std::optional<GoodputResult> goodput;
};

struct BenchReport {
  std::string workload;        // what was sent
  std::string token_counting;  // "measured via /tokenize: X chars/token" or "estimated: 4 chars/token"
  std::string mode;            // "open loop" | "closed loop, concurrency N"
  std::string compare_mode;    // "sequential" | "interleaved (slices of N s)" | ""
  std::string slo_text;
  Slo slo;
  int64_t planned_requests = 0;
  bool interrupted = false;    // Ctrl-C or duration bound cut the run short
  std::vector<SystemResult> systems;
};

std::string markdown_summary(const BenchReport& r);
std::string report_json(const BenchReport& r);
// Writes report.json, summary.md, ttft_cdf.svg, tpot_cdf.svg, e2e_cdf.svg, throughput.svg and (with a
// goodput search) attainment.svg into `dir` (created if missing). IoError on failure.
Status write_report(const BenchReport& r, const std::string& dir);

}  // namespace mms::bench
