// FakeEngine: an AsyncEngine for server tests. Its own thread emits a scripted token sequence (or
// deterministic ids) for every live request, one token per tick, honouring max_tokens, EOS/stop ids,
// min_tokens, ignore_eos, abort and shutdown. Thread-safe; records what it was asked.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "engine/async_engine.h"

namespace mms::server::testing {

struct FakeEngineOptions {
  double ttft_s = 0.002;        // delay before a request's first token
  double itl_s = 0.001;         // tick
  std::vector<int32_t> script;  // tokens of every answer (cycled); empty: 100 + (i % 50)
  int tokens_per_output = 1;    // tokens per callback
};

class FakeEngine : public AsyncEngine {
 public:
  explicit FakeEngine(FakeEngineOptions o = {}) : opts_(std::move(o)), thread_([this] { loop(); }) {}
  ~FakeEngine() override { shutdown(0); }

  Status add_request(EngineRequest r, OutputCallback cb) override {
    std::lock_guard lock(mu_);
    if (stopping_) return Status(StatusCode::kUnavailable, "engine is shutting down");
    if (r.prompt_token_ids.empty()) return invalid_argument("empty prompt");
    if (live_.count(r.req_id)) return invalid_argument("duplicate request id " + r.req_id);
    Live l{std::move(r), std::move(cb)};
    l.start = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(opts_.ttft_s * 1e6));
    requests_.push_back(l.req);
    live_.emplace(l.req.req_id, std::move(l));
    cv_.notify_all();
    return ok_status();
  }
  void abort_request(const ReqId& id) override {
    std::lock_guard lock(mu_);
    aborted_.insert(id);
    if (auto it = live_.find(id); it != live_.end()) it->second.abort = true;
  }
  EngineStats stats() const override {
    std::lock_guard lock(mu_);
    EngineStats s;
    s.num_running = static_cast<int64_t>(live_.size());
    s.kv_usage = live_.empty() ? 0.0 : 0.5;
    s.generation_tokens_total = generated_;
    s.prompt_tokens_total = prompt_tokens_;
    s.prefix_cache_queries = prompt_tokens_;
    return s;
  }
  void shutdown(double drain_s) override {
    {
      std::unique_lock lock(mu_);
      stopping_ = true;
      cv_.wait_for(lock, std::chrono::duration<double>(drain_s), [&] { return live_.empty(); });
      for (auto& [id, l] : live_) l.abort = true;
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(2), [&] { return live_.empty(); });
      quit_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }

  std::set<ReqId> aborted() const {
    std::lock_guard lock(mu_);
    return aborted_;
  }
  std::vector<EngineRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int64_t num_live() const {
    std::lock_guard lock(mu_);
    return static_cast<int64_t>(live_.size());
  }

 private:
  struct Live {
    EngineRequest req;
    OutputCallback cb;
    int64_t produced = 0;
    bool abort = false;
    std::chrono::steady_clock::time_point start;
  };

  int32_t token_at(int64_t i) const {
    if (opts_.script.empty()) return static_cast<int32_t>(100 + (i % 50));
    return opts_.script[static_cast<size_t>(i) % opts_.script.size()];
  }

  // One tick: each started request gets its next tokens (or its end).
  void loop() {
    std::unique_lock lock(mu_);
    while (!quit_) {
      cv_.wait_for(lock, std::chrono::duration<double>(opts_.itl_s));
      auto now = std::chrono::steady_clock::now();
      std::vector<std::pair<OutputCallback, RequestOutput>> calls;
      for (auto it = live_.begin(); it != live_.end();) {
        Live& l = it->second;
        RequestOutput out;
        out.req_id = l.req.req_id;
        out.num_prompt_tokens = static_cast<int64_t>(l.req.prompt_token_ids.size());
        if (l.abort) {
          out.finish_reason = FinishReason::kAbort;
        } else if (now >= l.start) {
          if (l.produced == 0) prompt_tokens_ += out.num_prompt_tokens;
          for (int k = 0; k < opts_.tokens_per_output && !out.finish_reason; ++k) {
            int32_t t = token_at(l.produced++);
            ++generated_;
            out.new_token_ids.push_back(t);
            if (l.req.sampling.logprobs) {
              TokenLogprob lp{t, -0.25f, {}};
              for (int32_t j = 0; j < *l.req.sampling.logprobs; ++j) lp.top.emplace_back(t + j, -0.25f - j);
              out.logprobs.push_back(lp);
            }
            const StopParams& s = l.req.stop;
            bool past_min = l.produced >= s.min_tokens;
            if (past_min && !s.ignore_eos && s.eos_token_id && t == *s.eos_token_id) {
              out.finish_reason = FinishReason::kStop, out.stop_reason = t;
            } else if (past_min && std::count(s.stop_token_ids.begin(), s.stop_token_ids.end(), t)) {
              out.finish_reason = FinishReason::kStop, out.stop_reason = t;
            } else if (l.produced >= s.max_tokens) {
              out.finish_reason = FinishReason::kLength;
            }
          }
        } else {
          ++it;
          continue;
        }
        calls.emplace_back(l.cb, std::move(out));
        if (calls.back().second.finished()) it = live_.erase(it);
        else ++it;
      }
      if (!calls.empty()) cv_.notify_all();
      lock.unlock();
      for (auto& [cb, out] : calls) cb(std::move(out));
      lock.lock();
    }
  }

  FakeEngineOptions opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<ReqId, Live> live_;
  std::vector<EngineRequest> requests_;
  std::set<ReqId> aborted_;
  int64_t generated_ = 0, prompt_tokens_ = 0;
  bool stopping_ = false, quit_ = false;
  std::thread thread_;
};

}  // namespace mms::server::testing
