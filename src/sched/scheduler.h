// Scheduler: continuous batching over a KV block budget. Each step, schedule() picks the tokens to compute
// (running decodes first, then running prefill chunks, then waiting requests, within max_num_batched_tokens
// and max_num_seqs; preempting by policy when blocks run out) and returns a SchedulerOutput;
// update_from_output() applies what the executor sampled and returns per-request outputs.
// Owns every Request and the KvCacheManager. Not thread-safe: one engine thread calls everything, in the
// order schedule() -> execute -> update_from_output() (each output applied before the next schedule()).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "encoder_cache/encoder_cache_manager.h"
#include "kv/kv_cache_manager.h"
#include "sched/engine_output.h"
#include "sched/policies/encoder_mode.h"
#include "sched/policies/preemption_policy.h"
#include "sched/policies/request_queue.h"
#include "sched/policies/step_budget.h"
#include "sched/request.h"
#include "sched/scheduler_output.h"

namespace mms {

struct SchedulerOptions {
  int64_t max_num_seqs = 256;             // running requests at most
  int64_t max_num_batched_tokens = 2048;  // token budget per step
  // Prompt + output tokens of one request; 0 = as many as the KV cache holds. Capped at that capacity,
  // so a request running alone always fits.
  int64_t max_model_len = 0;
  // A prefill chunk takes at most this many tokens of a step (0 = no limit besides the budget), so one
  // long prompt does not take a whole step from other prefills.
  int64_t long_prefill_token_threshold = 0;
  bool enable_chunked_prefill = true;
  QueuePolicy queue_policy = QueuePolicy::kFcfs;
  PreemptionMode preemption_mode = PreemptionMode::kNewest;
  KvCacheOptions kv;
  // Media: the encoder-output cache's capacity in embedding rows (one per placeholder token), how encoder
  // work is scheduled, how much of it starts together (patches).
  int64_t encoder_cache_tokens = 16384;
  EncoderMode encoder_mode = EncoderMode::kAsync;
  int64_t max_encoder_batch_cost = 32768;
  // The TPOT target and what it leaves each step for prefill (step_budget.meter_prefill) and encoder work.
  StepBudgetOptions step_budget;
};

// InvalidArgument naming the offending option; the Scheduler constructor requires ok.
Status validate_scheduler_options(const SchedulerOptions& options);

struct SchedulerStats {
  int64_t num_running = 0;
  int64_t num_waiting = 0;  // includes preempted requests
  double kv_cache_usage = 0.0;  // fraction of blocks in use
  int64_t prefix_cache_queries = 0;  // tokens (cumulative)
  int64_t prefix_cache_hits = 0;     // tokens (cumulative)
  int64_t num_preemptions = 0;       // cumulative
  EncoderCacheStats encoder_cache;
  int64_t num_encoder_inputs_in_flight = 0;
  double tpot_target_s = 0;         // the TPOT target prefill and encoder work keep (0 until measured)
  double decode_step_s = 0;          // modelled decode-only step time (0 until measured)
  double prefill_token_s = 0;        // modelled cost of one prompt token in a step (0 until measured)
  int64_t prefill_token_cap = -1;    // prompt tokens a step may take while streams decode; -1: no cap
};

class Scheduler {
 public:
  // `clock` must outlive the scheduler.
  Scheduler(const SchedulerOptions& options, const Clock& clock);
  ~Scheduler();

  // Queues a request. InvalidArgument for an empty or duplicate id, an empty prompt, a prompt longer
  // than max_model_len(), max_tokens < 1, media items out of order or larger than the encoder cache. Stamps arrival_time_ns from the clock if it is -1.
  Status add_request(Request request);
  // Finishes a waiting or running request as aborted and frees its blocks; its id is reported in the next
  // SchedulerOutput's finished_req_ids. Returns false if no such unfinished request.
  bool abort_request(std::string_view req_id);
  int64_t abort_requests(std::span<const ReqId> req_ids);

  SchedulerOutput schedule();
  // Applies one step's sampled tokens (for the SchedulerOutput that schedule() returned last): appends
  // them, checks stop conditions, frees finished requests. Unknown or already-finished ids are ignored.
  EngineOutputs update_from_output(const SchedulerOutput& scheduler_output, const ModelRunnerOutput& runner_output);

  bool has_unfinished_requests() const { return !requests_.empty(); }
  // Finished ids not yet reported in a SchedulerOutput: one more schedule() delivers them.
  bool has_finished_requests() const { return !finished_req_ids_.empty(); }
  // Whether the engine loop should run another step.
  bool has_requests() const { return has_unfinished_requests() || has_finished_requests(); }
  int64_t num_unfinished_requests() const { return static_cast<int64_t>(requests_.size()); }
  SchedulerStats stats() const;
  // nullptr once finished.
  const Request* find_request(std::string_view req_id) const;
  int64_t max_model_len() const { return max_model_len_; }
  const KvCacheManager& kv_cache_manager() const { return kv_; }
  // Forgets every prefix-cache hash; returns how many were dropped.
  int64_t reset_prefix_cache() { return kv_.reset_prefix_cache(); }

 private:
  struct Step;  // one schedule() call's working state

  void schedule_running(Step& step);
  void schedule_waiting(Step& step);
  // Async mode: starts encoder jobs for media of running, then waiting requests (queue order) while
  // the encoder cache has room, once the previous jobs are done (so arrivals meanwhile batch together).
  void schedule_encoder(Step& step);
  // Tokens of [start, start + n) that can be computed now: up to the first media item whose embedding is
  // not ready (inline mode: schedules that item's encoding in this step when the cache has room).
  int64_t limit_by_encoder(Request& request, int64_t start, int64_t n, Step& step);
  // Reserves encoder-cache room for item m of `request`. When it does not fit and `request` is running,
  // references held by waiting requests (taken at admission or when their encoding started) give way
  // first: a running request must never wait on room that only a request it keeps waiting could free.
  bool allocate_encoder_entry(Request& request, const MmInputRef& m);
  // Counts the encoder-cache lookup of item i of `request` once (a hit when held or being encoded).
  void count_media_query(Request& request, size_t i);
  // Releases encoder-cache references of items whose placeholders are all computed.
  void release_consumed_media(Request& request);
  // Allocates blocks for num_new_tokens of `request`, preempting victims chosen by the policy until they
  // fit. nullopt when `request` itself was preempted.
  std::optional<KvBlocks> preempt_until_fits(Request* request, int64_t num_new_tokens, Step& step);
  void preempt(Request* victim, Step& step);
  SchedulerOutput build_output(Step& step);
  int64_t num_new_tokens(const Request& request, int64_t token_budget) const;
  // Appends sampled tokens to a request that completed its step; returns its output.
  EngineOutput apply_sampled(Request* request, std::span<const int32_t> sampled,
                             std::span<const TokenLogprob> logprobs);
  // True (and status set) when the last output token ends the request.
  bool check_stop(Request& request) const;
  void finish(Request* request, RequestStatus status);
  Request* find_mutable(std::string_view req_id);
  bool streams_decoding() const;

  SchedulerOptions options_;
  const Clock& clock_;
  int64_t max_model_len_ = 0;
  KvCacheManager kv_;
  std::unique_ptr<RequestQueue> waiting_;
  std::unique_ptr<PreemptionPolicy> preemption_;
  std::vector<Request*> running_;  // admission order
  std::unordered_map<ReqId, std::unique_ptr<Request>, ReqIdHasher, std::equal_to<>> requests_;  // unfinished
  std::vector<ReqId> finished_req_ids_;  // since the last schedule()
  uint64_t next_seq_ = 0;
  int64_t num_preemptions_ = 0;
  EncoderCacheManager encoder_cache_;
  StepBudget step_budget_;
  struct HashHasher {
    size_t operator()(const Hash128& h) const { return static_cast<size_t>(h.lo ^ (h.hi * 0x9e3779b97f4a7c15ULL)); }
  };
  std::unordered_set<Hash128, HashHasher> encoder_in_flight_;  // started, not reported finished
  int64_t last_schedule_ns_ = -1;  // clock at the last schedule(), for StepBudget::record_period
  StepRecord last_step_;  // planned by build_output(), timed by update_from_output()
  double step_encoder_budget_s_ = 0;  // set by schedule_encoder() for the step being built
};

}  // namespace mms
