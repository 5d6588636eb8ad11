// EngineOptions and create_async_engine(): how the server (or a test) builds an AsyncEngine over a loaded
// model. Plain value types; the factory is called once at start-up.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "engine/async_engine.h"
#include "model/causal_lm.h"
#include "model/vision/vision_encoder.h"
#include "sched/policies/encoder_mode.h"
#include "sched/policies/preemption_policy.h"
#include "sched/policies/request_queue.h"
#include "tensor/dtype.h"

namespace mms {

struct EngineOptions {
  // Scheduler (vLLM's names).
  int64_t max_num_seqs = 256;             // --max-num-seqs
  int64_t max_num_batched_tokens = 2048;  // --max-num-batched-tokens (per-step token budget)
  int64_t long_prefill_token_threshold = 0;  // cap on one prefill chunk; 0 = only the budget
  int32_t block_size = 16;                // tokens per KV block
  QueuePolicy queue_policy = QueuePolicy::kFcfs;           // parse_queue_policy("fcfs" | "priority")
  PreemptionMode preemption_mode = PreemptionMode::kNewest;  // parse_preemption_mode("newest" | "priority")
  // KV cache budget. kv_cache_memory, when non-empty, is --kv-cache-memory's text ("4GiB", "512MB",
  // "1073741824", or a fraction of RAM such as "0.25") and overrides kv_cache_memory_bytes.
  int64_t kv_cache_memory_bytes = int64_t{512} << 20;
  std::string kv_cache_memory;
  // Element type of the KV cache (--kv-cache-dtype; exec/executor.h resolve_kv_cache_dtype).
  std::string kv_cache_dtype = "auto";
  // Prompt + output tokens of one request; 0 = the model's max_position_embeddings. Capped at the KV
  // capacity either way. Larger than max_position_embeddings is InvalidArgument.
  int64_t max_model_len = 0;
  bool enable_prefix_caching = true;
  // Media. vision: the model's vision tower (nullptr: text only); must outlive the engine.
  const VisionEncoder* vision = nullptr;
  // Encoder-output cache budget (--encoder-cache-memory: bytes or a fraction of RAM, like the KV cache).
  int64_t encoder_cache_memory_bytes = int64_t{256} << 20;
  std::string encoder_cache_memory;
  EncoderMode encoder_mode = EncoderMode::kAsync;  // --encoder-mode async|inline
  // --tpot-target: encoder work (and, with meter_prefill, prefill chunks) keep running streams within it
  // (0: 1.5x the measured decode-only step). meter_prefill false: prefill takes the token budget (vLLM).
  double tpot_target_s = 0;
  bool meter_prefill = false;
  int64_t max_encoder_batch_cost = 32768;  // patches of media encoded together at most
  const Clock* clock = nullptr;  // nullptr = SystemClock::instance(); must outlive the engine
};

// Sizes the KV cache, logs its capacity in tokens, builds the model runner and scheduler, and starts the
// engine thread. `model` must outlive the engine. InvalidArgument naming the option when the options are
// bad or the KV budget holds less than one block.
StatusOr<std::unique_ptr<AsyncEngine>> create_async_engine(const EngineOptions& options, CausalLm& model);

}  // namespace mms
