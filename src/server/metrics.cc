#include "server/metrics.h"

#include <fmt/format.h>

namespace mms::server {
namespace {

std::string num(double v) { return fmt::format("{}", v); }

void metric(std::string& out, const std::string& name, const char* type, const std::string& help,
            const std::string& labels, double v) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{}{{{}}} {}\n", name, help, name, type, name, labels, num(v));
}

std::string escape_label(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\' || c == '"') o += '\\';
    if (c == '\n') { o += "\\n"; continue; }
    o += c;
  }
  return o;
}

}  // namespace

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += v;
  ++count_;
}

void Histogram::render(const std::string& name, const std::string& help, const std::string& labels,
                       std::string& out) const {
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  uint64_t cum = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cum += counts_[i];
    out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, num(bounds_[i]), cum);
  }
  cum += counts_.back();
  out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, cum);
  out += fmt::format("{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name, labels, num(sum_), name, labels, count_);
}

ServerMetrics::ServerMetrics(std::string model_name)
    : labels_("model_name=\"" + escape_label(model_name) + "\""),
      ttft_({0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0,
             40.0, 80.0, 160.0, 640.0, 2560.0}),
      itl_({0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
            80.0}),
      e2e_({0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0,
            960.0, 1920.0, 7680.0}),
      prompt_len_({1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000}),
      gen_len_({1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000}) {}

void ServerMetrics::observe_ttft(double s) {
  std::lock_guard lock(mu_);
  ttft_.observe(s);
}
void ServerMetrics::observe_inter_token(double s) {
  std::lock_guard lock(mu_);
  itl_.observe(s);
}
void ServerMetrics::observe_e2e(double s) {
  std::lock_guard lock(mu_);
  e2e_.observe(s);
}
void ServerMetrics::count_finished(const std::string& reason, int64_t prompt_tokens, int64_t generation_tokens) {
  std::lock_guard lock(mu_);
  ++finished_[reason];
  prompt_len_.observe(static_cast<double>(prompt_tokens));
  gen_len_.observe(static_cast<double>(generation_tokens));
}
void ServerMetrics::count_http(int status) {
  std::lock_guard lock(mu_);
  ++http_[status];
}

std::string ServerMetrics::render(const EngineStats& st) const {
  std::string out;
  const std::string& l = labels_;
  metric(out, "mmserve:num_requests_running", "gauge", "Number of requests in model execution batches.", l,
         static_cast<double>(st.num_running));
  metric(out, "mmserve:num_requests_waiting", "gauge", "Number of requests waiting to be processed.", l,
         static_cast<double>(st.num_waiting));
  metric(out, "mmserve:kv_cache_usage_perc", "gauge", "KV-cache usage. 1 means 100 percent usage.", l, st.kv_usage);
  metric(out, "mmserve:prefix_cache_queries_total", "counter", "Prefix cache queries, in terms of number of queried tokens.",
         l, static_cast<double>(st.prefix_cache_queries));
  metric(out, "mmserve:prefix_cache_hits_total", "counter", "Prefix cache hits, in terms of number of cached tokens.", l,
         static_cast<double>(st.prefix_cache_hits));
  metric(out, "mmserve:num_preemptions_total", "counter", "Cumulative number of preemptions from the engine.", l,
         static_cast<double>(st.num_preemptions));
  metric(out, "mmserve:prompt_tokens_total", "counter", "Number of prefill tokens processed.", l,
         static_cast<double>(st.prompt_tokens_total));
  metric(out, "mmserve:generation_tokens_total", "counter", "Number of generation tokens processed.", l,
         static_cast<double>(st.generation_tokens_total));
  // Encoder (media embedding) cache: vLLM has no such metrics yet; names follow the prefix cache's.
  metric(out, "mmserve:encoder_cache_queries_total", "counter", "Encoder cache queries, in media items looked up.", l,
         static_cast<double>(st.encoder_cache_queries));
  metric(out, "mmserve:encoder_cache_hits_total", "counter",
         "Encoder cache hits, in media items found encoded or being encoded.", l,
         static_cast<double>(st.encoder_cache_hits));
  metric(out, "mmserve:encoder_cache_evictions_total", "counter", "Encoder cache entries evicted to make room.", l,
         static_cast<double>(st.encoder_cache_evictions));
  metric(out, "mmserve:encoder_cache_usage_perc", "gauge", "Encoder cache usage. 1 means 100 percent usage.", l,
         st.encoder_cache_capacity_tokens > 0
             ? static_cast<double>(st.encoder_cache_used_tokens) / static_cast<double>(st.encoder_cache_capacity_tokens)
             : 0.0);
  metric(out, "mmserve:encoder_cache_bytes", "gauge", "Bytes of media embeddings held by the encoder cache.", l,
         static_cast<double>(st.encoder_cache_bytes));
  metric(out, "mmserve:encoder_items_total", "counter", "Media items run through the vision encoder.", l,
         static_cast<double>(st.encoder_items_encoded));
  metric(out, "mmserve:encoder_seconds_total", "counter", "Wall time spent in the vision encoder.", l,
         st.encoder_seconds_total);
  metric(out, "mmserve:tpot_target_seconds", "gauge",
         "Time per output token that metered prefill and encoder work keep running streams within (0 until "
         "measured).", l, st.tpot_target_s);
  metric(out, "mmserve:step_decode_seconds", "gauge",
         "The scheduler's estimate of a decode-only engine step (0 until measured).", l, st.decode_step_s);
  metric(out, "mmserve:prefill_token_cap", "gauge",
         "Prompt tokens one step may compute while streams decode (-1: no cap).", l,
         static_cast<double>(st.prefill_token_cap));
  std::lock_guard lock(mu_);
  out += "# HELP mmserve:request_success_total Count of successfully processed requests.\n"
         "# TYPE mmserve:request_success_total counter\n";
  for (const char* reason : {"stop", "length", "abort"}) {
    auto it = finished_.find(reason);
    out += fmt::format("mmserve:request_success_total{{{},finished_reason=\"{}\"}} {}\n", l, reason,
                       it == finished_.end() ? 0 : it->second);
  }
  out += "# HELP mmserve:http_responses_total HTTP responses by status code.\n"
         "# TYPE mmserve:http_responses_total counter\n";
  for (const auto& [code, n] : http_)
    out += fmt::format("mmserve:http_responses_total{{{},status=\"{}\"}} {}\n", l, code, n);
  ttft_.render("mmserve:time_to_first_token_seconds", "Histogram of time to first token in seconds.", l, out);
  itl_.render("mmserve:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", l, out);
  e2e_.render("mmserve:e2e_request_latency_seconds", "Histogram of end to end request latency in seconds.", l, out);
  prompt_len_.render("mmserve:request_prompt_tokens", "Number of prefill tokens processed.", l, out);
  gen_len_.render("mmserve:request_generation_tokens", "Number of generation tokens processed.", l, out);
  return out;
}

}  // namespace mms::server
