// AsyncEngine: the thread-safe front of the serving engine. The server hands it validated, tokenized
// requests and a callback; an engine thread runs EngineCore's loop (schedule -> execute ->
// update_from_output) and calls each request's callback with its new tokens after every step. Callbacks
// run on the engine thread and must not block (post to your own executor/strand and return).
// All public methods are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "media/media_item.h"
#include "sched/mm_input.h"
#include "sched/request.h"
#include "sched/sampling_params.h"

namespace mms {

struct EngineRequest {
  ReqId req_id;                            // unique among live requests
  std::vector<int32_t> prompt_token_ids;   // non-empty, ids < vocab size
  SamplingParams sampling;
  StopParams stop;                         // max_tokens, EOS/stop ids, ignore_eos, min_tokens
  int32_t priority = 0;                    // lower first under the priority policy
  // Media in the prompt, in order: mm_inputs[i] says where mm_items[i]'s placeholder tokens are.
  std::vector<MmInputRef> mm_inputs;
  std::vector<std::shared_ptr<const media::MediaItem>> mm_items;
};

// TokenLogprob (token_id, logprob, top) is defined in sched/sampling_params.h.

struct RequestOutput {
  ReqId req_id;
  std::vector<int32_t> new_token_ids;      // produced since the previous callback (never repeated)
  std::vector<TokenLogprob> logprobs;      // parallel to new_token_ids when sampling.logprobs is set
  std::optional<FinishReason> finish_reason;  // set on the last callback of the request
  std::optional<int32_t> stop_reason;      // the stop token id that finished it, if any
  int64_t num_prompt_tokens = 0;
  int64_t num_cached_tokens = 0;           // prompt tokens served from the prefix cache
  bool finished() const { return finish_reason.has_value(); }
};

using OutputCallback = std::function<void(RequestOutput)>;

struct EngineStats {
  int64_t num_running = 0;
  int64_t num_waiting = 0;
  double kv_usage = 0;                    // fraction of KV blocks in use
  int64_t kv_capacity_tokens = 0;
  int64_t prefix_cache_queries = 0;       // tokens looked up
  int64_t prefix_cache_hits = 0;          // tokens found
  int64_t num_preemptions = 0;
  int64_t prompt_tokens_total = 0;        // prompt tokens computed (cache hits excluded)
  int64_t generation_tokens_total = 0;
  int64_t num_steps = 0;
  // Encoder cache (media embeddings): lookups and hits (items), rows held, bytes held by the executor.
  int64_t encoder_cache_queries = 0;
  int64_t encoder_cache_hits = 0;
  int64_t encoder_cache_evictions = 0;
  int64_t encoder_cache_used_tokens = 0;
  int64_t encoder_cache_capacity_tokens = 0;
  int64_t encoder_cache_bytes = 0;
  int64_t encoder_items_encoded = 0;
  double encoder_seconds_total = 0;  // wall time spent encoding
  double encoder_tpot_target_s = 0;  // the TPOT target metering encoder work (0 until measured)
};

class AsyncEngine {
 public:
  virtual ~AsyncEngine() = default;
  // Queues a request. InvalidArgument when it cannot ever run (prompt + max_tokens over the context
  // length, empty prompt, duplicate id); the callback is then never called. Otherwise the callback gets
  // every output, the last with finish_reason set (kAbort after abort_request or shutdown).
  virtual Status add_request(EngineRequest request, OutputCallback callback) = 0;
  // Aborts a live request (no-op if unknown or finished); its blocks are freed at the next step and its
  // callback receives a final output with finish_reason kAbort.
  virtual void abort_request(const ReqId& req_id) = 0;
  virtual EngineStats stats() const = 0;
  // Prompt + output tokens one request may take (the model's context capped by KV capacity); 0 if unknown.
  virtual int64_t max_model_len() const { return 0; }
  // Embedding rows one media item may have (the encoder cache's capacity: a larger item could never be
  // scheduled, so add_request rejects it); 0 if unknown or the model takes no media.
  virtual int64_t max_media_item_tokens() const { return 0; }
  // Stops accepting requests, lets in-flight ones finish for up to drain_timeout_s, aborts the rest,
  // joins the engine thread. Idempotent.
  virtual void shutdown(double drain_timeout_s) = 0;
};

}  // namespace mms
