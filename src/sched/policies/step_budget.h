// StepBudget: what one engine step may spend besides the running streams' decode so that they keep a
// time-per-output-token (TPOT) target. It models a step's forward time as base + (o + c x p) for p > 0
// prefill tokens: base, an exponential moving average of steps that only decoded; c, the cost of a prompt
// token, measured on steps of at least rate_min_tokens prompt tokens (where fixed costs are amortized);
// o, the fixed cost of adding any prefill to a decode step (small GEMV-shaped batches grow into GEMM-shaped
// ones), what mixed steps took beyond base + c x p. From the target's slack, target - base, it derives
//   - how many prompt tokens the next step may prefill while streams decode (Sarathi-style chunking by
//     time, not by a fixed token count), and
//   - how long vision-encoder work may run after the forward pass.
// Two corrections keep the streams' token gaps, not just the forward passes, under the target: the engine's
// own cost per step outside the forward pass and the encoder (scheduling, outputs; measured from the
// wall time between step starts) comes off the slack, and so does how far encoder slices overrun their
// budget (a slice stops at a work-unit boundary; the estimate rises fast and decays slowly, so it follows
// the larger overruns rather than the mean).
// When both prefill and encoder work wait, each gets half of the slack. Together they always get at least a
// minimum share of the decode step (each half of it when both run), so prompts and images progress even
// when steps are already at or over the target. With nothing decoding there is no cap (the token budget
// alone applies) and the encoder gets an idle slice. Not thread-safe (engine thread); pure arithmetic,
// tested on made-up timings.
#pragma once

#include <cstdint>

namespace mms {

struct StepBudgetOptions {
  double tpot_target_s = 0;   // 0: auto_factor x the measured decode-only step time
  double auto_factor = 1.5;
  bool meter_prefill = true;  // cap prefill tokens per step while streams decode
  double min_slice_s = 0.002;   // the least encoder time per step
  double min_share = 0.25;      // ... and at least this fraction of the decode step, for prefill too
  double idle_slice_s = 0.25;   // encoder time per step when no stream is decoding
  double ema_weight = 0.2;      // weight of the newest step in the moving averages
  int64_t rate_min_tokens = 32;  // steps with fewer prompt tokens measure o, not c
  double overrun_rise = 0.5;     // weight of a newest encoder overrun above the estimate
  double overrun_decay = 0.05;   // ... and below it
};

// One executed step, as the scheduler planned it and the executor timed it (forward_s without the
// encoder work that ran after it, which encoder_s times).
struct StepRecord {
  bool had_decodes = false;
  int64_t prefill_tokens = 0;
  double forward_s = 0;
  double encoder_s = 0;         // encoder work run after the forward pass
  double encoder_budget_s = 0;  // what the step gave it (0: none)
};

class StepBudget {
 public:
  explicit StepBudget(const StepBudgetOptions& options) : options_(options) {}

  void record_step(const StepRecord& step);
  // The wall time from the start of the step last recorded to the start of the next one. Ignored unless a
  // step was recorded since the last call and it decoded.
  void record_period(double period_s);

  // The TPOT target in force (0 before any decode-only step was measured in auto mode).
  double target_s() const;
  double decode_step_s() const { return base_s_; }       // 0 until measured
  double prefill_token_s() const { return token_s_; }    // 0 until measured
  double prefill_overhead_s() const { return overhead_s_; }  // 0 until measured
  double loop_overhead_s() const { return loop_s_; }         // 0 until measured
  double encoder_overrun_s() const { return overrun_s_; }    // 0 until an encoder slice ran over
  // Prompt tokens the next step may compute in total; -1 for no cap (nothing decoding, metering off, or
  // the step model not measured yet). At least 1 when capped. encoder_busy: encoder work is waiting too.
  int64_t prefill_token_cap(bool has_decodes, bool encoder_busy) const;
  // Seconds of encoder work the next step may run after a forward pass with `prefill_tokens` of prompt.
  double encoder_budget_s(bool has_decodes, int64_t prefill_tokens) const;

 private:
  double slack_s() const;  // target - base - loop overhead, at least min_share x base
  // The least time prefill or the encoder gets per step: min_share x base, halved when the other one
  // also runs in the step (so that the two floors together never exceed one min_share).
  double min_share_s(bool shared) const;

  StepBudgetOptions options_;
  double base_s_ = 0;
  double token_s_ = 0;
  double overhead_s_ = 0;
  bool base_measured_ = false;
  bool token_measured_ = false;
  bool overhead_measured_ = false;
  double loop_s_ = 0;
  bool loop_measured_ = false;
  double overrun_s_ = 0;
  StepRecord last_;
  bool period_pending_ = false;  // last_ was recorded and its period not yet
};

}  // namespace mms
