// Synthetic arrival processes (Poisson, Gamma with a chosen CV, Weibull) and gap statistics.
// Deterministic for a seed; pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/trace.h"
#include "common/status.h"

namespace mms::bench {

enum class ArrivalProcess { kPoisson, kGamma, kWeibull };

StatusOr<ArrivalProcess> parse_arrival_process(const std::string& name);  // "poisson" | "gamma" | "weibull"

// One inter-arrival gap. kGamma uses shape = 1/cv^2 and mean 1/rate; kWeibull uses `shape` and
// `scale` directly when scale > 0 (ServeGen's fitted parameters), else shape from cv is not defined and
// it falls back to Gamma.
class GapSampler {
 public:
  GapSampler(ArrivalProcess p, double rate, double cv);
  static GapSampler gamma_params(double shape, double scale);
  static GapSampler weibull_params(double shape, double scale);
  double operator()(std::mt19937_64& rng);

 private:
  GapSampler() = default;
  ArrivalProcess process_ = ArrivalProcess::kPoisson;
  double a_ = 1;  // rate (Poisson) or shape
  double b_ = 1;  // scale
};

// `n` arrival times starting at 0 (the first request is sent at once).
std::vector<double> arrival_times(ArrivalProcess p, double rate, double cv, int64_t n, uint64_t seed);

// A synthetic trace: arrivals from `times`, fixed lengths, `images_per_request` images of `image`.
Trace synthetic_trace(const std::vector<double>& times, int64_t input_tokens, int64_t output_tokens,
                      int images_per_request, ImageSize image);

struct GapStats {
  double rate = 0;  // 1 / mean gap
  double cv = 0;    // stddev / mean of gaps
};
GapStats gap_stats(const std::vector<double>& times);

}  // namespace mms::bench
