// Executor: what the engine calls to run one step. It turns a SchedulerOutput (new requests whole,
// running ones as diffs) into a forward pass over its own KV storage and returns the sampled tokens.
// The engine reaches computation only through this header. Not thread-safe: the engine thread calls it.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "exec/encoder_runner.h"
#include "media/media_item.h"
#include "model/causal_lm.h"
#include "model/vision/vision_encoder.h"
#include "sched/scheduler_output.h"
#include "tensor/dtype.h"

namespace mms {

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs one step. Error statuses (a message the executor cannot apply, e.g. an unknown request id)
  // leave the executor usable for later steps; the engine aborts the step's requests.
  virtual StatusOr<ModelRunnerOutput> execute(const SchedulerOutput& scheduler_output) = 0;
  // Hands over the preprocessed media of a request before it is scheduled, in prompt order (index i
  // matches the request's mm_inputs[i]). Kept until the request finishes. InvalidArgument when this
  // executor has no vision encoder or an item does not fit it.
  virtual Status add_media(const ReqId& req_id, std::vector<std::shared_ptr<const media::MediaItem>> items) {
    (void)req_id;
    (void)items;
    return invalid_argument("this model does not accept images or video");
  }
  // The encoder queue's counters (zero without a vision encoder).
  virtual EncoderRunnerStats encoder_stats() const { return {}; }
};

struct ModelRunnerOptions {
  int64_t num_blocks = 0;    // KV blocks to preallocate (the scheduler's KvCacheOptions::num_blocks)
  int32_t block_size = 16;   // tokens per block
  DType kv_dtype = DType::kF32;
  const VisionEncoder* vision = nullptr;  // the model's vision tower, if it takes media; must outlive the runner
};

// Bytes one token's K and V take over all layers of `config` in `kv_dtype`.
int64_t kv_bytes_per_token(const ModelConfig& config, DType kv_dtype = DType::kF32);

// --kv-cache-dtype's value for `config`: "auto" is f16 for a model whose weights are f16 or bf16 (as
// llama.cpp and vLLM store them: half the memory and memory traffic of f32) and f32 for an f32 model;
// also "f32" | "float32" | "f16" | "float16" | "half". f16 needs an attention kernel that reads it
// (kernels::paged_attention_takes_f16(); auto falls back to f32 without one). InvalidArgument naming the
// option otherwise.
StatusOr<DType> resolve_kv_cache_dtype(std::string_view name, const ModelConfig& config);

// The executor over one CausalLm on this machine's compute pool; `model` must outlive it.
// InvalidArgument on non-positive sizes.
StatusOr<std::unique_ptr<Executor>> create_model_runner(CausalLm& model, const ModelRunnerOptions& options);

}  // namespace mms
