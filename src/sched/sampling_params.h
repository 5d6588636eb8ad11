// SamplingParams: how a request's next tokens are chosen. Carried opaquely by the scheduler from the
// engine to the executor, which samples. Plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace mms {

struct SamplingParams {
  double temperature = 0.0;  // 0 = greedy
  double top_p = 1.0;        // (0, 1]
  int64_t top_k = 0;         // 0 = off
  double min_p = 0.0;        // [0, 1)
  uint64_t seed = 0;         // per-request generator seed (the engine picks one when the user gives none)
  double presence_penalty = 0.0;    // OpenAI semantics, [-2, 2]
  double frequency_penalty = 0.0;   // OpenAI semantics, [-2, 2]
  double repetition_penalty = 1.0;  // HF/vLLM semantics, > 0; applies to prompt and output tokens
  // Top log-probabilities to return per sampled token; nullopt = no logprobs (0 = only the sampled one).
  std::optional<int32_t> logprobs;
};

// The log-probability of one sampled token and the top alternatives (vLLM's Logprob). Log-probabilities
// are taken from the model's raw logits (log_softmax before penalties, temperature and filtering:
// vLLM's default "raw_logprobs").
struct TokenLogprob {
  int32_t token_id = 0;
  float logprob = 0;
  std::vector<std::pair<int32_t, float>> top;  // top-k (token, logprob), best first, ties by lower id
};

}  // namespace mms
