// ServeGen reader and sampler.
#include "bench/servegen.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/arrivals.h"
#include "bench/image_gen.h"

namespace mms::bench {

double DiscreteDist::sample(std::mt19937_64& rng) const {
  if (values.empty()) return 0;
  double u = std::uniform_real_distribution<double>(0, 1)(rng);
  size_t i = std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
  return values[std::min(i, values.size() - 1)];
}

double DiscreteDist::mean() const {
  double m = 0, prev = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    m += values[i] * (cdf[i] - prev);
    prev = cdf[i];
  }
  return m;
}

StatusOr<DiscreteDist> parse_python_dist(std::string_view text) {
  DiscreteDist d;
  std::string s(text);
  const char* p = s.c_str();
  while (*p == ' ' || *p == '{') ++p;
  double total = 0;
  std::vector<double> probs;
  while (*p && *p != '}') {
    char* end = nullptr;
    double v = std::strtod(p, &end);
    if (end == p) return invalid_argument("bad distribution text: " + s.substr(0, 60));
    p = end;
    while (*p == ' ') ++p;
    if (*p != ':') return invalid_argument("expected ':' in distribution: " + s.substr(0, 60));
    ++p;
    double pr = std::strtod(p, &end);
    if (end == p || pr < 0) return invalid_argument("bad probability in distribution: " + s.substr(0, 60));
    p = end;
    while (*p == ' ' || *p == ',') ++p;
    d.values.push_back(v);
    probs.push_back(pr);
    total += pr;
  }
  if (d.values.empty() || total <= 0) return invalid_argument("empty distribution");
  double acc = 0;
  for (double pr : probs) d.cdf.push_back(acc += pr / total);
  d.cdf.back() = 1.0;
  return d;
}

StatusOr<ServeGenClient> read_servegen_client(const std::string& dir, int id) {
  ServeGenClient c;
  c.id = id;
  const std::string base = dir + "/chunk-" + std::to_string(id);
  std::ifstream tin(base + "-trace.csv");
  if (!tin) return io_error("cannot open " + base + "-trace.csv");
  std::string line;
  size_t n = 0;
  while (std::getline(tin, line)) {
    ++n;
    if (line.empty()) continue;
    std::stringstream ss(line);
    std::string f[6];
    for (int i = 0; i < 6; ++i) std::getline(ss, f[i], ',');
    ServeGenWindow w;
    char* end = nullptr;
    w.start_s = std::strtod(f[0].c_str(), &end);
    if (end == f[0].c_str()) {
      if (n == 1) continue;  // header
      return invalid_argument(base + "-trace.csv:" + std::to_string(n) + ": bad window start");
    }
    w.rate = std::atof(f[1].c_str());
    w.cv = std::atof(f[2].c_str());
    w.distribution = f[3];
    w.param1 = std::atof(f[4].c_str());
    w.param2 = std::atof(f[5].c_str());
    c.windows.push_back(w);
  }
  std::ifstream din(base + "-dataset.json");
  if (!din) return io_error("cannot open " + base + "-dataset.json");
  auto j = nlohmann::json::parse(din, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument(base + "-dataset.json: not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    ServeGenMix mix;
    auto field = [&](const char* name, DiscreteDist& out) -> Status {
      if (!it.value().contains(name) || !it.value()[name].is_string()) return ok_status();
      auto d = parse_python_dist(it.value()[name].get<std::string>());
      if (!d.ok()) return d.status().with_context(base + "-dataset.json[" + it.key() + "]." + name);
      out = std::move(*d);
      return ok_status();
    };
    MMS_RETURN_IF_ERROR(field("text_tokens", mix.text_tokens));
    MMS_RETURN_IF_ERROR(field("image_tokens", mix.image_tokens));
    MMS_RETURN_IF_ERROR(field("image_count", mix.image_count));
    MMS_RETURN_IF_ERROR(field("output_tokens", mix.output_tokens));
    c.mixes[std::atof(it.key().c_str())] = std::move(mix);
  }
  if (c.mixes.empty()) return invalid_argument(base + "-dataset.json: no windows");
  return c;
}

namespace {

std::vector<int> all_clients(const std::string& dir) {
  std::vector<int> ids;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("chunk-", 0) == 0 && name.size() > 10 && name.substr(name.size() - 10) == "-trace.csv")
      ids.push_back(std::atoi(name.c_str() + 6));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

void sample_window(const ServeGenClient& c, const ServeGenWindow& w, double lo, double hi,
                   std::mt19937_64& rng, std::vector<TraceRequest>& out) {
  if (w.rate <= 0) return;
  GapSampler gap = w.distribution == "Gamma"     ? GapSampler::gamma_params(w.param1, w.param2)
                   : w.distribution == "Weibull" ? GapSampler::weibull_params(w.param1, w.param2)
                                                 : GapSampler(ArrivalProcess::kGamma, w.rate, w.cv);
  auto mix_it = c.mixes.upper_bound(w.start_s);
  if (mix_it != c.mixes.begin()) --mix_it;
  const ServeGenMix& mix = mix_it->second;
  const double end = w.start_s + 600;
  // Start at a random phase of the first gap so that windows do not all fire at their first instant.
  double t = w.start_s + gap(rng) * std::uniform_real_distribution<double>(0, 1)(rng);
  for (; t < end; t += gap(rng)) {
    if (t < lo || t >= hi) continue;
    TraceRequest r;
    r.arrival_s = t - lo;
    r.input_tokens = std::max<int64_t>(1, std::llround(mix.text_tokens.sample(rng)));
    r.output_tokens = std::max<int64_t>(1, std::llround(mix.output_tokens.sample(rng)));
    int64_t count = mix.image_count.empty() ? 0 : std::llround(mix.image_count.sample(rng));
    int64_t tokens = mix.image_tokens.empty() ? 0 : std::llround(mix.image_tokens.sample(rng));
    if (count > 0 && tokens > 0) {
      ImageSize each = image_size_for_tokens(std::max<int64_t>(4, tokens / count));
      r.images.assign(static_cast<size_t>(std::min<int64_t>(count, 16)), each);
    }
    out.push_back(std::move(r));
  }
}

}  // namespace

StatusOr<Trace> servegen_trace(const std::string& dir, const ServeGenOptions& opts) {
  std::vector<int> ids = opts.clients.empty() ? all_clients(dir) : opts.clients;
  if (ids.empty()) return not_found("no chunk-*-trace.csv in " + dir);
  Trace t;
  t.source = "servegen:" + dir;
  std::mt19937_64 rng(opts.seed);
  const double lo = opts.start_s, hi = opts.start_s + opts.duration_s;
  for (int id : ids) {
    MMS_ASSIGN_OR_RETURN(ServeGenClient c, read_servegen_client(dir, id));
    for (const ServeGenWindow& w : c.windows) {
      if (w.start_s + 600 <= lo || w.start_s >= hi) continue;
      sample_window(c, w, lo, hi, rng, t.requests);
    }
  }
  std::stable_sort(t.requests.begin(), t.requests.end(),
                   [](const TraceRequest& a, const TraceRequest& b) { return a.arrival_s < b.arrival_s; });
  return t;
}

}  // namespace mms::bench
