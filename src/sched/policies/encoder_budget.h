// EncoderBudget: how much wall time one engine step may give to vision-encoder work so that running
// token streams keep their time-per-output-token (TPOT) target. The encoder runs in slices between
// decode steps on the same cores; each step's budget is the target minus the expected forward time of
// the step (an exponential moving average of recent steps that decoded), never less than a minimum slice
// or a minimum share of the step time so encoding always progresses, and a larger slice when nothing is decoding. Not thread-safe (engine
// thread); pure arithmetic, tested on made-up timings.
#pragma once

#include <cstdint>

namespace mms {

enum class EncoderMode {
  kAsync,   // encoder jobs on their own queue, metered between steps; prefill waits for embeddings
  kInline,  // encode a whole item inside the step that first needs it (today's engines' behaviour)
};

struct EncoderBudgetOptions {
  double tpot_target_s = 0;     // 0: auto_factor x the measured decode step time
  double auto_factor = 1.5;
  double min_slice_s = 0.002;   // given even when the target leaves nothing
  // ... and at least this fraction of the step time, so an image still progresses when steps are already
  // at or over the target (otherwise it would wait for a whole slow phase to end).
  double min_share = 0.25;
  double idle_slice_s = 0.25;   // when no stream is decoding
  double ema_weight = 0.2;      // weight of the newest step in the moving average
};

class EncoderBudget {
 public:
  explicit EncoderBudget(const EncoderBudgetOptions& options) : options_(options) {}
  // One executed step: whether it decoded for running streams, and its forward time (encoder excluded).
  void record_step(bool had_decodes, double forward_seconds);
  // Seconds of encoder work the next step may run. has_decodes: streams are waiting for their next token.
  double budget_s(bool has_decodes) const;
  double target_s() const;          // the TPOT target in force (0 before any decode step was measured)
  double step_estimate_s() const { return ema_forward_s_; }

 private:
  EncoderBudgetOptions options_;
  double ema_forward_s_ = 0;
  bool measured_ = false;
};

// "async" | "inline"; false when unknown.
bool parse_encoder_mode(const char* name, EncoderMode* mode);
const char* encoder_mode_name(EncoderMode mode);

}  // namespace mms
