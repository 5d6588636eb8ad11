#include "sched/scheduler.h"

#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "fake_executor.h"

namespace mms {
namespace {

using testing::FakeExecutor;
using testing::reference_outputs;
using testing::RunResult;

constexpr int32_t kVocab = 101;

std::string rid(const char* prefix, int i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

std::vector<int32_t> prompt_of(int n, int seed) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = (seed * 131 + i * 7) % kVocab;
  return v;
}

Request make_request(const std::string& id, int prompt_len, int max_tokens, int seed = 1, int priority = 0) {
  StopParams stop;
  stop.max_tokens = max_tokens;
  return Request(id, prompt_of(prompt_len, seed), stop, priority);
}

SchedulerOptions options(int64_t num_blocks, int64_t budget = 64, int64_t max_seqs = 16, int32_t block_size = 4) {
  SchedulerOptions o;
  o.kv.num_blocks = num_blocks;
  o.kv.block_size = block_size;
  o.max_num_batched_tokens = budget;
  o.max_num_seqs = max_seqs;
  return o;
}

// One engine step; checks per-step invariants.
void step(Scheduler& s, FakeExecutor& ex, RunResult& r, const SchedulerOptions& o) {
  SchedulerOutput so = s.schedule();
  EXPECT_LE(so.total_num_scheduled_tokens, o.max_num_batched_tokens);
  EXPECT_LE(static_cast<int64_t>(so.num_scheduled_tokens.size()), o.max_num_seqs);
  EXPECT_LE(s.stats().num_running, o.max_num_seqs);
  ModelRunnerOutput mro = ex.execute(so);
  testing::collect(s.update_from_output(so, mro), r);
  r.steps.push_back(std::move(so));
  ++r.num_steps;
}

RunResult run_all(Scheduler& s, FakeExecutor& ex, const SchedulerOptions& o, int max_steps = 10000) {
  RunResult r;
  while (s.has_unfinished_requests() && r.num_steps < max_steps) step(s, ex, r, o);
  EXPECT_FALSE(s.has_unfinished_requests());
  return r;
}

TEST(SchedulerTest, SingleRequestPrefillThenDecode) {
  FakeClock clock;
  auto o = options(64);
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size);
  ASSERT_TRUE(s.add_request(make_request("a", 10, 5)).ok());
  RunResult r = run_all(s, ex, o);
  EXPECT_EQ(r.num_steps, 5);
  EXPECT_EQ(r.steps[0].scheduled_new_reqs.size(), 1u);
  EXPECT_EQ(r.steps[0].num_scheduled_tokens.at("a"), 10);
  EXPECT_EQ(r.steps[1].num_scheduled_tokens.at("a"), 1);
  EXPECT_EQ(r.steps[1].scheduled_cached_reqs.at(0).new_token_ids.size(), 1u);
  EXPECT_EQ(r.outputs["a"], reference_outputs(prompt_of(10, 1), StopParams{.max_tokens = 5}, kVocab));
  EXPECT_EQ(r.finish["a"], FinishReason::kLength);
  EXPECT_EQ(s.stats().kv_cache_usage, 0.0);
  // The finished id reaches the executor in the next step's output.
  EXPECT_TRUE(s.has_finished_requests());
  EXPECT_TRUE(s.has_requests());
  EXPECT_TRUE(s.schedule().finished_req_ids == std::vector<ReqId>{"a"});
  EXPECT_FALSE(s.has_requests());
}

TEST(SchedulerTest, RejectsBadRequests) {
  FakeClock clock;
  Scheduler s(options(8), clock);  // 32 tokens of KV
  EXPECT_FALSE(s.add_request(make_request("", 4, 1)).ok());
  EXPECT_FALSE(s.add_request(make_request("a", 0, 1)).ok());
  EXPECT_FALSE(s.add_request(make_request("a", 33, 1)).ok());
  EXPECT_FALSE(s.add_request(make_request("a", 4, 0)).ok());
  EXPECT_TRUE(s.add_request(make_request("a", 4, 1)).ok());
  EXPECT_FALSE(s.add_request(make_request("a", 4, 1)).ok());
  EXPECT_EQ(s.max_model_len(), 32);
}

TEST(SchedulerTest, ChunkedPrefillOverSeveralStepsWithDecodesInterleaved) {
  FakeClock clock;
  auto o = options(64, /*budget=*/16);
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size);
  RunResult r;
  ASSERT_TRUE(s.add_request(make_request("d1", 3, 20, 1)).ok());
  ASSERT_TRUE(s.add_request(make_request("d2", 3, 20, 2)).ok());
  step(s, ex, r, o);  // both prefilled (6 tokens)
  ASSERT_TRUE(s.add_request(make_request("long", 50, 3, 3)).ok());
  // Each step: 2 decode tokens, the rest of the budget goes to the long prompt: 14, 14, 14, 8.
  std::vector<int64_t> chunks;
  for (int i = 0; i < 4; ++i) {
    step(s, ex, r, o);
    const SchedulerOutput& so = r.steps.back();
    EXPECT_EQ(so.num_scheduled_tokens.at("d1"), 1);
    EXPECT_EQ(so.num_scheduled_tokens.at("d2"), 1);
    chunks.push_back(so.num_scheduled_tokens.at("long"));
    // No token for the long request until its last chunk.
    EXPECT_EQ(r.outputs.count("long"), i == 3 ? 1u : 0u);
  }
  EXPECT_EQ(chunks, (std::vector<int64_t>{14, 14, 14, 8}));
  // Chunk 1 is a new request; later chunks are cached-request diffs with growing num_computed_tokens.
  EXPECT_EQ(r.steps[1].scheduled_new_reqs.at(0).req_id, "long");
  RunResult rest = run_all(s, ex, o);
  for (auto& [id, v] : rest.outputs) r.outputs[id].insert(r.outputs[id].end(), v.begin(), v.end());
  EXPECT_EQ(r.outputs["long"], reference_outputs(prompt_of(50, 3), StopParams{.max_tokens = 3}, kVocab));
  EXPECT_EQ(r.outputs["d1"], reference_outputs(prompt_of(3, 1), StopParams{.max_tokens = 20}, kVocab));
}

TEST(SchedulerTest, DecodesNeverWaitForPrefills) {
  FakeClock clock;
  auto o = options(256, /*budget=*/8);
  o.long_prefill_token_threshold = 6;
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size);
  RunResult r;
  // "long" is admitted first and prefills for many steps; "short" is admitted beside it, and later
  // prompts keep arriving. Every step, each decoding request gets its token before any prefill chunk.
  ASSERT_TRUE(s.add_request(make_request("long", 60, 2, 1)).ok());
  ASSERT_TRUE(s.add_request(make_request("short", 2, 30, 2)).ok());
  for (int i = 0; i < 12; ++i) {
    if (i % 3 == 0) {
      ASSERT_TRUE(s.add_request(make_request(rid("late", i), 20, 5, 3 + i)).ok());
    }
    step(s, ex, r, o);
  }
  EXPECT_EQ(r.steps[0].num_scheduled_tokens.at("long"), 6);
  EXPECT_EQ(r.steps[0].num_scheduled_tokens.at("short"), 2);
  for (size_t i = 1; i < r.steps.size(); ++i) {
    EXPECT_EQ(r.steps[i].num_scheduled_tokens.at("short"), 1) << "step " << i;
    EXPECT_EQ(r.steps[i].total_num_scheduled_tokens, 8) << "step " << i;
  }
  run_all(s, ex, o);
}

TEST(SchedulerTest, LongPrefillThresholdSplitsBudget) {
  FakeClock clock;
  auto o = options(256, /*budget=*/32);
  o.long_prefill_token_threshold = 12;
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size);
  RunResult r;
  ASSERT_TRUE(s.add_request(make_request("a", 40, 1, 1)).ok());
  ASSERT_TRUE(s.add_request(make_request("b", 40, 1, 2)).ok());
  step(s, ex, r, o);
  EXPECT_EQ(r.steps[0].num_scheduled_tokens.at("a"), 12);
  EXPECT_EQ(r.steps[0].num_scheduled_tokens.at("b"), 12);
  run_all(s, ex, o);
}

TEST(SchedulerTest, MaxNumSeqs) {
  FakeClock clock;
  auto o = options(256, 64, /*max_seqs=*/2);
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.add_request(make_request(rid("r", i), 4, 3, i)).ok());
  RunResult r;
  step(s, ex, r, o);
  EXPECT_EQ(r.steps[0].num_scheduled_tokens.size(), 2u);
  EXPECT_EQ(s.stats().num_running, 2);
  EXPECT_EQ(s.stats().num_waiting, 3);
  RunResult rest = run_all(s, ex, o);
  EXPECT_EQ(rest.finish.size() + r.finish.size(), 5u);
}

TEST(SchedulerTest, WithoutChunkedPrefillAPromptWaitsForAWholeBudget) {
  FakeClock clock;
  auto o = options(16, /*budget=*/64);
  o.enable_chunked_prefill = false;
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size);
  ASSERT_TRUE(s.add_request(make_request("a", 40, 2, 1)).ok());
  ASSERT_TRUE(s.add_request(make_request("b", 30, 2, 2)).ok());
  RunResult r;
  step(s, ex, r, o);
  EXPECT_EQ(r.steps[0].num_scheduled_tokens.at("a"), 40);
  EXPECT_EQ(r.steps[0].num_scheduled_tokens.count("b"), 0u);  // would need a chunk
  run_all(s, ex, o);
  auto bad = options(16, /*budget=*/32);
  bad.enable_chunked_prefill = false;
  EXPECT_FALSE(validate_scheduler_options(bad).ok());
}

TEST(SchedulerTest, FcfsVersusPriorityOrder) {
  for (QueuePolicy policy : {QueuePolicy::kFcfs, QueuePolicy::kPriority}) {
    FakeClock clock;
    auto o = options(256, 64, /*max_seqs=*/1);
    o.queue_policy = policy;
    Scheduler s(o, clock);
    FakeExecutor ex(o.kv.num_blocks, o.kv.block_size);
    const int prio[] = {5, 1, 3, 1};
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(s.add_request(make_request(rid("r", i), 4, 2, i, prio[i])).ok());
      clock.advance_s(1.0);
    }
    RunResult r = run_all(s, ex, o);
    std::vector<ReqId> admitted;
    for (const auto& so : r.steps) {
      for (const auto& d : so.scheduled_new_reqs) admitted.push_back(d.req_id);
    }
    if (policy == QueuePolicy::kFcfs) {
      EXPECT_EQ(admitted, (std::vector<ReqId>{"r0", "r1", "r2", "r3"}));
    } else {
      EXPECT_EQ(admitted, (std::vector<ReqId>{"r1", "r3", "r2", "r0"}));
    }
  }
}

TEST(SchedulerTest, PolicyNamesParse) {
  EXPECT_EQ(*parse_queue_policy("fcfs"), QueuePolicy::kFcfs);
  EXPECT_EQ(*parse_queue_policy("priority"), QueuePolicy::kPriority);
  EXPECT_FALSE(parse_queue_policy("lifo").ok());
  EXPECT_EQ(*parse_preemption_mode("newest"), PreemptionMode::kNewest);
  EXPECT_EQ(*parse_preemption_mode("priority"), PreemptionMode::kLowestPriority);
  EXPECT_FALSE(parse_preemption_mode("oldest").ok());
}

TEST(SchedulerTest, AbortFreesBlocks) {
  FakeClock clock;
  auto o = options(64, 16);
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size);
  ASSERT_TRUE(s.add_request(make_request("run", 20, 100, 1)).ok());
  ASSERT_TRUE(s.add_request(make_request("wait", 40, 100, 2)).ok());
  RunResult r;
  step(s, ex, r, o);
  step(s, ex, r, o);
  EXPECT_GT(s.stats().kv_cache_usage, 0.0);
  EXPECT_EQ(s.stats().num_running, 2);  // "wait" got a chunk
  EXPECT_TRUE(s.abort_request("run"));
  EXPECT_FALSE(s.abort_request("run"));
  const std::vector<ReqId> ids{"wait", "nope"};
  EXPECT_EQ(s.abort_requests(ids), 1);
  EXPECT_EQ(s.stats().kv_cache_usage, 0.0);
  EXPECT_FALSE(s.has_unfinished_requests());
  SchedulerOutput so = s.schedule();
  EXPECT_EQ(so.finished_req_ids, (std::vector<ReqId>{"run", "wait"}));
  EXPECT_TRUE(so.empty());
  // A waiting request aborted before it ever ran.
  ASSERT_TRUE(s.add_request(make_request("x", 4, 3)).ok());
  EXPECT_TRUE(s.abort_request("x"));
  EXPECT_EQ(s.stats().num_waiting, 0);
}

TEST(SchedulerTest, AbortBetweenScheduleAndUpdateIsIgnored) {
  FakeClock clock;
  auto o = options(64);
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size);
  ASSERT_TRUE(s.add_request(make_request("a", 8, 5)).ok());
  SchedulerOutput so = s.schedule();
  ModelRunnerOutput mro = ex.execute(so);
  EXPECT_TRUE(s.abort_request("a"));
  EXPECT_TRUE(s.update_from_output(so, mro).outputs.empty());
  EXPECT_EQ(s.stats().kv_cache_usage, 0.0);
}

TEST(SchedulerTest, StopOnEosStopTokenAndMaxTokens) {
  FakeClock clock;
  auto o = options(64);
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size);
  const auto ref = reference_outputs(prompt_of(6, 1), StopParams{.max_tokens = 10}, kVocab);
  StopParams eos{.max_tokens = 10, .eos_token_id = ref[2]};
  StopParams ignore = eos;
  ignore.ignore_eos = true;
  StopParams stop_ids{.max_tokens = 10, .stop_token_ids = {ref[3]}};
  StopParams min_tok{.max_tokens = 10, .min_tokens = 4, .eos_token_id = ref[2]};
  ASSERT_TRUE(s.add_request(Request("eos", prompt_of(6, 1), eos)).ok());
  ASSERT_TRUE(s.add_request(Request("ignore", prompt_of(6, 1), ignore)).ok());
  ASSERT_TRUE(s.add_request(Request("stopid", prompt_of(6, 1), stop_ids)).ok());
  ASSERT_TRUE(s.add_request(Request("min", prompt_of(6, 1), min_tok)).ok());
  RunResult r = run_all(s, ex, o);
  EXPECT_EQ(r.outputs["eos"], std::vector<int32_t>(ref.begin(), ref.begin() + 3));  // EOS kept, like vLLM
  EXPECT_EQ(r.finish["eos"], FinishReason::kStop);
  EXPECT_EQ(r.outputs["ignore"].size(), 10u);
  EXPECT_EQ(r.finish["ignore"], FinishReason::kLength);
  EXPECT_EQ(r.outputs["stopid"].size(), 4u);
  EXPECT_EQ(r.finish["stopid"], FinishReason::kStop);
  EXPECT_EQ(r.outputs["min"], reference_outputs(prompt_of(6, 1), min_tok, kVocab));
  EXPECT_GE(r.outputs["min"].size(), 4u);
  EXPECT_EQ(s.stats().kv_cache_usage, 0.0);
}

TEST(SchedulerTest, MaxModelLenFinishesWithLength) {
  FakeClock clock;
  auto o = options(64);
  o.max_model_len = 12;
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size);
  ASSERT_TRUE(s.add_request(make_request("a", 10, 100)).ok());
  RunResult r = run_all(s, ex, o);
  EXPECT_EQ(r.outputs["a"].size(), 2u);
  EXPECT_EQ(r.finish["a"], FinishReason::kLength);
}

TEST(SchedulerTest, RepeatedPromptHitsThePrefixCache) {
  FakeClock clock;
  auto o = options(64);
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size);
  ASSERT_TRUE(s.add_request(make_request("a", 18, 3, 9)).ok());
  RunResult ra = run_all(s, ex, o);
  ASSERT_TRUE(s.add_request(make_request("b", 18, 3, 9)).ok());
  RunResult rb = run_all(s, ex, o);
  EXPECT_EQ(ra.cached["a"], 0);
  EXPECT_EQ(rb.cached["b"], 16);  // 4 full blocks of 4 hit; tokens 17 and 18 are computed
  EXPECT_EQ(rb.steps[0].scheduled_new_reqs[0].num_computed_tokens, 16);
  EXPECT_EQ(rb.steps[0].num_scheduled_tokens.at("b"), 2);
  EXPECT_EQ(ra.outputs["a"], rb.outputs["b"]);
  EXPECT_EQ(s.stats().prefix_cache_queries, 36);
  EXPECT_EQ(s.stats().prefix_cache_hits, 16);
  // A prompt that is exactly whole blocks still computes its last block.
  ASSERT_TRUE(s.add_request(make_request("c", 16, 1, 9)).ok());
  RunResult rc = run_all(s, ex, o);
  EXPECT_EQ(rc.cached["c"], 12);
  EXPECT_EQ(s.reset_prefix_cache() > 0, true);
  ASSERT_TRUE(s.add_request(make_request("d", 18, 1, 9)).ok());
  RunResult rd = run_all(s, ex, o);
  EXPECT_EQ(rd.cached["d"], 0);
}

// With a TPOT target, a prompt arriving while streams decode is prefilled in chunks sized by the time the
// target leaves (the fake runner reports 0.125 s for a step with decodes plus 1/1024 s per prompt token).
TEST(SchedulerTest, TpotTargetMetersPrefillWhileStreamsDecode) {
  FakeClock clock;
  auto o = options(256, /*budget=*/64);
  o.step_budget.tpot_target_s = 0.125 + 32.0 / 1024;
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size);
  RunResult r;
  auto timed_step = [&] {
    SchedulerOutput so = s.schedule();
    ModelRunnerOutput mro = ex.execute(so);
    int64_t prefill = 0, decodes = 0;
    for (const auto& [id, n] : so.num_scheduled_tokens) (n > 1 ? prefill : decodes) += n;
    mro.forward_seconds = (decodes > 0 ? 0.125 : 0.0) + static_cast<double>(prefill) / 1024;
    testing::collect(s.update_from_output(so, mro), r);
    r.steps.push_back(std::move(so));
  };
  ASSERT_TRUE(s.add_request(make_request("stream", 40, 60, 1)).ok());
  timed_step();  // nothing decoding yet: the whole budget (40 tokens)
  EXPECT_EQ(r.steps.back().num_scheduled_tokens.at("stream"), 40);
  for (int i = 0; i < 3; ++i) timed_step();  // decode-only steps measure the base
  EXPECT_EQ(s.stats().prefill_token_cap, 32);  // (target - 0.125 s) x 1024 tokens/s
  ASSERT_TRUE(s.add_request(make_request("late", 128, 2, 2)).ok());
  std::vector<int64_t> chunks;
  while (chunks.empty() || r.outputs.count("late") == 0) {
    timed_step();
    EXPECT_EQ(r.steps.back().num_scheduled_tokens.at("stream"), 1);
    chunks.push_back(r.steps.back().num_scheduled_tokens.at("late"));
  }
  EXPECT_EQ(chunks, (std::vector<int64_t>{32, 32, 32, 32}));
  // Without metering the same arrival takes the rest of the token budget.
  auto off = o;
  off.step_budget.meter_prefill = false;
  Scheduler s2(off, clock);
  FakeExecutor ex2(off.kv.num_blocks, off.kv.block_size);
  RunResult r2;
  ASSERT_TRUE(s2.add_request(make_request("stream", 40, 60, 1)).ok());
  for (int i = 0; i < 4; ++i) step(s2, ex2, r2, off);
  ASSERT_TRUE(s2.add_request(make_request("late", 128, 2, 2)).ok());
  step(s2, ex2, r2, off);
  EXPECT_EQ(r2.steps.back().num_scheduled_tokens.at("late"), 63);
}

}  // namespace
}  // namespace mms
