// Scheduling of requests with media: encoder jobs on their own queue (async) or inside the step that
// needs them (inline), prefill never covering an item whose embedding is not ready, encoder-cache hits,
// media-aware prefix caching. The encoder is simulated: a job finishes `encode_steps` steps after start.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "fake_executor.h"
#include "sched/scheduler.h"

// A named namespace of its own: the test executables are unity builds, where anonymous namespaces of
// files in one batch are shared.
namespace mms::mm_scheduler_test {
namespace {

using testing::FakeExecutor;
using testing::RunResult;

constexpr int32_t kVocab = 101;
constexpr int32_t kPad = 100;  // placeholder token id

struct HashLess {
  bool operator()(const Hash128& a, const Hash128& b) const { return a.lo != b.lo ? a.lo < b.lo : a.hi < b.hi; }
};

Hash128 image(uint64_t i) { return Hash128{i, 1000 + i}; }

// prefix text, `pad` placeholders for an image, suffix text.
Request mm_request(const std::string& id, int prefix, int pad, int suffix, const Hash128& img, int max_tokens = 4) {
  std::vector<int32_t> p;
  for (int i = 0; i < prefix; ++i) p.push_back((i * 7 + 3) % 90);
  for (int i = 0; i < pad; ++i) p.push_back(kPad);
  for (int i = 0; i < suffix; ++i) p.push_back((i * 11 + 5) % 90);
  StopParams stop;
  stop.max_tokens = max_tokens;
  Request r(id, p, stop);
  r.mm_inputs.push_back(MmInputRef{img, prefix, pad, pad * 4});
  return r;
}

Request text_request(const std::string& id, int len, int max_tokens) {
  std::vector<int32_t> p;
  for (int i = 0; i < len; ++i) p.push_back((i * 13 + 1) % 90);
  StopParams stop;
  stop.max_tokens = max_tokens;
  return Request(id, p, stop);
}

SchedulerOptions options(EncoderMode mode, int64_t cache_tokens = 1000) {
  SchedulerOptions o;
  o.kv.num_blocks = 64;
  o.kv.block_size = 4;
  o.max_num_batched_tokens = 32;
  o.max_num_seqs = 8;
  o.encoder_mode = mode;
  o.encoder_cache_tokens = cache_tokens;
  // The driver reports a constant step time; prefill metering by time is tested in scheduler_test.cc.
  o.step_budget.meter_prefill = false;
  return o;
}

// Drives a scheduler with a simulated encoder and checks that no chunk uses an embedding that is not ready.
class Driver {
 public:
  Driver(Scheduler& s, const SchedulerOptions& o, int encode_steps)
      : s_(s), o_(o), ex_(o.kv.num_blocks, o.kv.block_size, kVocab), encode_steps_(encode_steps) {}

  SchedulerOutput step() {
    SchedulerOutput so = s_.schedule();
    for (const ScheduledEncoderInput& e : so.scheduled_encoder_inputs) {
      ++num_encodes_[e.input.hash.lo];
      EXPECT_FALSE(in_flight_.count(e.input.hash)) << "started twice";
      in_flight_[e.input.hash] = o_.encoder_mode == EncoderMode::kInline ? 0 : encode_steps_;
    }
    if (o_.encoder_mode == EncoderMode::kInline) {
      EXPECT_EQ(so.encoder_time_budget_s, so.scheduled_encoder_inputs.empty() ? 0.0 : -1.0);
    } else if (!in_flight_.empty()) {
      EXPECT_GT(so.encoder_time_budget_s, 0.0);
    }
    for (const Hash128& h : so.freed_encoder_hashes) ready_.erase(h);
    // Inline: started jobs finish before the forward pass.
    std::vector<Hash128> finished;
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      if (it->second == 0) {
        ready_.insert(it->first);
        finished.push_back(it->first);
        it = in_flight_.erase(it);
      } else {
        ++it;
      }
    }
    check_chunks(so);
    ModelRunnerOutput mro = ex_.execute(so);
    for (auto& [h, left] : in_flight_) --left;  // the slice after the forward pass
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
      if (it->second <= 0) {
        ready_.insert(it->first);
        finished.push_back(it->first);
        it = in_flight_.erase(it);
      } else {
        ++it;
      }
    }
    mro.finished_encoder_hashes = finished;
    mro.forward_seconds = 0.01;
    testing::collect(s_.update_from_output(so, mro), result_);
    result_.steps.push_back(so);
    return so;
  }

  void run(int max_steps = 1000) {
    for (int i = 0; i < max_steps && s_.has_requests(); ++i) step();
    EXPECT_FALSE(s_.has_requests());
  }

  void add(Request r) {
    mm_[r.req_id] = r.mm_inputs;
    ASSERT_TRUE(s_.add_request(std::move(r)).ok());
  }

  RunResult& result() { return result_; }
  int num_encodes(uint64_t lo) { return num_encodes_[lo]; }

 private:
  void check_chunks(const SchedulerOutput& so) {
    std::map<ReqId, int64_t> start;
    for (const NewRequestData& d : so.scheduled_new_reqs) start[d.req_id] = d.num_computed_tokens;
    for (const CachedRequestData& d : so.scheduled_cached_reqs) start[d.req_id] = d.num_computed_tokens;
    for (const auto& [id, n] : so.num_scheduled_tokens) {
      const int64_t c = start.at(id);
      for (const MmInputRef& m : mm_[id]) {
        if (m.offset < c + n && m.offset + m.num_tokens > c) {
          EXPECT_TRUE(ready_.count(m.hash)) << id << ": chunk [" << c << ", " << c + n << ") uses an unready image";
        }
      }
    }
  }

  Scheduler& s_;
  SchedulerOptions o_;
  FakeExecutor ex_;
  int encode_steps_;
  std::map<Hash128, int, HashLess> in_flight_;
  std::set<Hash128, HashLess> ready_;
  std::map<ReqId, std::vector<MmInputRef>> mm_;
  std::map<uint64_t, int> num_encodes_;
  RunResult result_;
};

TEST(MmScheduler, AsyncEncodingNeverStallsRunningStreams) {
  FakeClock clock;
  const SchedulerOptions o = options(EncoderMode::kAsync);
  Scheduler s(o, clock);
  Driver d(s, o, /*encode_steps=*/5);
  d.add(text_request("t", 8, 30));
  d.step();  // t prefilled
  d.step();  // t decoding
  d.add(mm_request("img", 6, 12, 4, image(1)));
  // While the image encodes (5 steps), t gets a token every step and img prefills only its 6 text tokens.
  for (int i = 0; i < 4; ++i) {
    SchedulerOutput so = d.step();
    EXPECT_EQ(so.num_scheduled_tokens.at("t"), 1) << "step " << i;
    if (i == 0) {
      ASSERT_EQ(so.scheduled_encoder_inputs.size(), 1u);
      EXPECT_EQ(so.scheduled_encoder_inputs[0].req_id, "img");
      EXPECT_EQ(so.num_scheduled_tokens.at("img"), 6);  // text before the image
    } else {
      EXPECT_FALSE(so.num_scheduled_tokens.count("img"));
    }
  }
  d.run();
  EXPECT_EQ(d.result().outputs["img"].size(), 4u);
  EXPECT_EQ(d.result().outputs["t"].size(), 30u);
  EXPECT_EQ(d.num_encodes(1), 1);
}

TEST(MmScheduler, InlineEncodesInTheStepThatNeedsIt) {
  FakeClock clock;
  const SchedulerOptions o = options(EncoderMode::kInline);
  Scheduler s(o, clock);
  Driver d(s, o, 0);
  d.add(mm_request("img", 6, 12, 4, image(1)));
  SchedulerOutput so = d.step();
  ASSERT_EQ(so.scheduled_encoder_inputs.size(), 1u);
  EXPECT_EQ(so.num_scheduled_tokens.at("img"), 22);  // the whole prompt in one step
  d.run();
  EXPECT_EQ(d.result().outputs["img"].size(), 4u);
}

TEST(MmScheduler, TextRequestsOvertakeAnImageStillEncoding) {
  FakeClock clock;
  const SchedulerOptions o = options(EncoderMode::kAsync);
  Scheduler s(o, clock);
  Driver d(s, o, 10);
  d.add(mm_request("img", 0, 12, 4, image(1)));  // the image comes first: nothing to prefill before it
  d.add(text_request("t", 8, 3));
  SchedulerOutput so = d.step();
  EXPECT_FALSE(so.num_scheduled_tokens.count("img"));
  EXPECT_EQ(so.num_scheduled_tokens.at("t"), 8);
  d.run();
  EXPECT_EQ(d.result().outputs["t"].size(), 3u);
  EXPECT_EQ(d.result().outputs["img"].size(), 4u);
}

TEST(MmScheduler, SameImageIsEncodedOnceAndCountedAsHit) {
  for (EncoderMode mode : {EncoderMode::kAsync, EncoderMode::kInline}) {
    FakeClock clock;
    SchedulerOptions o = options(mode);
    o.kv.enable_prefix_caching = false;  // so the second request cannot skip the image through its KV
    Scheduler s(o, clock);
    Driver d(s, o, 3);
    d.add(mm_request("a", 2, 12, 3, image(7)));
    d.add(mm_request("b", 5, 12, 1, image(7)));  // same image, other text and position
    d.run();
    EXPECT_EQ(d.num_encodes(7), 1) << encoder_mode_name(mode);
    EXPECT_EQ(s.stats().encoder_cache.num_queries, 2);
    EXPECT_EQ(s.stats().encoder_cache.num_hits, 1);
  }
}

TEST(MmScheduler, BatchesItemsThatArriveWhileTheEncoderIsBusy) {
  FakeClock clock;
  const SchedulerOptions o = options(EncoderMode::kAsync);
  Scheduler s(o, clock);
  Driver d(s, o, 3);
  d.add(mm_request("a", 2, 8, 2, image(1)));
  SchedulerOutput first = d.step();
  EXPECT_EQ(first.scheduled_encoder_inputs.size(), 1u);
  d.add(mm_request("b", 2, 8, 2, image(2)));
  d.add(mm_request("c", 2, 8, 2, image(3)));
  size_t started_together = 0;
  for (int i = 0; i < 6 && started_together == 0; ++i) started_together = d.step().scheduled_encoder_inputs.size();
  EXPECT_EQ(started_together, 2u);
  d.run();
}

TEST(MmScheduler, DifferentImagesWithSameTokensNeverShareKv) {
  FakeClock clock;
  const SchedulerOptions o = options(EncoderMode::kAsync);
  Scheduler s(o, clock);
  Driver d(s, o, 1);
  d.add(mm_request("a", 8, 12, 8, image(1)));
  d.run();
  d.add(mm_request("b", 8, 12, 8, image(2)));  // identical token ids
  d.run();
  // Only the 8 text tokens before the image (two full blocks of 4) may come from the cache.
  EXPECT_EQ(d.result().cached["b"], 8);
  d.add(mm_request("c", 8, 12, 8, image(1)));  // same image as a: the image blocks are reused too
  d.run();
  EXPECT_GT(d.result().cached["c"], 8 + 12);
  EXPECT_EQ(d.num_encodes(1), 1);  // c's image was fully prefix-cached: not encoded again
}

TEST(MmScheduler, FullEncoderCacheMakesItemsWaitAndEvictsUnusedOnes) {
  FakeClock clock;
  SchedulerOptions o = options(EncoderMode::kAsync, /*cache_tokens=*/12);
  o.kv.enable_prefix_caching = false;
  Scheduler s(o, clock);
  Driver d(s, o, 2);
  d.add(mm_request("a", 1, 12, 1, image(1)));
  d.add(mm_request("b", 1, 12, 1, image(2)));
  d.add(mm_request("c", 1, 12, 1, image(1)));
  bool freed = false;
  for (int i = 0; i < 200 && s.has_requests(); ++i) {
    SchedulerOutput so = d.step();
    freed = freed || !so.freed_encoder_hashes.empty();
    EXPECT_LE(s.stats().encoder_cache.used_tokens, 12);
  }
  EXPECT_FALSE(s.has_requests());
  EXPECT_TRUE(freed);
  EXPECT_EQ(d.result().outputs.size(), 3u);
}

// Text, then images of `pad` rows each separated by 2 text tokens, then text.
Request multi_image_request(const std::string& id, int pad, const std::vector<Hash128>& imgs, int max_tokens = 3) {
  std::vector<int32_t> p = {1, 2, 3};
  StopParams stop;
  stop.max_tokens = max_tokens;
  std::vector<MmInputRef> refs;
  for (const Hash128& h : imgs) {
    refs.push_back(MmInputRef{h, static_cast<int64_t>(p.size()), pad, pad * 4});
    for (int i = 0; i < pad; ++i) p.push_back(kPad);
    p.push_back(4), p.push_back(5);
  }
  Request r(id, p, stop);
  r.mm_inputs = refs;
  return r;
}

// A cache that holds one image; a request that needs B first and A second arrives while A is held. It must
// not pin A (which it needs later) while it waits for room for B: nothing could ever make that room.
TEST(MmScheduler, OneImageCacheServesTwoImageRequestsInEitherOrder) {
  for (EncoderMode mode : {EncoderMode::kAsync, EncoderMode::kInline}) {
    FakeClock clock;
    SchedulerOptions o = options(mode, /*cache_tokens=*/12);
    o.kv.enable_prefix_caching = false;
    Scheduler s(o, clock);
    Driver d(s, o, 2);
    d.add(multi_image_request("a", 12, {image(1)}, 6));
    for (int i = 0; i < 4; ++i) d.step();  // A encoded and in use
    d.add(multi_image_request("ba", 12, {image(2), image(1)}));
    d.add(multi_image_request("ab", 12, {image(1), image(2)}));
    d.add(multi_image_request("b", 12, {image(2)}));
    d.run(400);
    for (const char* id : {"a", "ba", "ab", "b"}) EXPECT_EQ(d.result().finish.count(id), 1u) << id << " " << encoder_mode_name(mode);
  }
}

// A cache that holds one image and room for one running request: "ab" has used A and needs B while "a2",
// waiting for ab's seat, holds A since its admission. The waiting request's hold must give way, whenever
// it arrives and however large the steps are.
TEST(MmScheduler, WaitingRequestsNeverHoldRoomARunningOneNeeds) {
  for (EncoderMode mode : {EncoderMode::kAsync, EncoderMode::kInline}) {
    for (int64_t budget : {4, 8, 32}) {
      for (int arrive_after = 0; arrive_after < 8; ++arrive_after) {
        FakeClock clock;
        SchedulerOptions o = options(mode, /*cache_tokens=*/12);
        o.kv.enable_prefix_caching = false;
        o.max_num_seqs = 1;
        o.max_num_batched_tokens = budget;
        Scheduler s(o, clock);
        Driver d(s, o, 2);
        d.add(multi_image_request("ab", 12, {image(1), image(2)}));
        for (int i = 0; i < arrive_after; ++i) d.step();
        d.add(multi_image_request("a2", 12, {image(1)}));
        d.run(400);
        for (const char* id : {"ab", "a2"}) {
          EXPECT_EQ(d.result().finish.count(id), 1u)
              << id << " " << encoder_mode_name(mode) << " budget " << budget << " arriving after " << arrive_after;
        }
      }
    }
  }
}

TEST(MmScheduler, RejectsBadMediaLayouts) {
  FakeClock clock;
  const SchedulerOptions o = options(EncoderMode::kAsync, 10);
  Scheduler s(o, clock);
  EXPECT_FALSE(s.add_request(mm_request("big", 1, 12, 1, image(1))).ok());  // larger than the cache
  Request r = mm_request("overlap", 1, 8, 1, image(1));
  r.mm_inputs.push_back(MmInputRef{image(2), 4, 2, 8});
  EXPECT_FALSE(s.add_request(std::move(r)).ok());
  Request past = mm_request("past", 1, 8, 1, image(1));
  past.mm_inputs[0].num_tokens = 20;
  EXPECT_FALSE(s.add_request(std::move(past)).ok());
}

}  // namespace
}  // namespace mms::mm_scheduler_test
