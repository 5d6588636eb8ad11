// Readers for the Azure, Mooncake and BurstGPT trace formats, and trace time operations.
#include "bench/trace.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace mms::bench {
namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  for (std::string& s : out) {  // trim spaces
    size_t a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
    s = a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
  }
  return out;
}

bool to_double(const std::string& s, double& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool to_int(const std::string& s, int64_t& v) {
  double d;
  if (!to_double(s, d) || d < 0 || d > 1e12) return false;
  v = static_cast<int64_t>(std::llround(d));
  return true;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// "2023-11-16 18:15:46.6805900" -> seconds since the epoch.
bool parse_datetime(const std::string& s, double& out) {
  int y, mo, d, h, mi;
  double sec;
  char frac[32] = {0};
  if (std::sscanf(s.c_str(), "%d-%d-%d %d:%d:%31s", &y, &mo, &d, &h, &mi, frac) != 6) return false;
  if (!to_double(frac, sec)) return false;
  out = static_cast<double>(days_from_civil(y, mo, d)) * 86400.0 + h * 3600.0 + mi * 60.0 + sec;
  return true;
}

Status bad_line(const std::string& path, size_t line, const std::string& what) {
  return invalid_argument(path + ":" + std::to_string(line) + ": " + what);
}

void finish(Trace& t) {
  std::stable_sort(t.requests.begin(), t.requests.end(),
                   [](const TraceRequest& a, const TraceRequest& b) { return a.arrival_s < b.arrival_s; });
  if (t.requests.empty()) return;
  double t0 = t.requests.front().arrival_s;
  for (TraceRequest& r : t.requests) r.arrival_s -= t0;
}

}  // namespace

StatusOr<Trace> read_azure_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return io_error("cannot open " + path);
  Trace t;
  t.source = "azure:" + path;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line == "\r") continue;
    auto f = split_csv(line);
    if (n == 1 && !f.empty() && f[0] == "TIMESTAMP") continue;
    TraceRequest r;
    if (f.size() < 3 || !parse_datetime(f[0], r.arrival_s) || !to_int(f[1], r.input_tokens) ||
        !to_int(f[2], r.output_tokens))
      return bad_line(path, n, "expected TIMESTAMP,ContextTokens,GeneratedTokens");
    t.requests.push_back(std::move(r));
  }
  finish(t);
  return t;
}

StatusOr<Trace> read_mooncake_jsonl(const std::string& path) {
  std::ifstream in(path);
  if (!in) return io_error("cannot open " + path);
  Trace t;
  t.source = "mooncake:" + path;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return bad_line(path, n, "not a JSON object");
    try {
      TraceRequest r;
      r.arrival_s = j.at("timestamp").get<double>() / 1000.0;
      r.input_tokens = j.at("input_length").get<int64_t>();
      r.output_tokens = j.at("output_length").get<int64_t>();
      if (j.contains("hash_ids")) r.prefix_blocks = j["hash_ids"].get<std::vector<int64_t>>();
      t.requests.push_back(std::move(r));
    } catch (const std::exception& e) {
      return bad_line(path, n, e.what());
    }
  }
  finish(t);
  return t;
}

StatusOr<Trace> read_burstgpt_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return io_error("cannot open " + path);
  Trace t;
  t.source = "burstgpt:" + path;
  std::string line;
  if (!std::getline(in, line)) return invalid_argument(path + ": empty file");
  auto header = split_csv(line);
  auto col = [&](const char* name) -> int {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return static_cast<int>(i);
    return -1;
  };
  const int c_ts = col("Timestamp"), c_req = col("Request tokens"), c_resp = col("Response tokens");
  if (c_ts < 0 || c_req < 0 || c_resp < 0)
    return invalid_argument(path + ": header lacks Timestamp, Request tokens or Response tokens");
  const size_t need = static_cast<size_t>(std::max({c_ts, c_req, c_resp})) + 1;
  size_t n = 1;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line == "\r") continue;
    auto f = split_csv(line);
    TraceRequest r;
    if (f.size() < need || !to_double(f[c_ts], r.arrival_s) || !to_int(f[c_req], r.input_tokens) ||
        !to_int(f[c_resp], r.output_tokens))
      return bad_line(path, n, "bad Timestamp / Request tokens / Response tokens");
    r.output_tokens = std::max<int64_t>(r.output_tokens, 1);
    t.requests.push_back(std::move(r));
  }
  finish(t);
  return t;
}

Trace window_trace(const Trace& t, double start_s, double duration_s) {
  Trace out;
  out.source = t.source;
  for (const TraceRequest& r : t.requests) {
    if (r.arrival_s < start_s) continue;
    if (duration_s > 0 && r.arrival_s >= start_s + duration_s) continue;
    out.requests.push_back(r);
    out.requests.back().arrival_s -= start_s;
  }
  return out;
}

void scale_trace_time(Trace& t, double rate_scale) {
  if (rate_scale <= 0) return;
  for (TraceRequest& r : t.requests) r.arrival_s /= rate_scale;
}

void truncate_trace(Trace& t, size_t max_requests) {
  if (t.requests.size() > max_requests) t.requests.resize(max_requests);
}

double trace_rate(const Trace& t) {
  if (t.requests.size() < 2) return 0;
  double span = t.requests.back().arrival_s - t.requests.front().arrival_s;
  return span > 0 ? static_cast<double>(t.requests.size() - 1) / span : 0;
}

}  // namespace mms::bench
