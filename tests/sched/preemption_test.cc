// Preemption when KV blocks run out, and resumption by recompute without losing or re-sending outputs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fake_executor.h"
#include "sched/scheduler.h"

// A named namespace of its own: the test executables are unity builds, where anonymous namespaces of
// files in one batch are shared.
namespace mms::preemption_test {
namespace {

using testing::FakeExecutor;
using testing::reference_outputs;
using testing::RunResult;

constexpr int32_t kVocab = 97;

std::vector<int32_t> prompt_of(int n, int seed) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = (seed * 37 + i * 11) % kVocab;
  return v;
}

std::string rid(int i) {
  std::string s = "r";
  s += std::to_string(i);
  return s;
}

RunResult run(Scheduler& s, FakeExecutor& ex) {
  RunResult r;
  while (s.has_unfinished_requests() && r.num_steps < 10000) {
    SchedulerOutput so = s.schedule();
    testing::collect(s.update_from_output(so, ex.execute(so)), r);
    r.steps.push_back(std::move(so));
    ++r.num_steps;
  }
  EXPECT_FALSE(s.has_unfinished_requests());
  return r;
}

SchedulerOptions tight(PreemptionMode mode, int64_t num_blocks) {
  SchedulerOptions o;
  o.kv.num_blocks = num_blocks;
  o.kv.block_size = 4;
  o.max_num_batched_tokens = 32;
  o.preemption_mode = mode;
  return o;
}

TEST(PreemptionTest, OutputsMatchAnUnconstrainedRun) {
  for (PreemptionMode mode : {PreemptionMode::kNewest, PreemptionMode::kLowestPriority}) {
    FakeClock clock;
    auto o = tight(mode, 12);  // 48 token slots for 4 requests of up to 28 tokens each
    Scheduler s(o, clock);
    FakeExecutor ex(o.kv.num_blocks, o.kv.block_size, kVocab);
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(s.add_request(Request(rid(i), prompt_of(8, i), StopParams{.max_tokens = 20}, /*prio=*/i)).ok());
      clock.advance_ns(1);
    }
    RunResult r = run(s, ex);
    EXPECT_GT(s.stats().num_preemptions, 0);
    bool saw_preempted = false, saw_resumed = false;
    for (const auto& so : r.steps) {
      saw_preempted |= !so.preempted_req_ids.empty();
      for (const auto& d : so.scheduled_cached_reqs) {
        if (!d.resumed_from_preemption) continue;
        saw_resumed = true;
        // A resumed request recomputes its prompt and the outputs it already produced.
        EXPECT_GE(d.all_token_ids.size(), 8u);
      }
    }
    EXPECT_TRUE(saw_preempted);
    EXPECT_TRUE(saw_resumed);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(r.outputs[rid(i)], reference_outputs(prompt_of(8, i), StopParams{.max_tokens = 20}, kVocab))
          << preemption_mode_name(mode) << " " << rid(i);
      EXPECT_EQ(r.finish[rid(i)], FinishReason::kLength);
    }
    EXPECT_EQ(s.stats().kv_cache_usage, 0.0);
    EXPECT_EQ(s.kv_cache_manager().num_free_blocks(), o.kv.num_blocks);
  }
}

TEST(PreemptionTest, NewestIsPreemptedFirstAndGoesToTheFrontOfTheQueue) {
  FakeClock clock;
  auto o = tight(PreemptionMode::kNewest, 6);  // 24 slots
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size, kVocab);
  // Three requests of 4-token prompts take one block each; decoding grows them until blocks run out.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.add_request(Request(rid(i), prompt_of(4, i), StopParams{.max_tokens = 12})).ok());
  ASSERT_TRUE(s.add_request(Request("later", prompt_of(4, 9), StopParams{.max_tokens = 2})).ok());
  std::vector<ReqId> first_preempted;
  RunResult r;
  while (s.has_unfinished_requests() && r.num_steps < 1000) {
    SchedulerOutput so = s.schedule();
    if (first_preempted.empty() && !so.preempted_req_ids.empty()) {
      first_preempted = so.preempted_req_ids;
      // The victim waits ahead of anything queued before the preemption.
      EXPECT_EQ(s.stats().num_waiting, 1);
    }
    testing::collect(s.update_from_output(so, ex.execute(so)), r);
    ++r.num_steps;
  }
  ASSERT_FALSE(first_preempted.empty());
  EXPECT_EQ(first_preempted[0], "later");  // admitted last
}

TEST(PreemptionTest, LowestPriorityIsTheVictim) {
  FakeClock clock;
  auto o = tight(PreemptionMode::kLowestPriority, 6);
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size, kVocab);
  const int prio[] = {0, 9, 1};
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(s.add_request(Request(rid(i), prompt_of(4, i), StopParams{.max_tokens = 12}, prio[i])).ok());
  }
  ReqId victim;
  RunResult r;
  while (s.has_unfinished_requests() && r.num_steps < 1000) {
    SchedulerOutput so = s.schedule();
    if (victim.empty() && !so.preempted_req_ids.empty()) victim = so.preempted_req_ids[0];
    testing::collect(s.update_from_output(so, ex.execute(so)), r);
    ++r.num_steps;
  }
  EXPECT_EQ(victim, "r1");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r.outputs[rid(i)], reference_outputs(prompt_of(4, i), StopParams{.max_tokens = 12}, kVocab));
  }
}

TEST(PreemptionTest, ResumedRequestCanHitItsOwnCachedBlocks) {
  FakeClock clock;
  auto o = tight(PreemptionMode::kNewest, 10);
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size, kVocab);
  ASSERT_TRUE(s.add_request(Request("a", prompt_of(16, 1), StopParams{.max_tokens = 20})).ok());
  ASSERT_TRUE(s.add_request(Request("b", prompt_of(16, 2), StopParams{.max_tokens = 20})).ok());
  RunResult r = run(s, ex);
  EXPECT_GT(s.stats().num_preemptions, 0);
  EXPECT_GT(s.stats().prefix_cache_hits, 0);
  EXPECT_EQ(r.outputs["a"], reference_outputs(prompt_of(16, 1), StopParams{.max_tokens = 20}, kVocab));
  EXPECT_EQ(r.outputs["b"], reference_outputs(prompt_of(16, 2), StopParams{.max_tokens = 20}, kVocab));
}

}  // namespace
}  // namespace mms::preemption_test
