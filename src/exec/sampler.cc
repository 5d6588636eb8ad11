#include "exec/sampler.h"

#include <algorithm>
#include <cmath>

namespace mms {

int32_t argmax(std::span<const float> v) {
  int32_t best = 0;
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] > v[best]) best = static_cast<int32_t>(i);
  return best;
}

int32_t Sampler::sample(std::span<const float> logits) {
  if (params_.temperature <= 0.0) return argmax(logits);
  const float inv_t = static_cast<float>(1.0 / params_.temperature);
  candidates_.clear();
  for (size_t i = 0; i < logits.size(); ++i) candidates_.emplace_back(logits[i] * inv_t, static_cast<int32_t>(i));
  auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  size_t keep = candidates_.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < keep) {
    keep = static_cast<size_t>(params_.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + keep, candidates_.end(), by_logit);
    candidates_.resize(keep);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }
  // Softmax over the kept candidates (sorted descending).
  const float m = candidates_[0].first;
  double sum = 0;
  for (auto& c : candidates_) {
    c.first = std::exp(c.first - m);
    sum += c.first;
  }
  size_t n = candidates_.size();
  if (params_.min_p > 0.0) {
    const double threshold = params_.min_p * candidates_[0].first;
    while (n > 1 && candidates_[n - 1].first < threshold) --n;
  }
  if (params_.top_p < 1.0) {
    double cum = 0;
    size_t cut = 0;
    while (cut < n) {
      cum += candidates_[cut].first / sum;
      ++cut;
      if (cum >= params_.top_p) break;
    }
    n = std::max<size_t>(cut, 1);
  }
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += candidates_[i].first;
  std::uniform_real_distribution<double> u(0.0, total);
  double r = u(rng_);
  for (size_t i = 0; i < n; ++i) {
    r -= candidates_[i].first;
    if (r <= 0) return candidates_[i].second;
  }
  return candidates_[n - 1].second;
}

}  // namespace mms
