#include "sched/policies/step_budget.h"

#include <algorithm>
#include <cmath>

namespace mms {

namespace {

void ema(double* avg, bool* measured, double sample, double weight) {
  if (!*measured) {
    *avg = sample;
    *measured = true;
  } else {
    *avg += weight * (sample - *avg);
  }
}

}  // namespace

void StepBudget::record_step(const StepRecord& s) {
  last_ = s;
  period_pending_ = true;
  if (s.encoder_budget_s > 0) {
    const double over = std::max(0.0, s.encoder_s - s.encoder_budget_s);
    overrun_s_ += (over > overrun_s_ ? options_.overrun_rise : options_.overrun_decay) * (over - overrun_s_);
  }
  if (s.forward_s <= 0) return;
  if (s.prefill_tokens == 0) {
    if (s.had_decodes) ema(&base_s_, &base_measured_, s.forward_s, options_.ema_weight);
    return;
  }
  if (s.had_decodes && !base_measured_) return;
  // What the step took beyond its decodes (a step without decodes also pays the weights' reads: it
  // overestimates, the safe side).
  const double beyond = s.had_decodes ? std::max(0.0, s.forward_s - base_s_) : s.forward_s;
  if (s.prefill_tokens >= options_.rate_min_tokens) {
    ema(&token_s_, &token_measured_, beyond / static_cast<double>(s.prefill_tokens), options_.ema_weight);
  } else if (s.had_decodes && token_measured_) {
    const double fixed = std::max(0.0, beyond - token_s_ * static_cast<double>(s.prefill_tokens));
    ema(&overhead_s_, &overhead_measured_, fixed, options_.ema_weight);
  }
}

void StepBudget::record_period(double period_s) {
  if (!period_pending_) return;
  period_pending_ = false;
  if (!last_.had_decodes || last_.forward_s <= 0 || period_s <= 0) return;
  // Bounded by the forward pass itself: a period that long includes a wait, not engine work.
  const double beyond = std::clamp(period_s - last_.forward_s - last_.encoder_s, 0.0, last_.forward_s);
  ema(&loop_s_, &loop_measured_, beyond, options_.ema_weight);
}

double StepBudget::target_s() const {
  if (options_.tpot_target_s > 0) return options_.tpot_target_s;
  return base_measured_ ? options_.auto_factor * base_s_ : 0;
}

double StepBudget::slack_s() const {
  return std::max(target_s() - base_s_ - loop_s_, options_.min_share * base_s_);
}

double StepBudget::min_share_s(bool shared) const {
  return options_.min_share * base_s_ * (shared ? 0.5 : 1.0);
}

int64_t StepBudget::prefill_token_cap(bool has_decodes, bool encoder_busy) const {
  if (!options_.meter_prefill || !has_decodes || !base_measured_ || !token_measured_) return -1;
  const double share_s = (encoder_busy ? slack_s() / 2 : slack_s()) - overhead_s_;
  const double time_s = std::max(share_s, min_share_s(encoder_busy));
  if (token_s_ <= 0) return -1;
  const double tokens = std::floor(time_s / token_s_);
  return tokens >= 1e12 ? -1 : std::max<int64_t>(1, static_cast<int64_t>(tokens));
}

double StepBudget::encoder_budget_s(bool has_decodes, int64_t prefill_tokens) const {
  if (!has_decodes) return options_.idle_slice_s;
  if (!base_measured_) return options_.min_slice_s;
  const double forward_s =
      base_s_ + (prefill_tokens > 0 ? overhead_s_ + token_s_ * static_cast<double>(prefill_tokens) : 0.0);
  const double left_s = target_s() - forward_s - loop_s_ - overrun_s_;
  return std::max({options_.min_slice_s, min_share_s(prefill_tokens > 0), left_s});
}

}  // namespace mms
