// AsyncEngineImpl: AsyncEngine over an EngineCore run by one engine thread. add_request/abort_request/
// shutdown put work on a mutex-protected input queue that the engine thread drains before each step; the
// engine thread owns the EngineCore (scheduler + executor) and the callbacks, and sleeps on a condition
// variable while idle. stats() reads a snapshot the engine thread refreshes each step. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/thread_annotations.h"
#include "engine/async_engine.h"
#include "engine/engine_core.h"

namespace mms {

struct AsyncEngineConfig {
  int64_t max_model_len = 0;  // the scheduler's (already capped by KV capacity)
  int64_t vocab_size = 0;
  int64_t kv_capacity_tokens = 0;
  bool accepts_media = false;  // the model has a vision encoder
  int64_t encoder_cache_tokens = 0;  // embedding rows the encoder cache holds (the largest media item)
};

class AsyncEngineImpl final : public AsyncEngine {
 public:
  // Starts the engine thread. `clock` must outlive the engine.
  AsyncEngineImpl(std::unique_ptr<EngineCore> core, const AsyncEngineConfig& config, const Clock& clock);
  ~AsyncEngineImpl() override;  // shutdown(0)

  Status add_request(EngineRequest request, OutputCallback callback) override;
  void abort_request(const ReqId& req_id) override;
  EngineStats stats() const override;
  void shutdown(double drain_timeout_s) override;
  int64_t max_model_len() const override { return config_.max_model_len; }
  int64_t max_media_item_tokens() const override { return config_.accepts_media ? config_.encoder_cache_tokens : 0; }

 private:
  struct Pending {
    EngineRequest request;
    OutputCallback callback;
  };
  struct Live {  // engine thread only
    OutputCallback callback;
    int64_t num_prompt_tokens = 0;
  };

  Status validate(const EngineRequest& request) const;
  void run();
  // Engine-thread helpers.
  void admit(std::vector<Pending>& pending);
  void finish_aborted(const ReqId& req_id);
  void abort_all();
  void route(StepResult& result);
  void publish_stats();

  std::unique_ptr<EngineCore> core_;
  const AsyncEngineConfig config_;
  const Clock& clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> pending_ GUARDED_BY(mu_);
  std::vector<ReqId> pending_aborts_ GUARDED_BY(mu_);
  std::unordered_set<ReqId> live_ids_ GUARDED_BY(mu_);  // accepted and not yet finished
  bool accepting_ GUARDED_BY(mu_) = true;
  bool stopping_ GUARDED_BY(mu_) = false;
  int64_t drain_deadline_ns_ GUARDED_BY(mu_) = 0;
  EngineStats stats_ GUARDED_BY(mu_);

  std::mutex join_mu_;
  std::thread thread_;

  // Engine thread only.
  std::unordered_map<ReqId, Live> live_;
  int64_t prompt_tokens_total_ = 0;
  int64_t generation_tokens_total_ = 0;
  int64_t num_steps_ = 0;
};

}  // namespace mms
