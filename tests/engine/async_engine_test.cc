// AsyncEngine over the tiny Qwen2 fixture: continuous batching gives exactly what the static Generator
// gives each request alone (also under preemption and prefix-cache hits); aborts, finish reasons,
// seeded sampling, shutdown and request validation.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "engine/engine_test_util.h"

namespace mms {
namespace {

using testing::Collector;
using testing::generate_alone;
using testing::make_engine;
using testing::make_prompt;
using testing::make_request;
using testing::wait_stats;

TEST(AsyncEngineTest, ConcurrentGreedyRequestsMatchGeneratorAlone) {
  EngineOptions o;
  o.max_num_batched_tokens = 64;  // prefill chunks mix with decodes across steps
  auto engine = make_engine(o);
  ASSERT_TRUE(engine);
  Collector c;
  const int n = 16;
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < n; ++i) {
    prompts.push_back(make_prompt(i, 5 + 7 * i));
    ASSERT_TRUE(engine->add_request(make_request("r" + std::to_string(i), prompts.back(), 12), c.callback()).ok());
  }
  ASSERT_TRUE(c.wait_finished(n));
  for (int i = 0; i < n; ++i) {
    const std::string id = "r" + std::to_string(i);
    EXPECT_EQ(c.tokens(id), generate_alone(prompts[i], 12)) << id;
    EXPECT_EQ(c.final_output(id).finish_reason, FinishReason::kLength);
    EXPECT_EQ(c.final_output(id).num_prompt_tokens, static_cast<int64_t>(prompts[i].size()));
    EXPECT_EQ(c.num_finals(id), 1);
  }
  ASSERT_TRUE(wait_stats(*engine, [](const EngineStats& s) { return s.num_running == 0 && s.kv_usage == 0; }));
  const EngineStats s = engine->stats();
  EXPECT_EQ(s.generation_tokens_total, n * 12);
  EXPECT_GT(s.prompt_tokens_total, 0);
  EXPECT_GT(s.num_steps, 12);
  EXPECT_GT(s.kv_capacity_tokens, 0);
  engine->shutdown(5);
}

TEST(AsyncEngineTest, PreemptionKeepsOutputsIdentical) {
  EngineOptions o;
  o.kv_cache_memory = "384KiB";  // 12 blocks of 16 tokens (2 KiB per token): far less than 16 requests need
  o.max_num_batched_tokens = 48;
  auto engine = make_engine(o);
  ASSERT_TRUE(engine);
  EXPECT_EQ(engine->stats().kv_capacity_tokens, 192);
  EXPECT_EQ(engine->max_model_len(), 192);
  Collector c;
  const int n = 16;
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < n; ++i) {
    prompts.push_back(make_prompt(100 + i, 10 + 3 * i));
    ASSERT_TRUE(engine->add_request(make_request("p" + std::to_string(i), prompts.back(), 20), c.callback()).ok());
  }
  ASSERT_TRUE(c.wait_finished(n, 120));
  for (int i = 0; i < n; ++i) {
    const std::string id = "p" + std::to_string(i);
    EXPECT_EQ(c.tokens(id), generate_alone(prompts[i], 20)) << id;
  }
  EXPECT_GT(engine->stats().num_preemptions, 0);
  ASSERT_TRUE(wait_stats(*engine, [](const EngineStats& s) { return s.kv_usage == 0; }));
}

TEST(AsyncEngineTest, AbortMidGenerationFreesKv) {
  auto engine = make_engine({});
  ASSERT_TRUE(engine);
  Collector c;
  ASSERT_TRUE(engine->add_request(make_request("long", make_prompt(7, 30), 2000), c.callback()).ok());
  ASSERT_TRUE(engine->add_request(make_request("short", make_prompt(8, 30), 4), c.callback()).ok());
  ASSERT_TRUE(c.wait_tokens("long", 3));
  engine->abort_request("long");
  engine->abort_request("no-such-request");  // no-op
  ASSERT_TRUE(c.wait_finished(2));
  EXPECT_EQ(c.final_output("long").finish_reason, FinishReason::kAbort);
  EXPECT_LT(c.tokens("long").size(), 2000u);
  EXPECT_EQ(c.final_output("short").finish_reason, FinishReason::kLength);
  EXPECT_EQ(c.num_finals("long"), 1);
  ASSERT_TRUE(wait_stats(*engine, [](const EngineStats& s) { return s.num_running == 0 && s.num_waiting == 0 && s.kv_usage == 0; }));
  engine->abort_request("long");  // already finished: no second final
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(c.num_finals("long"), 1);
}

TEST(AsyncEngineTest, RepeatedLongPromptHitsPrefixCache) {
  auto engine = make_engine({});
  ASSERT_TRUE(engine);
  const auto prompt = make_prompt(42, 200);
  Collector c;
  ASSERT_TRUE(engine->add_request(make_request("a", prompt, 8), c.callback()).ok());
  ASSERT_TRUE(c.wait_finished(1));
  EXPECT_EQ(engine->stats().prefix_cache_hits, 0);
  ASSERT_TRUE(engine->add_request(make_request("b", prompt, 8), c.callback()).ok());
  ASSERT_TRUE(c.wait_finished(2));
  EXPECT_EQ(c.tokens("a"), c.tokens("b"));
  EXPECT_EQ(c.tokens("a"), generate_alone(prompt, 8));
  EXPECT_EQ(c.final_output("b").num_cached_tokens, 192);  // 12 full blocks; the last partial one is computed
  ASSERT_TRUE(wait_stats(*engine, [](const EngineStats& s) { return s.prefix_cache_hits >= 192; }));
  EXPECT_EQ(engine->stats().prompt_tokens_total, 200 + 8);
}

TEST(AsyncEngineTest, SeededSamplingReproducibleAcrossBatchCompositions) {
  SamplingParams sp;
  sp.temperature = 0.9;
  sp.top_p = 0.95;
  sp.top_k = 50;
  sp.seed = 1234;
  sp.presence_penalty = 0.3;
  sp.logprobs = 2;
  const auto prompt = make_prompt(5, 17);
  auto run = [&](int others) {
    EngineOptions o;
    o.max_num_batched_tokens = 32;
    auto engine = make_engine(o);
    Collector c;
    for (int i = 0; i < others; ++i) {
      SamplingParams other = sp;
      other.seed = 99 + i;
      EXPECT_TRUE(engine->add_request(make_request("o" + std::to_string(i), make_prompt(50 + i, 9 + 5 * i), 16, other),
                                      c.callback()).ok());
    }
    EXPECT_TRUE(engine->add_request(make_request("x", prompt, 16, sp), c.callback()).ok());
    EXPECT_TRUE(c.wait_finished(static_cast<size_t>(others) + 1));
    auto lp = c.logprobs("x");
    EXPECT_EQ(lp.size(), 16u);
    for (size_t k = 0; k < lp.size(); ++k) {
      EXPECT_EQ(lp[k].token_id, c.tokens("x")[k]);
      EXPECT_EQ(lp[k].top.size(), 2u);
      EXPECT_LE(lp[k].logprob, 0.f);
    }
    return c.tokens("x");
  };
  const auto alone = run(0);
  EXPECT_EQ(run(5), alone);
  EXPECT_EQ(run(11), alone);
  EXPECT_EQ(generate_alone(prompt, 16, sp), alone);
  SamplingParams greedy;
  EXPECT_NE(generate_alone(prompt, 16, greedy), alone);  // it really sampled
}

TEST(AsyncEngineTest, FinishReasons) {
  auto engine = make_engine({});
  ASSERT_TRUE(engine);
  // A prompt whose greedy continuation has, at some position k >= 2, a token not seen before it (the
  // random-weight fixture often repeats one token).
  std::vector<int32_t> prompt, greedy;
  size_t k = 0;
  for (int seed = 3; seed < 60 && k == 0; ++seed) {
    prompt = make_prompt(seed, 11);
    greedy = generate_alone(prompt, 10);
    for (size_t j = 2; j < greedy.size() && k == 0; ++j) {
      if (std::find(greedy.begin(), greedy.begin() + static_cast<std::ptrdiff_t>(j), greedy[j]) ==
          greedy.begin() + static_cast<std::ptrdiff_t>(j)) {
        k = j;
      }
    }
  }
  ASSERT_NE(k, 0u);
  Collector c;
  ASSERT_TRUE(engine->add_request(make_request("len", prompt, 5), c.callback()).ok());
  EngineRequest eos = make_request("eos", prompt, 10);
  eos.stop.ignore_eos = false;
  eos.stop.eos_token_id = greedy[k];
  ASSERT_TRUE(engine->add_request(eos, c.callback()).ok());
  EngineRequest ignore = eos;
  ignore.req_id = "ignore";
  ignore.stop.ignore_eos = true;
  ASSERT_TRUE(engine->add_request(ignore, c.callback()).ok());
  EngineRequest stop = make_request("stop", prompt, 10);
  stop.stop.stop_token_ids = {greedy[k]};
  ASSERT_TRUE(engine->add_request(stop, c.callback()).ok());
  ASSERT_TRUE(c.wait_finished(4));

  EXPECT_EQ(c.final_output("len").finish_reason, FinishReason::kLength);
  EXPECT_EQ(c.tokens("len"), std::vector<int32_t>(greedy.begin(), greedy.begin() + 5));
  EXPECT_EQ(c.final_output("eos").finish_reason, FinishReason::kStop);
  EXPECT_FALSE(c.final_output("eos").stop_reason.has_value());
  EXPECT_EQ(c.tokens("eos"), std::vector<int32_t>(greedy.begin(), greedy.begin() + static_cast<std::ptrdiff_t>(k) + 1));
  EXPECT_EQ(c.final_output("ignore").finish_reason, FinishReason::kLength);
  EXPECT_EQ(c.tokens("ignore"), greedy);
  EXPECT_EQ(c.final_output("stop").finish_reason, FinishReason::kStop);
  EXPECT_EQ(c.final_output("stop").stop_reason, greedy[k]);
  EXPECT_EQ(c.tokens("stop"), c.tokens("eos"));
}

TEST(AsyncEngineTest, ShutdownDrainsInFlightRequests) {
  auto engine = make_engine({});
  ASSERT_TRUE(engine);
  Collector c;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(engine->add_request(make_request("d" + std::to_string(i), make_prompt(i, 20), 8), c.callback()).ok());
  }
  engine->shutdown(60);
  ASSERT_TRUE(c.wait_finished(4, 0));  // all finished before shutdown returned
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(c.final_output("d" + std::to_string(i)).finish_reason, FinishReason::kLength);
    EXPECT_EQ(c.tokens("d" + std::to_string(i)).size(), 8u);
  }
  Status s = engine->add_request(make_request("late", make_prompt(9, 5), 4), c.callback());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  engine->shutdown(1);  // idempotent
}

TEST(AsyncEngineTest, ShutdownWithZeroTimeoutAbortsTheRest) {
  auto engine = make_engine({});
  ASSERT_TRUE(engine);
  Collector c;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(engine->add_request(make_request("z" + std::to_string(i), make_prompt(i, 20), 5000), c.callback()).ok());
  }
  ASSERT_TRUE(c.wait_tokens("z0", 2));
  engine->shutdown(0);
  ASSERT_TRUE(c.wait_finished(4, 0));
  for (int i = 0; i < 4; ++i) {
    const std::string id = "z" + std::to_string(i);
    EXPECT_EQ(c.final_output(id).finish_reason, FinishReason::kAbort) << id;
    EXPECT_EQ(c.num_finals(id), 1);
  }
}

TEST(AsyncEngineTest, RejectsInvalidRequests) {
  EngineOptions o;
  o.max_model_len = 64;
  auto engine = make_engine(o);
  ASSERT_TRUE(engine);
  EXPECT_EQ(engine->max_model_len(), 64);
  Collector c;
  Status s = engine->add_request(make_request("big", make_prompt(1, 40), 30), c.callback());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("40"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("30"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("64"), std::string::npos) << s.message();
  EXPECT_EQ(engine->add_request(make_request("empty", {}, 4), c.callback()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine->add_request(make_request("oov", {1, 5000}, 4), c.callback()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine->add_request(make_request("zero", {1, 2}, 0), c.callback()).code(), StatusCode::kInvalidArgument);
  SamplingParams bad;
  bad.top_p = 0;
  EXPECT_EQ(engine->add_request(make_request("topp", {1, 2}, 4, bad), c.callback()).code(), StatusCode::kInvalidArgument);
  // Exactly at the limit is fine; a duplicate live id is not.
  ASSERT_TRUE(engine->add_request(make_request("fits", make_prompt(1, 40), 24), c.callback()).ok());
  EXPECT_EQ(engine->add_request(make_request("fits", make_prompt(2, 4), 4), c.callback()).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(c.wait_finished(1));
  EXPECT_EQ(c.tokens("fits").size(), 24u);
  EXPECT_EQ(c.num_finals("big"), 0);
}

TEST(AsyncEngineTest, FactoryRejectsBadOptions) {
  EngineOptions o;
  o.kv_cache_memory = "lots";
  EXPECT_FALSE(create_async_engine(o, testing::tiny_model()).ok());
  o.kv_cache_memory = "1KiB";  // less than one block
  EXPECT_EQ(create_async_engine(o, testing::tiny_model()).status().code(), StatusCode::kInvalidArgument);
  o.kv_cache_memory.clear();
  o.max_model_len = 1 << 20;  // beyond max_position_embeddings
  EXPECT_EQ(create_async_engine(o, testing::tiny_model()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mms
