// Token sampling from one row of logits: greedy (temperature 0), or temperature with top-k / top-p /
// min-p filtering, from a per-request seeded generator (same seed + same logits -> same tokens).
// A Sampler is per request; not thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "sched/sampling_params.h"

namespace mms {


class Sampler {
 public:
  explicit Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}
  int32_t sample(std::span<const float> logits);

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<std::pair<float, int32_t>> candidates_;
};

// Index of the largest value; ties go to the lower index.
int32_t argmax(std::span<const float> values);

}  // namespace mms
