// Generator: runs a fixed set of prompts to completion on one CausalLm with a simple static KV layout
// (each sequence gets its own run of blocks). It backs `mmserve generate`, golden tests and the model
// benchmark; the serving engine (scheduler, KV cache manager, continuous batching) replaces it for
// served traffic. Prefill is chunked to max_batched_tokens; decode batches every live sequence per step.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "exec/kv_storage.h"
#include "exec/sampler.h"
#include "model/causal_lm.h"
#include "sched/request.h"  // FinishReason

namespace mms {

struct GenerationRequest {
  std::vector<int32_t> prompt;
  int32_t max_new_tokens = 16;
  SamplingParams sampling;
  std::vector<int32_t> stop_token_ids;  // e.g. EOS ids; ignored with ignore_eos
  bool ignore_eos = false;
};

struct GenerationOutput {
  std::vector<int32_t> tokens;
  FinishReason finish_reason = FinishReason::kLength;
};

struct GenerationStats {
  int64_t prefill_tokens = 0;
  double prefill_seconds = 0;
  int64_t decode_tokens = 0;  // tokens produced by decode steps (the first token comes from prefill)
  double decode_seconds = 0;
  int64_t decode_steps = 0;
};

struct GeneratorOptions {
  int32_t block_size = 16;
  int32_t max_batched_tokens = 2048;  // prefill chunk budget per step
  DType kv_dtype = DType::kF32;
};

class Generator {
 public:
  Generator(CausalLm& model, const GeneratorOptions& options = {});

  // Called with (request index, token) as each token is produced.
  using TokenCallback = std::function<void(size_t, int32_t)>;
  std::vector<GenerationOutput> generate(const std::vector<GenerationRequest>& requests, GenerationStats* stats = nullptr,
                                         const TokenCallback& on_token = nullptr);

 private:
  CausalLm& model_;
  GeneratorOptions options_;
};

}  // namespace mms
