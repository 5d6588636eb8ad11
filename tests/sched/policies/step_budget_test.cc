// StepBudget on made-up step timings: the decode-step and per-token models, the prefill cap and the
// encoder slice they leave under a TPOT target.
#include "sched/policies/step_budget.h"

#include <gtest/gtest.h>

namespace mms {
namespace {

TEST(StepBudget, NothingIsCappedBeforeTheStepModelIsMeasured) {
  StepBudget b(StepBudgetOptions{});
  EXPECT_EQ(b.prefill_token_cap(true, false), -1);
  EXPECT_DOUBLE_EQ(b.encoder_budget_s(true, 0), StepBudgetOptions{}.min_slice_s);
  EXPECT_DOUBLE_EQ(b.encoder_budget_s(false, 0), StepBudgetOptions{}.idle_slice_s);
  b.record_step({true, 0, 0.1});  // decode only: the base is known, the token cost is not
  EXPECT_EQ(b.prefill_token_cap(true, false), -1);
  EXPECT_DOUBLE_EQ(b.target_s(), 0.15);  // auto: 1.5x the decode step
}

TEST(StepBudget, CapsPrefillToTheTargetsSlack) {
  StepBudgetOptions o;
  o.tpot_target_s = 0.25;  // binary fractions throughout, so the token counts are exact
  StepBudget b(o);
  b.record_step({true, 0, 0.125});     // base 0.125 s
  b.record_step({true, 64, 0.1875});   // 64 prompt tokens cost 0.0625 s: 1/1024 s each
  EXPECT_DOUBLE_EQ(b.decode_step_s(), 0.125);
  EXPECT_DOUBLE_EQ(b.prefill_token_s(), 1.0 / 1024);
  EXPECT_EQ(b.prefill_token_cap(true, false), 128);  // (0.25 - 0.125) x 1024
  EXPECT_EQ(b.prefill_token_cap(true, true), 64);    // half of it while encoder work waits
  EXPECT_EQ(b.prefill_token_cap(false, false), -1);  // nothing decoding: the token budget alone
  // The encoder gets what the planned prefill leaves, at least the minimum share of the decode step.
  EXPECT_DOUBLE_EQ(b.encoder_budget_s(true, 64), 0.0625);
  EXPECT_DOUBLE_EQ(b.encoder_budget_s(true, 128), o.min_share * 0.125 / 2);  // half the floor beside prefill
  StepBudgetOptions off = o;
  off.meter_prefill = false;
  StepBudget c(off);
  c.record_step({true, 0, 0.125});
  c.record_step({true, 64, 0.1875});
  EXPECT_EQ(c.prefill_token_cap(true, false), -1);
}

// Short chunks measure the fixed cost of adding prefill to a decode step, not the per-token rate.
TEST(StepBudget, ShortChunksMeasureTheFixedCostOfPrefill) {
  StepBudgetOptions o;
  o.tpot_target_s = 0.25;
  StepBudget b(o);
  b.record_step({true, 0, 0.125});
  b.record_step({true, 64, 0.1875});                      // 1/1024 s per token
  b.record_step({true, 8, 0.125 + 8.0 / 1024 + 1.0 / 32});  // 8 tokens took 1/32 s more than their rate
  EXPECT_DOUBLE_EQ(b.prefill_token_s(), 1.0 / 1024);
  EXPECT_DOUBLE_EQ(b.prefill_overhead_s(), 1.0 / 32);
  EXPECT_EQ(b.prefill_token_cap(true, false), 96);  // (0.125 - 1/32) x 1024
  EXPECT_DOUBLE_EQ(b.encoder_budget_s(true, 64), 0.25 - 0.125 - 1.0 / 32 - 0.0625);
  EXPECT_DOUBLE_EQ(b.encoder_budget_s(true, 0), 0.125);  // no prefill, no fixed cost
}

TEST(StepBudget, PrefillStillProgressesWhenStepsExceedTheTarget) {
  StepBudgetOptions o;
  o.tpot_target_s = 0.05;  // below the decode step itself
  StepBudget b(o);
  b.record_step({true, 0, 0.1});
  b.record_step({false, 40, 0.08});  // a step without decodes: 2 ms per token, weights' reads included
  EXPECT_NEAR(b.prefill_token_s(), 0.002, 1e-12);
  EXPECT_EQ(b.prefill_token_cap(true, false), 12);  // min_share 0.25 x 0.1 s / 2 ms
  EXPECT_EQ(b.prefill_token_cap(true, true), 6);    // half of that floor while encoder work waits too
  EXPECT_DOUBLE_EQ(b.encoder_budget_s(true, 6), 0.0125);  // and the encoder the other half
  EXPECT_DOUBLE_EQ(b.encoder_budget_s(true, 0), 0.025);
  o.tpot_target_s = 10;
  StepBudget huge(o);
  huge.record_step({true, 0, 0.1});
  huge.record_step({true, 40, 0.1});  // no measurable cost: a zero-cost token would give no cap
  EXPECT_EQ(huge.prefill_token_cap(true, false), -1);
}

TEST(StepBudget, MovingAveragesFollowTheNewestSteps) {
  StepBudget b(StepBudgetOptions{});
  b.record_step({true, 0, 0.06});
  b.record_step({true, 0, 0.16});  // 0.06 + 0.2 x 0.1
  EXPECT_NEAR(b.decode_step_s(), 0.08, 1e-12);
  b.record_step({false, 0, 5.0});  // idle steps and untimed steps do not count
  b.record_step({true, 0, 0.0});
  EXPECT_NEAR(b.decode_step_s(), 0.08, 1e-12);
  EXPECT_NEAR(b.target_s(), 0.12, 1e-12);
  b.record_step({true, 32, 0.07});  // no time beyond the base: a token costs nothing measurable
  EXPECT_DOUBLE_EQ(b.prefill_token_s(), 0.0);
}

// The engine's own cost per step (the wall time between step starts beyond forward + encoder) comes off the
// slack that prefill and the encoder share, so the streams' gaps, not only the forward passes, meet the target.
TEST(StepBudget, LoopOverheadComesOffTheSlack) {
  StepBudgetOptions o;
  o.tpot_target_s = 0.25;
  StepBudget b(o);
  b.record_step({true, 0, 0.125});
  b.record_step({true, 64, 0.1875});  // 1/1024 s per prompt token
  b.record_step({true, 0, 0.125, 0.0625, 0.0625});
  b.record_period(0.125 + 0.0625 + 1.0 / 32);  // 1/32 s beyond forward + encoder
  EXPECT_DOUBLE_EQ(b.loop_overhead_s(), 1.0 / 32);
  EXPECT_DOUBLE_EQ(b.encoder_budget_s(true, 0), 0.25 - 0.125 - 1.0 / 32);
  EXPECT_EQ(b.prefill_token_cap(true, false), 96);  // (0.25 - 0.125 - 1/32) x 1024
  b.record_period(0.5);  // no step recorded since: ignored
  EXPECT_DOUBLE_EQ(b.loop_overhead_s(), 1.0 / 32);
  // A period far longer than the step (the engine waited for work) counts as at most the forward pass.
  b.record_step({true, 0, 0.125});
  b.record_period(10.0);
  EXPECT_DOUBLE_EQ(b.loop_overhead_s(), 1.0 / 32 + o.ema_weight * (0.125 - 1.0 / 32));
  // Steps that did not decode do not measure it.
  b.record_step({false, 64, 0.0625});
  b.record_period(1.0);
  EXPECT_DOUBLE_EQ(b.loop_overhead_s(), 1.0 / 32 + o.ema_weight * (0.125 - 1.0 / 32));
}

// Encoder slices that ran past their budget shorten the next ones: the estimate takes half of a larger
// overrun at once and lets go of it slowly.
TEST(StepBudget, EncoderOverrunRisesFastAndDecaysSlowly) {
  StepBudgetOptions o;
  o.tpot_target_s = 0.25;
  StepBudget b(o);
  b.record_step({true, 0, 0.125});
  EXPECT_DOUBLE_EQ(b.encoder_budget_s(true, 0), 0.125);
  b.record_step({true, 0, 0.125, 0.125 + 0.0625, 0.125});  // 1/16 s over
  EXPECT_DOUBLE_EQ(b.encoder_overrun_s(), 0.5 * 0.0625);
  EXPECT_DOUBLE_EQ(b.encoder_budget_s(true, 0), 0.125 - 0.5 * 0.0625);
  b.record_step({true, 0, 0.125, 0.05, 0.09375});  // under budget
  EXPECT_DOUBLE_EQ(b.encoder_overrun_s(), 0.5 * 0.0625 * (1 - o.overrun_decay));
  b.record_step({true, 0, 0.125, 0.0, 0.0});  // no encoder work: no sample
  EXPECT_DOUBLE_EQ(b.encoder_overrun_s(), 0.5 * 0.0625 * (1 - o.overrun_decay));
  // The minimum share still holds however large the overrun.
  b.record_step({true, 0, 0.125, 10.0, 0.05});
  EXPECT_DOUBLE_EQ(b.encoder_budget_s(true, 0), o.min_share * 0.125);
}

}  // namespace
}  // namespace mms
