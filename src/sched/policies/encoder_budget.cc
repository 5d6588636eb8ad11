#include "sched/policies/encoder_budget.h"

#include <algorithm>
#include <cstring>

namespace mms {

void EncoderBudget::record_step(bool had_decodes, double forward_seconds) {
  if (!had_decodes || forward_seconds <= 0) return;
  if (!measured_) {
    ema_forward_s_ = forward_seconds;
    measured_ = true;
  } else {
    ema_forward_s_ += options_.ema_weight * (forward_seconds - ema_forward_s_);
  }
}

double EncoderBudget::target_s() const {
  if (options_.tpot_target_s > 0) return options_.tpot_target_s;
  return measured_ ? options_.auto_factor * ema_forward_s_ : 0;
}

double EncoderBudget::budget_s(bool has_decodes) const {
  if (!has_decodes) return options_.idle_slice_s;
  if (!measured_) return options_.min_slice_s;
  return std::max({options_.min_slice_s, options_.min_share * ema_forward_s_, target_s() - ema_forward_s_});
}

bool parse_encoder_mode(const char* name, EncoderMode* mode) {
  if (std::strcmp(name, "async") == 0) {
    *mode = EncoderMode::kAsync;
    return true;
  }
  if (std::strcmp(name, "inline") == 0) {
    *mode = EncoderMode::kInline;
    return true;
  }
  return false;
}

const char* encoder_mode_name(EncoderMode mode) {
  switch (mode) {
    case EncoderMode::kAsync: return "async";
    case EncoderMode::kInline: return "inline";
  }
  return "?";
}

}  // namespace mms
