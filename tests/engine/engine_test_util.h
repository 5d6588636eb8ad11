// Helpers for engine tests: the tiny Qwen2 fixture model (loaded once), prompts, an output collector
// with bounded waits, and the Generator reference.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "common/check.h"
#include "engine/async_engine.h"
#include "engine/engine_options.h"
#include "exec/generator.h"
#include "model/causal_lm.h"
#include "model/model_loader.h"
#include "testing/test_data.h"

namespace mms::testing {

struct TinyModel {
  LoadedModel files;
  std::unique_ptr<CausalLm> lm;
};

inline CausalLm& tiny_model() {
  static TinyModel* m = [] {
    auto* t = new TinyModel;
    auto files = load_model(test_data("tiny-qwen2-hf"));
    MMS_CHECK_MSG(files.ok(), files.status().to_string().c_str());
    t->files = std::move(*files);
    auto lm = create_causal_lm(t->files.config, *t->files.weights);
    MMS_CHECK_MSG(lm.ok(), lm.status().to_string().c_str());
    t->lm = std::move(*lm);
    return t;
  }();
  return *m->lm;
}

// A deterministic prompt of `len` ids in [0, 2000) (below the fixture's special ids).
inline std::vector<int32_t> make_prompt(int seed, int len) {
  std::vector<int32_t> p;
  uint32_t x = 2654435761u * static_cast<uint32_t>(seed + 1);
  for (int i = 0; i < len; ++i) {
    x = x * 1664525u + 1013904223u;
    p.push_back(static_cast<int32_t>((x >> 8) % 2000));
  }
  return p;
}

inline std::vector<int32_t> generate_alone(const std::vector<int32_t>& prompt, int32_t max_tokens,
                                           const SamplingParams& sampling = {}) {
  Generator g(tiny_model());
  GenerationRequest r;
  r.prompt = prompt;
  r.max_new_tokens = max_tokens;
  r.sampling = sampling;
  r.ignore_eos = true;
  return g.generate({r})[0].tokens;
}

inline EngineRequest make_request(const std::string& id, std::vector<int32_t> prompt, int64_t max_tokens,
                                  const SamplingParams& sampling = {}) {
  EngineRequest r;
  r.req_id = id;
  r.prompt_token_ids = std::move(prompt);
  r.sampling = sampling;
  r.stop.max_tokens = max_tokens;
  r.stop.ignore_eos = true;
  return r;
}

// Collects every callback; waits are bounded.
class Collector {
 public:
  OutputCallback callback() {
    return [this](RequestOutput o) {
      std::lock_guard<std::mutex> lock(mu_);
      auto& t = tokens_[o.req_id];
      t.insert(t.end(), o.new_token_ids.begin(), o.new_token_ids.end());
      auto& lp = logprobs_[o.req_id];
      lp.insert(lp.end(), o.logprobs.begin(), o.logprobs.end());
      if (o.finished()) {
        ++num_finals_[o.req_id];
        finals_[o.req_id] = o;
      }
      cv_.notify_all();
    };
  }
  bool wait_finished(size_t n, double timeout_s = 60) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] { return finals_.size() >= n; });
  }
  bool wait_tokens(const ReqId& id, size_t n, double timeout_s = 60) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] { return tokens_[id].size() >= n; });
  }
  std::vector<int32_t> tokens(const ReqId& id) {
    std::lock_guard<std::mutex> lock(mu_);
    return tokens_[id];
  }
  std::vector<TokenLogprob> logprobs(const ReqId& id) {
    std::lock_guard<std::mutex> lock(mu_);
    return logprobs_[id];
  }
  RequestOutput final_output(const ReqId& id) {
    std::lock_guard<std::mutex> lock(mu_);
    return finals_[id];
  }
  int num_finals(const ReqId& id) {
    std::lock_guard<std::mutex> lock(mu_);
    return num_finals_[id];
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<ReqId, std::vector<int32_t>> tokens_;
  std::map<ReqId, std::vector<TokenLogprob>> logprobs_;
  std::map<ReqId, RequestOutput> finals_;
  std::map<ReqId, int> num_finals_;
};

// Tests use a 16 MiB KV cache (8192 tokens) unless they set kv_cache_memory.
inline std::unique_ptr<AsyncEngine> make_engine(EngineOptions options) {
  if (options.kv_cache_memory.empty()) options.kv_cache_memory_bytes = int64_t{16} << 20;
  auto e = create_async_engine(options, tiny_model());
  EXPECT_TRUE(e.ok()) << e.status().to_string();
  return e.ok() ? std::move(*e) : nullptr;
}

// Polls stats until pred holds or the timeout passes.
template <typename Pred>
bool wait_stats(AsyncEngine& engine, Pred pred, double timeout_s = 10) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < end) {
    if (pred(engine.stats())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred(engine.stats());
}

}  // namespace mms::testing
