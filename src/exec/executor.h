// Executor: what the engine calls to run one step. It turns a SchedulerOutput (new requests whole,
// running ones as diffs) into a forward pass over its own KV storage and returns the sampled tokens.
// The engine reaches computation only through this header. Not thread-safe: the engine thread calls it.
#pragma once

#include <cstdint>
#include <memory>

#include "common/status.h"
#include "model/causal_lm.h"
#include "sched/scheduler_output.h"
#include "tensor/dtype.h"

namespace mms {

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs one step. Error statuses (a message the executor cannot apply, e.g. an unknown request id)
  // leave the executor usable for later steps; the engine aborts the step's requests.
  virtual StatusOr<ModelRunnerOutput> execute(const SchedulerOutput& scheduler_output) = 0;
};

struct ModelRunnerOptions {
  int64_t num_blocks = 0;    // KV blocks to preallocate (the scheduler's KvCacheOptions::num_blocks)
  int32_t block_size = 16;   // tokens per block
  DType kv_dtype = DType::kF32;
};

// Bytes one token's K and V take over all layers of `config` in `kv_dtype`.
int64_t kv_bytes_per_token(const ModelConfig& config, DType kv_dtype = DType::kF32);

// The executor over one CausalLm on this machine's compute pool; `model` must outlive it.
// InvalidArgument on non-positive sizes.
StatusOr<std::unique_ptr<Executor>> create_model_runner(CausalLm& model, const ModelRunnerOptions& options);

}  // namespace mms
