// ServeGen (Alibaba Model Studio) per-window workload descriptions: chunk-<id>-trace.csv gives each
// 600 s window's rate, CV and fitted arrival distribution; chunk-<id>-dataset.json gives discrete
// distributions of text/image/output tokens per request. This turns a set of clients into a Trace of
// sampled requests (images sized through the Qwen2.5-VL token rule). Thread-compatible value types.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bench/trace.h"
#include "common/status.h"

namespace mms::bench {

// A discrete distribution over values ({value: probability}).
struct DiscreteDist {
  std::vector<double> values;
  std::vector<double> cdf;  // cumulative, normalised to end at 1
  double sample(std::mt19937_64& rng) const;
  double mean() const;
  bool empty() const { return values.empty(); }
};
// Parses ServeGen's Python dict text "{136: 0.25, 372: 0.75}".
StatusOr<DiscreteDist> parse_python_dist(std::string_view text);

struct ServeGenWindow {
  double start_s = 0;
  double rate = 0;  // requests/s (0: idle window)
  double cv = 0;
  std::string distribution;  // "Gamma" | "Weibull" | "" (idle)
  double param1 = 0, param2 = 0;  // shape, scale of the inter-arrival distribution
};

struct ServeGenMix {
  DiscreteDist text_tokens, image_tokens, image_count, output_tokens;
};

struct ServeGenClient {
  int id = 0;
  std::vector<ServeGenWindow> windows;
  std::map<double, ServeGenMix> mixes;  // by start time; a window uses the latest start <= its own
};

StatusOr<ServeGenClient> read_servegen_client(const std::string& dir, int id);

struct ServeGenOptions {
  std::vector<int> clients;  // empty: every chunk-*-trace.csv in the directory
  double start_s = 0;        // window of the day to replay
  double duration_s = 600;
  uint64_t seed = 0;
};
// Superposes the clients' sampled arrivals in [start_s, start_s + duration_s), rebased to 0.
StatusOr<Trace> servegen_trace(const std::string& dir, const ServeGenOptions& opts);

}  // namespace mms::bench
