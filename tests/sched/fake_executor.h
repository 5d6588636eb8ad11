// FakeExecutor: stands in for the model runner in scheduler tests. It keeps its own copy of every
// request's tokens and block table, fed only by SchedulerOutput diffs, writes token ids into a fake paged
// "KV" (block_id, slot) -> token, checks that every position a step attends to holds the right token
// (catches blocks shared or reused wrongly, bad prefix hits, lost diffs), and samples a deterministic
// next token from the history: (sum of the last 4 tokens + 7) % vocab.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "sched/scheduler.h"

namespace mms::testing {

inline int32_t fake_next_token(const std::vector<int32_t>& tokens, int32_t vocab) {
  int64_t s = 7;
  for (size_t i = tokens.size() >= 4 ? tokens.size() - 4 : 0; i < tokens.size(); ++i) s += tokens[i];
  return static_cast<int32_t>(s % vocab);
}

class FakeExecutor {
 public:
  FakeExecutor(int64_t num_blocks, int32_t block_size, int32_t vocab = 101)
      : block_size_(block_size), vocab_(vocab), kv_(static_cast<size_t>(num_blocks * block_size), -1) {}

  ModelRunnerOutput execute(const SchedulerOutput& so) {
    for (const ReqId& id : so.finished_req_ids) state_.erase(id);
    for (const NewRequestData& d : so.scheduled_new_reqs) {
      EXPECT_FALSE(state_.count(d.req_id)) << d.req_id;
      state_[d.req_id] = State{d.prompt_token_ids, d.block_ids, d.num_computed_tokens};
    }
    for (const CachedRequestData& d : so.scheduled_cached_reqs) {
      auto it = state_.find(d.req_id);
      EXPECT_TRUE(it != state_.end()) << d.req_id;
      if (it == state_.end()) continue;
      State& s = it->second;
      if (d.resumed_from_preemption) {
        s.tokens = d.all_token_ids;
        s.blocks = d.new_block_ids;
      } else {
        EXPECT_EQ(s.num_computed, d.num_computed_tokens) << d.req_id;
        s.tokens.insert(s.tokens.end(), d.new_token_ids.begin(), d.new_token_ids.end());
        s.blocks.insert(s.blocks.end(), d.new_block_ids.begin(), d.new_block_ids.end());
      }
      s.num_computed = d.num_computed_tokens;
    }
    EXPECT_EQ(so.num_scheduled_tokens.size(), so.scheduled_new_reqs.size() + so.scheduled_cached_reqs.size());
    ModelRunnerOutput out;
    int64_t total = 0;
    for (const auto& [id, n] : so.num_scheduled_tokens) {
      total += n;
      State& s = state_.at(id);
      const int64_t end = s.num_computed + n;
      EXPECT_GT(n, 0);
      EXPECT_LE(end, static_cast<int64_t>(s.tokens.size())) << id;
      EXPECT_LE(end, static_cast<int64_t>(s.blocks.size()) * block_size_) << id;
      if (end > static_cast<int64_t>(s.tokens.size()) || end > static_cast<int64_t>(s.blocks.size()) * block_size_) continue;
      // Everything already computed must still be in this request's blocks.
      for (int64_t p = 0; p < s.num_computed; ++p) {
        EXPECT_EQ(kv_[slot(s, p)], s.tokens[static_cast<size_t>(p)]) << id << " pos " << p;
      }
      for (int64_t p = s.num_computed; p < end; ++p) kv_[slot(s, p)] = s.tokens[static_cast<size_t>(p)];
      s.num_computed = end;
      num_computed_total_ += n;
      if (end == static_cast<int64_t>(s.tokens.size())) {
        // The sample is not appended here: the scheduler sends it back as new_token_ids next step.
        out.sampled_token_ids[id] = {fake_next_token(s.tokens, vocab_)};
        ++num_sampled_total_;
      }
    }
    EXPECT_EQ(total, so.total_num_scheduled_tokens);
    return out;
  }

  int64_t num_computed_total() const { return num_computed_total_; }
  int64_t num_sampled_total() const { return num_sampled_total_; }
  size_t num_states() const { return state_.size(); }

 private:
  struct State {
    std::vector<int32_t> tokens;
    std::vector<int32_t> blocks;
    int64_t num_computed = 0;
  };
  size_t slot(const State& s, int64_t pos) const {
    return static_cast<size_t>(s.blocks[static_cast<size_t>(pos / block_size_)] * block_size_ + pos % block_size_);
  }

  int32_t block_size_;
  int32_t vocab_;
  std::vector<int32_t> kv_;  // [num_blocks * block_size]: the token whose KV each slot holds
  std::unordered_map<ReqId, State> state_;
  int64_t num_computed_total_ = 0;
  int64_t num_sampled_total_ = 0;
};

// Expected outputs of a request run alone, unconstrained.
inline std::vector<int32_t> reference_outputs(std::vector<int32_t> tokens, const StopParams& stop, int32_t vocab,
                                              int64_t max_model_len = INT64_MAX) {
  std::vector<int32_t> out;
  while (true) {
    const int32_t t = fake_next_token(tokens, vocab);
    tokens.push_back(t);
    out.push_back(t);
    const int64_t n = static_cast<int64_t>(out.size());
    if (n >= stop.min_tokens) {
      if (!stop.ignore_eos && stop.eos_token_id && t == *stop.eos_token_id) break;
      if (std::find(stop.stop_token_ids.begin(), stop.stop_token_ids.end(), t) != stop.stop_token_ids.end()) break;
    }
    if (n >= stop.max_tokens || static_cast<int64_t>(tokens.size()) >= max_model_len) break;
  }
  return out;
}

// Outputs gathered from a run.
struct RunResult {
  std::map<ReqId, std::vector<int32_t>> outputs;
  std::map<ReqId, FinishReason> finish;
  std::map<ReqId, int64_t> cached;
  std::vector<SchedulerOutput> steps;
  int64_t num_steps = 0;
};

// Feeds the engine outputs into `result` and checks the step's invariants.
inline void collect(const EngineOutputs& eo, RunResult& result) {
  for (const EngineOutput& o : eo.outputs) {
    EXPECT_FALSE(result.finish.count(o.req_id)) << "output after finish: " << o.req_id;
    auto& v = result.outputs[o.req_id];
    v.insert(v.end(), o.new_token_ids.begin(), o.new_token_ids.end());
    result.cached[o.req_id] = o.num_cached_tokens;
    if (o.finish_reason) result.finish[o.req_id] = *o.finish_reason;
  }
}

}  // namespace mms::testing
