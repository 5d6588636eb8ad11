// Percentiles, SLO parsing and run summaries.
#include "bench/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace mms::bench {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}

Dist summarize(const std::vector<double>& v) {
  Dist d;
  d.n = static_cast<int64_t>(v.size());
  if (v.empty()) return d;
  double sum = 0;
  for (double x : v) sum += x;
  d.mean = sum / static_cast<double>(v.size());
  d.p50 = percentile(v, 50);
  d.p90 = percentile(v, 90);
  d.p99 = percentile(v, 99);
  d.max = *std::max_element(v.begin(), v.end());
  return d;
}

StatusOr<Slo> parse_slo(const std::string& text) {
  Slo slo;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos) return invalid_argument("SLO item '" + item + "' is not key=value");
    std::string key = item.substr(0, eq), val = item.substr(eq + 1);
    char* end = nullptr;
    double x = std::strtod(val.c_str(), &end);
    std::string unit(end);
    if (end == val.c_str() || x <= 0) return invalid_argument("SLO value '" + val + "' is not a positive number");
    double s = unit == "s" ? x : unit == "ms" || unit.empty() ? x / 1000 : unit == "us" ? x / 1e6 : -1;
    if (s < 0) return invalid_argument("SLO unit '" + unit + "' (use s, ms or us)");
    if (key == "ttft") slo.ttft_s = s;
    else if (key == "tpot" || key == "itl") slo.tpot_s = s;
    else if (key == "e2e") slo.e2e_s = s;
    else return invalid_argument("unknown SLO '" + key + "' (ttft, tpot, e2e)");
  }
  return slo;
}

bool attains(const RequestRecord& r, const Slo& slo) {
  if (!r.ok) return false;
  if (slo.ttft_s > 0 && r.ttft() > slo.ttft_s) return false;
  if (slo.tpot_s > 0 && r.tpot() > slo.tpot_s) return false;
  if (slo.e2e_s > 0 && r.e2e() > slo.e2e_s) return false;
  return true;
}

RunSummary summarize_run(const std::vector<RequestRecord>& records, const Slo& slo) {
  RunSummary s;
  s.num_requests = static_cast<int64_t>(records.size());
  std::vector<double> ttft, tpot, itl, e2e;
  double first = std::numeric_limits<double>::infinity(), last = 0;
  int64_t attained = 0;
  for (const RequestRecord& r : records) {
    if (r.start_s >= 0) first = std::min(first, r.start_s);
    last = std::max(last, r.end_s);
    if (attains(r, slo)) ++attained;
    if (!r.ok) {
      ++s.num_errors;
      continue;
    }
    ++s.num_ok;
    s.total_output_tokens += r.output_tokens;
    s.total_prompt_tokens += r.prompt_tokens_reported;
    ttft.push_back(r.ttft());
    e2e.push_back(r.e2e());
    if (r.output_tokens > 1) tpot.push_back(r.tpot());
    for (double g : r.gaps()) itl.push_back(g);
  }
  s.duration_s = std::isfinite(first) && last > first ? last - first : 0;
  if (s.duration_s > 0) {
    s.request_throughput = static_cast<double>(s.num_ok) / s.duration_s;
    s.output_throughput = static_cast<double>(s.total_output_tokens) / s.duration_s;
  }
  s.ttft = summarize(ttft);
  s.tpot = summarize(tpot);
  s.itl = summarize(itl);
  s.e2e = summarize(e2e);
  s.attainment = s.num_requests ? static_cast<double>(attained) / static_cast<double>(s.num_requests) : 0;
  return s;
}

}  // namespace mms::bench
