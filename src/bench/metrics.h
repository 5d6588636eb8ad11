// Summary statistics over measured requests: percentiles, throughput, SLO attainment. Pure functions,
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/request_record.h"
#include "common/status.h"

namespace mms::bench {

// p in [0, 100], linear interpolation between closest ranks (NumPy's default). NaN for no values.
double percentile(std::vector<double> values, double p);

struct Dist {
  int64_t n = 0;
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};
Dist summarize(const std::vector<double>& values);

// Targets a request must meet; 0 disables one. A request attains when it succeeded and meets all.
struct Slo {
  double ttft_s = 0;
  double tpot_s = 0;
  double e2e_s = 0;
  bool any() const { return ttft_s > 0 || tpot_s > 0 || e2e_s > 0; }
};
// "ttft=2s,tpot=100ms[,e2e=30s]"; a bare number is milliseconds.
StatusOr<Slo> parse_slo(const std::string& text);
bool attains(const RequestRecord& r, const Slo& slo);

struct RunSummary {
  int64_t num_requests = 0;  // started
  int64_t num_ok = 0;
  int64_t num_errors = 0;
  double duration_s = 0;     // first send to last completion
  double request_throughput = 0;  // completed ok requests / duration
  double output_throughput = 0;   // output tokens of ok requests / duration
  int64_t total_output_tokens = 0;
  int64_t total_prompt_tokens = 0;  // as reported by usage (0 when not reported)
  Dist ttft, tpot, itl, e2e;        // over ok requests; itl over every gap
  double attainment = 0;            // fraction of started requests that attain the SLO (1 when no SLO)
};
RunSummary summarize_run(const std::vector<RequestRecord>& records, const Slo& slo);

}  // namespace mms::bench
