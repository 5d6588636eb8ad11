// ServerMetrics: request-level counters and latency histograms the server observes, rendered with the
// engine's gauges/counters (EngineStats) as Prometheus text exposition, names in the `mmserve:`
// namespace shaped like vLLM's. Thread-safe (one mutex; observations are rare and cheap).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/async_engine.h"

namespace mms::server {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}
  void observe(double v);
  // Appends the _bucket/_sum/_count lines of `name` (with HELP/TYPE).
  void render(const std::string& name, const std::string& help, const std::string& labels, std::string& out) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket (not cumulative); last is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class ServerMetrics {
 public:
  explicit ServerMetrics(std::string model_name);
  void observe_ttft(double seconds);
  void observe_inter_token(double seconds);
  void observe_e2e(double seconds);
  // A finished request ("stop", "length", "abort").
  void count_finished(const std::string& finish_reason, int64_t prompt_tokens, int64_t generation_tokens);
  void count_http(int status);
  std::string render(const EngineStats& stats) const;

 private:
  std::string labels_;  // model_name="..."
  mutable std::mutex mu_;
  Histogram ttft_, itl_, e2e_, prompt_len_, gen_len_;
  std::map<std::string, int64_t> finished_;
  std::map<int, int64_t> http_;
};

}  // namespace mms::server
