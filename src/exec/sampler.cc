#include "exec/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace mms {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

bool better(const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
  return a.first > b.first || (a.first == b.first && a.second < b.second);
}

}  // namespace

int32_t argmax(std::span<const float> v) {
  // Blocks of 64 are first tested for any value above the best so far (a comparison the compiler
  // vectorizes); only blocks that have one are scanned in order. Same result as the plain scan: the first
  // index of the largest value, NaNs never chosen over a number.
  constexpr size_t kBlock = 64;
  size_t best = 0;
  float best_value = v.empty() ? 0.f : v[0];
  size_t i = 1;
  for (; i + kBlock <= v.size(); i += kBlock) {
    bool any = false;
    for (size_t j = 0; j < kBlock; ++j) any |= v[i + j] > best_value;
    if (!any) continue;
    for (size_t j = i; j < i + kBlock; ++j)
      if (v[j] > best_value) best = j, best_value = v[j];
  }
  for (; i < v.size(); ++i)
    if (v[i] > best_value) best = i, best_value = v[i];
  return static_cast<int32_t>(best);
}

double uniform_draw(uint64_t seed, uint64_t index) {
  const uint64_t bits = splitmix64(splitmix64(seed) ^ splitmix64(index + 0x632be59bd9b4e019ULL));
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

bool has_penalties(const SamplingParams& p) {
  return p.presence_penalty != 0.0 || p.frequency_penalty != 0.0 || p.repetition_penalty != 1.0;
}

void apply_penalties(const SamplingParams& p, const SamplingContext& ctx, std::span<float> logits) {
  const auto in_vocab = [&](int32_t t) { return t >= 0 && static_cast<size_t>(t) < logits.size(); };
  if (p.repetition_penalty != 1.0) {
    const float rp = static_cast<float>(p.repetition_penalty);
    std::vector<uint8_t> seen(logits.size(), 0);
    auto mark = [&](std::span<const int32_t> ids) {
      for (int32_t t : ids) {
        if (!in_vocab(t) || seen[t]) continue;
        seen[t] = 1;
        logits[t] = logits[t] > 0 ? logits[t] / rp : logits[t] * rp;
      }
    };
    mark(ctx.prompt_token_ids);
    mark(ctx.output_token_ids);
  }
  if (p.presence_penalty != 0.0 || p.frequency_penalty != 0.0) {
    std::unordered_map<int32_t, int64_t> counts;
    for (int32_t t : ctx.output_token_ids)
      if (in_vocab(t)) ++counts[t];
    for (const auto& [t, n] : counts) {
      logits[t] -= static_cast<float>(p.presence_penalty + p.frequency_penalty * static_cast<double>(n));
    }
  }
}

TokenLogprob compute_logprob(std::span<const float> logits, int32_t token, int32_t num_top) {
  float m = -INFINITY;
  for (float x : logits) m = std::max(m, x);
  double sum = 0;
  for (float x : logits) sum += std::exp(static_cast<double>(x - m));
  const float lse = m + static_cast<float>(std::log(sum));
  TokenLogprob out;
  out.token_id = token;
  out.logprob = logits[token] - lse;
  const size_t k = std::min(static_cast<size_t>(std::max(num_top, 0)), logits.size());
  if (k > 0) {
    std::vector<std::pair<float, int32_t>> c(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) c[i] = {logits[i], static_cast<int32_t>(i)};
    std::partial_sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(k), c.end(), better);
    for (size_t i = 0; i < k; ++i) out.top.emplace_back(c[i].second, c[i].first - lse);
  }
  return out;
}

SampleResult Sampler::sample(std::span<const float> logits, const SamplingContext& ctx) {
  SampleResult r;
  std::span<const float> row = logits;
  if (has_penalties(params_)) {
    penalized_.assign(logits.begin(), logits.end());
    apply_penalties(params_, ctx, penalized_);
    row = penalized_;
  }
  r.token_id = choose(row, ctx.output_token_ids.size());
  if (params_.logprobs) r.logprob = compute_logprob(logits, r.token_id, *params_.logprobs);
  return r;
}

int32_t Sampler::sample(std::span<const float> logits) { return choose(logits, num_calls_++); }

int32_t Sampler::choose(std::span<const float> logits, uint64_t draw_index) {
  if (params_.temperature <= 0.0) return argmax(logits);
  const float inv_t = static_cast<float>(1.0 / params_.temperature);
  const double u = uniform_draw(params_.seed, draw_index);
  const bool filtered = params_.top_k > 0 || params_.top_p < 1.0 || params_.min_p > 0.0;
  if (!filtered) {
    // Plain temperature: one pass over the softmax, no sort.
    const float m = logits[argmax(logits)] * inv_t;
    double total = 0;
    for (float x : logits) total += std::exp(static_cast<double>(x * inv_t - m));
    double r = u * total;
    for (size_t i = 0; i < logits.size(); ++i) {
      r -= std::exp(static_cast<double>(logits[i] * inv_t - m));
      if (r < 0) return static_cast<int32_t>(i);
    }
    return argmax(logits);
  }
  candidates_.clear();
  for (size_t i = 0; i < logits.size(); ++i) candidates_.emplace_back(logits[i] * inv_t, static_cast<int32_t>(i));
  size_t keep = candidates_.size();
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < keep) {
    keep = static_cast<size_t>(params_.top_k);
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(keep), candidates_.end(),
                      better);
    candidates_.resize(keep);
  } else {
    std::sort(candidates_.begin(), candidates_.end(), better);
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
  double r = u * total;
  for (size_t i = 0; i < n; ++i) {
    r -= candidates_[i].first;
    if (r < 0) return candidates_[i].second;
  }
  return candidates_[n - 1].second;
}

}  // namespace mms
