// Token sampling from one row of logits: repetition / frequency / presence penalties over the request's
// history, then greedy (temperature 0) or temperature with top-k / top-p / min-p filtering, and
// optional log-probabilities. The random draw for output k of a request depends only on (seed, k), so a
// seeded request gets the same tokens whatever it is batched with and after a preemption.
// A Sampler is per request; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sched/sampling_params.h"

namespace mms {

// What a sample depends on besides the logits: the request's prompt and its outputs so far.
struct SamplingContext {
  std::span<const int32_t> prompt_token_ids;
  std::span<const int32_t> output_token_ids;
};

struct SampleResult {
  int32_t token_id = 0;
  std::optional<TokenLogprob> logprob;  // set when params.logprobs is set
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params) : params_(params) {}
  // Samples the token that follows `context`; draws as output index context.output_token_ids.size().
  SampleResult sample(std::span<const float> logits, const SamplingContext& context);
  // No history (no penalties, no logprobs); the k-th call draws as output index k.
  int32_t sample(std::span<const float> logits);
  const SamplingParams& params() const { return params_; }

 private:
  int32_t choose(std::span<const float> logits, uint64_t draw_index);

  SamplingParams params_;
  uint64_t num_calls_ = 0;
  std::vector<float> penalized_;
  std::vector<std::pair<float, int32_t>> candidates_;
};

// Index of the largest value; ties go to the lower index.
int32_t argmax(std::span<const float> values);

// True when any penalty differs from its neutral value.
bool has_penalties(const SamplingParams& params);

// In place: repetition penalty (HF/vLLM) over prompt + output tokens (positive logits divided, negative
// multiplied), then OpenAI's presence / frequency penalties over output tokens:
// logit -= presence * [count > 0] + frequency * count.
void apply_penalties(const SamplingParams& params, const SamplingContext& context, std::span<float> logits);

// log_softmax(logits)[token] and the num_top best (token, logprob), best first, ties by lower id.
TokenLogprob compute_logprob(std::span<const float> logits, int32_t token, int32_t num_top);

// A uniform number in [0, 1) that depends only on (seed, index).
double uniform_draw(uint64_t seed, uint64_t index);

}  // namespace mms
