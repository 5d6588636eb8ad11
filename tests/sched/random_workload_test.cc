// Property test: random workloads (arrivals over time, shared prefixes, EOS, aborts, tight KV, every
// policy) must finish every request with the outputs of an unconstrained run, leak no block, and conserve
// tokens (every sampled token reaches exactly one output).
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "fake_executor.h"
#include "sched/scheduler.h"

// A named namespace of its own: the test executables are unity builds, where anonymous namespaces of
// files in one batch are shared.
namespace mms::random_workload_test {
namespace {

using testing::FakeExecutor;
using testing::reference_outputs;

constexpr int32_t kVocab = 53;

struct Spec {
  ReqId id;
  std::vector<int32_t> prompt;
  StopParams stop;
  int priority = 0;
  int64_t arrival_step = 0;
  int64_t abort_step = -1;  // -1: never
};

// Returns the scheduler stats at the end, for coverage checks.
void run_seed(uint32_t seed, SchedulerStats* stats_out) {
  std::mt19937 rng(seed);
  auto uni = [&rng](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };

  SchedulerOptions o;
  const int32_t block_sizes[] = {1, 2, 4, 8, 16};
  o.kv.block_size = block_sizes[uni(0, 4)];
  o.kv.num_blocks = uni(1, 12) * 64 / o.kv.block_size + 1;
  o.kv.enable_prefix_caching = uni(0, 3) != 0;
  o.max_num_batched_tokens = uni(1, 96);
  o.max_num_seqs = uni(1, 10);
  o.long_prefill_token_threshold = uni(0, 1) ? 0 : uni(1, 32);
  o.queue_policy = uni(0, 1) ? QueuePolicy::kFcfs : QueuePolicy::kPriority;
  o.preemption_mode = uni(0, 1) ? PreemptionMode::kNewest : PreemptionMode::kLowestPriority;
  if (uni(0, 3) == 0) o.max_model_len = uni(8, 80);
  o.enable_chunked_prefill = true;

  FakeClock clock;
  Scheduler s(o, clock);
  FakeExecutor ex(o.kv.num_blocks, o.kv.block_size, kVocab);
  const int64_t max_len = s.max_model_len();

  // A few shared prefixes so prefix caching gets hits.
  std::vector<std::vector<int32_t>> bases(3);
  for (auto& b : bases) {
    b.resize(static_cast<size_t>(uni(0, 40)));
    for (auto& t : b) t = static_cast<int32_t>(uni(0, kVocab - 1));
  }
  std::vector<Spec> specs(static_cast<size_t>(uni(1, 30)));
  for (size_t i = 0; i < specs.size(); ++i) {
    Spec& sp = specs[i];
    char name[32];
    std::snprintf(name, sizeof(name), "q%zu", i);
    sp.id = name;
    if (uni(0, 1)) sp.prompt = bases[static_cast<size_t>(uni(0, 2))];
    const int64_t extra = uni(sp.prompt.empty() ? 1 : 0, 30);
    for (int64_t k = 0; k < extra; ++k) sp.prompt.push_back(static_cast<int32_t>(uni(0, kVocab - 1)));
    if (static_cast<int64_t>(sp.prompt.size()) > max_len) sp.prompt.resize(static_cast<size_t>(max_len));
    sp.stop.max_tokens = uni(1, 30);
    if (uni(0, 2) == 0) sp.stop.eos_token_id = static_cast<int32_t>(uni(0, kVocab - 1));
    if (uni(0, 4) == 0) sp.stop.stop_token_ids = {static_cast<int32_t>(uni(0, kVocab - 1))};
    sp.stop.ignore_eos = uni(0, 5) == 0;
    sp.priority = static_cast<int>(uni(0, 3));
    sp.arrival_step = uni(0, 40);
    if (uni(0, 7) == 0) sp.abort_step = sp.arrival_step + uni(0, 20);
  }

  testing::RunResult r;
  int64_t total_scheduled = 0, step_no = 0;
  std::map<ReqId, bool> aborted;
  auto pending = [&] {
    for (const Spec& sp : specs) if (sp.arrival_step >= step_no) return true;
    return false;
  };
  while ((s.has_unfinished_requests() || pending()) && step_no < 20000) {
    for (const Spec& sp : specs) {
      if (sp.arrival_step == step_no) {
        ASSERT_TRUE(s.add_request(Request(sp.id, sp.prompt, sp.stop, sp.priority)).ok());
      }
      if (sp.abort_step == step_no && s.abort_request(sp.id)) aborted[sp.id] = true;
    }
    SchedulerOutput so = s.schedule();
    ASSERT_LE(so.total_num_scheduled_tokens, o.max_num_batched_tokens);
    ASSERT_LE(s.stats().num_running, o.max_num_seqs);
    // Progress: if anything is unfinished, something is scheduled (no deadlock).
    if (s.has_unfinished_requests()) {
      ASSERT_GT(so.total_num_scheduled_tokens, 0) << "stalled at step " << step_no;
    }
    total_scheduled += so.total_num_scheduled_tokens;
    testing::collect(s.update_from_output(so, ex.execute(so)), r);
    clock.advance_ns(1000);
    ++step_no;
  }
  ASSERT_FALSE(s.has_unfinished_requests()) << "seed " << seed;
  // Deliver the last finished ids; the executor must then hold no request state.
  ex.execute(s.schedule());
  EXPECT_EQ(ex.num_states(), 0u);

  int64_t total_outputs = 0;
  for (const Spec& sp : specs) {
    const auto& out = r.outputs[sp.id];
    total_outputs += static_cast<int64_t>(out.size());
    const auto ref = reference_outputs(sp.prompt, sp.stop, kVocab, max_len);
    if (aborted.count(sp.id)) {
      ASSERT_LE(out.size(), ref.size());
      EXPECT_EQ(out, std::vector<int32_t>(ref.begin(), ref.begin() + static_cast<int64_t>(out.size()))) << sp.id;
      EXPECT_FALSE(r.finish.count(sp.id));
    } else {
      EXPECT_EQ(out, ref) << "seed " << seed << " " << sp.id;
      EXPECT_TRUE(r.finish.count(sp.id)) << sp.id;
    }
  }
  EXPECT_EQ(total_outputs, ex.num_sampled_total());
  EXPECT_EQ(total_scheduled, ex.num_computed_total());
  const KvCacheManager& kv = s.kv_cache_manager();
  EXPECT_EQ(kv.num_free_blocks(), kv.num_blocks()) << "seed " << seed;
  for (int32_t b = 0; b < kv.num_blocks(); ++b) ASSERT_EQ(kv.pool().ref_count(b), 0);
  EXPECT_EQ(s.stats().num_running, 0);
  EXPECT_EQ(s.stats().num_waiting, 0);
  *stats_out = s.stats();
}

TEST(RandomWorkloadTest, ManySeeds) {
  int64_t preemptions = 0, hits = 0;
  for (uint32_t seed = 0; seed < 300; ++seed) {
    SCOPED_TRACE(seed);
    SchedulerStats st;
    run_seed(seed, &st);
    if (::testing::Test::HasFatalFailure()) return;
    preemptions += st.num_preemptions;
    hits += st.prefix_cache_hits;
  }
  // The workloads do exercise preemption and prefix hits.
  EXPECT_GT(preemptions, 100);
  EXPECT_GT(hits, 1000);
  std::printf("preemptions %lld, prefix-hit tokens %lld over 300 workloads\n", static_cast<long long>(preemptions),
              static_cast<long long>(hits));
}

}  // namespace
}  // namespace mms::random_workload_test
