// ModelRunner: the Executor over one CausalLm. Keeps each request's tokens, block table and sampler from
// the step messages (new requests whole, running ones as diffs, a resumed request's state replaced,
// finished ones dropped), owns the paged KV storage, flattens the step's prefill chunks and decode tokens
// into one ForwardBatch (logits only for rows that complete a prompt or decode), runs the model and
// samples each such row with its request's SamplingParams. Not thread-safe: the engine thread calls it.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "exec/batch_builder.h"
#include "exec/executor.h"
#include "exec/kv_storage.h"
#include "exec/sampler.h"

namespace mms {

class ModelRunner final : public Executor {
 public:
  ModelRunner(CausalLm& model, const ModelRunnerOptions& options);
  StatusOr<ModelRunnerOutput> execute(const SchedulerOutput& scheduler_output) override;
  int64_t num_requests() const { return static_cast<int64_t>(requests_.size()); }

 private:
  struct RequestState {
    std::vector<int32_t> token_ids;  // prompt, then outputs (as far as the scheduler has sent them)
    int64_t num_prompt_tokens = 0;
    std::vector<int32_t> block_ids;
    int64_t num_computed_tokens = 0;
    Sampler sampler;
  };

  // Applies the message's request diffs; InvalidArgument on an unknown id or a short block table.
  Status update_states(const SchedulerOutput& so);

  CausalLm& model_;
  ModelRunnerOptions options_;
  KvStorage kv_;
  std::vector<kernels::PagedKvLayer> kv_layers_;
  BatchBuilder builder_;
  std::unordered_map<ReqId, RequestState> requests_;
  std::vector<float> logits_;  // [rows, vocab]
};

}  // namespace mms
