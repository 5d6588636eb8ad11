// Arrival process sampling.
#include "bench/arrivals.h"

#include <cmath>

namespace mms::bench {

StatusOr<ArrivalProcess> parse_arrival_process(const std::string& name) {
  if (name == "poisson") return ArrivalProcess::kPoisson;
  if (name == "gamma") return ArrivalProcess::kGamma;
  if (name == "weibull") return ArrivalProcess::kWeibull;
  return invalid_argument("unknown arrival process '" + name + "' (poisson | gamma | weibull)");
}

GapSampler::GapSampler(ArrivalProcess p, double rate, double cv) {
  if (p == ArrivalProcess::kPoisson || cv <= 0 || std::abs(cv - 1.0) < 1e-12) {
    process_ = ArrivalProcess::kPoisson;
    a_ = rate;
    return;
  }
  process_ = ArrivalProcess::kGamma;  // Weibull from (rate, cv) alone is approximated by Gamma
  a_ = 1.0 / (cv * cv);
  b_ = 1.0 / (rate * a_);
}

GapSampler GapSampler::gamma_params(double shape, double scale) {
  GapSampler g;
  g.process_ = ArrivalProcess::kGamma;
  g.a_ = shape;
  g.b_ = scale;
  return g;
}

GapSampler GapSampler::weibull_params(double shape, double scale) {
  GapSampler g;
  g.process_ = ArrivalProcess::kWeibull;
  g.a_ = shape;
  g.b_ = scale;
  return g;
}

double GapSampler::operator()(std::mt19937_64& rng) {
  switch (process_) {
    case ArrivalProcess::kPoisson:
      return std::exponential_distribution<double>(a_)(rng);
    case ArrivalProcess::kGamma:
      return std::gamma_distribution<double>(a_, b_)(rng);
    case ArrivalProcess::kWeibull:
      return std::weibull_distribution<double>(a_, b_)(rng);
  }
  return 0;
}

std::vector<double> arrival_times(ArrivalProcess p, double rate, double cv, int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  GapSampler gap(p, rate, cv);
  std::vector<double> t;
  t.reserve(static_cast<size_t>(std::max<int64_t>(n, 0)));
  double now = 0;
  for (int64_t i = 0; i < n; ++i) {
    t.push_back(now);
    now += gap(rng);
  }
  return t;
}

Trace synthetic_trace(const std::vector<double>& times, int64_t input_tokens, int64_t output_tokens,
                      int images_per_request, ImageSize image) {
  Trace t;
  for (double at : times) {
    TraceRequest r;
    r.arrival_s = at;
    r.input_tokens = input_tokens;
    r.output_tokens = output_tokens;
    r.images.assign(static_cast<size_t>(std::max(images_per_request, 0)), image);
    t.requests.push_back(std::move(r));
  }
  return t;
}

GapStats gap_stats(const std::vector<double>& times) {
  GapStats s;
  if (times.size() < 3) return s;
  double sum = 0, sq = 0;
  const double n = static_cast<double>(times.size() - 1);
  for (size_t i = 1; i < times.size(); ++i) sum += times[i] - times[i - 1];
  const double mean = sum / n;
  for (size_t i = 1; i < times.size(); ++i) sq += (times[i] - times[i - 1] - mean) * (times[i] - times[i - 1] - mean);
  s.rate = mean > 0 ? 1.0 / mean : 0;
  s.cv = mean > 0 ? std::sqrt(sq / n) / mean : 0;
  return s;
}

}  // namespace mms::bench
