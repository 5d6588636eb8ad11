// ModelRunner: the Executor over one CausalLm. Keeps each request's tokens, block table and sampler from
// the step messages (new requests whole, running ones as diffs, a resumed request's state replaced,
// finished ones dropped), owns the paged KV storage, flattens the step's prefill chunks and decode tokens
// into one ForwardBatch (logits only for rows that complete a prompt or decode), runs the model and
// samples each such row with its request's SamplingParams. Not thread-safe: the engine thread calls it.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "exec/batch_builder.h"
#include "exec/encoder_runner.h"
#include "exec/executor.h"
#include "exec/kv_storage.h"
#include "exec/sampler.h"

namespace mms {

class ModelRunner final : public Executor {
 public:
  ModelRunner(CausalLm& model, const ModelRunnerOptions& options);
  StatusOr<ModelRunnerOutput> execute(const SchedulerOutput& scheduler_output) override;
  Status add_media(const ReqId& req_id, std::vector<std::shared_ptr<const media::MediaItem>> items) override;
  int64_t num_requests() const { return static_cast<int64_t>(requests_.size()); }
  EncoderRunnerStats encoder_stats() const override { return encoder_ ? encoder_->stats() : EncoderRunnerStats{}; }
  // nullptr when the model takes no media.
  const EncoderRunner* encoder() const { return encoder_.get(); }

 private:
  struct RequestState {
    std::vector<int32_t> token_ids;  // prompt, then outputs (as far as the scheduler has sent them)
    int64_t num_prompt_tokens = 0;
    std::vector<int32_t> block_ids;
    int64_t num_computed_tokens = 0;
    Sampler sampler;
    std::vector<MmInputRef> mm_inputs;      // placeholders in the prompt
    std::vector<MropeMediaSpan> mrope_spans;  // the same items' grids, for M-RoPE positions
  };

  // Applies the message's request diffs; InvalidArgument on an unknown id or a short block table.
  Status update_states(const SchedulerOutput& so);
  // Starts the step's encoder jobs from the requests' media.
  Status start_encoder_jobs(const SchedulerOutput& so);
  // Embedding overrides of a request's chunk [start, start + n): rows relative to the chunk.
  Status media_overrides(const ReqId& id, const RequestState& s, int64_t start, int64_t n,
                         std::vector<EmbeddingOverride>& out) const;
  // Runs the forward pass and sampling of the step's scheduled tokens.
  Status run_forward(const SchedulerOutput& so, ModelRunnerOutput& out);

  CausalLm& model_;
  ModelRunnerOptions options_;
  KvStorage kv_;
  std::vector<kernels::PagedKvLayer> kv_layers_;
  BatchBuilder builder_;
  std::unordered_map<ReqId, RequestState> requests_;
  std::unique_ptr<EncoderRunner> encoder_;
  std::unordered_map<ReqId, std::vector<std::shared_ptr<const media::MediaItem>>> media_;
  bool mrope_ = false;  // the model uses M-RoPE positions
  MropeRule mrope_rule_;
  std::vector<std::vector<EmbeddingOverride>> overrides_;  // per sequence of the step
  std::vector<float> logits_;  // [rows, vocab]
};

}  // namespace mms
