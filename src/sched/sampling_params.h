// SamplingParams: how a request's next tokens are chosen. Carried opaquely by the scheduler from the
// engine to the executor, which samples. Plain value type.
#pragma once

#include <cstdint>
#include <optional>

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

}  // namespace mms
