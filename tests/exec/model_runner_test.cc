// ModelRunner driven by hand-written step messages on the tiny Qwen2 fixture: a request prefilled in
// chunks beside another one's decodes samples what the Generator samples alone; a resumed request's state
// is replaced; bad messages are errors, not crashes.
#include "exec/model_runner.h"

#include <gtest/gtest.h>

#include "exec/generator.h"
#include "model/model_loader.h"
#include "testing/test_data.h"

namespace mms {
namespace {

struct Tiny {
  LoadedModel files;
  std::unique_ptr<CausalLm> lm;
};

Tiny load_tiny() {
  Tiny t;
  auto files = load_model(testing::test_data("tiny-qwen2-hf"));
  EXPECT_TRUE(files.ok());
  t.files = std::move(*files);
  t.lm = std::move(*create_causal_lm(t.files.config, *t.files.weights));
  return t;
}

TEST(ModelRunnerTest, ChunkedPrefillAndResumeMatchGenerator) {
  Tiny t = load_tiny();
  const std::vector<int32_t> prompt = {11, 22, 33, 44, 55, 66, 77, 88, 99, 111, 122, 133, 144, 155, 166, 177, 188, 199, 210, 221};
  GenerationRequest gr;
  gr.prompt = prompt;
  gr.max_new_tokens = 3;
  gr.ignore_eos = true;
  const auto want = Generator(*t.lm).generate({gr})[0].tokens;

  ModelRunner runner(*t.lm, {8, 16, DType::kF32});
  // Step 1: first 12 prompt tokens; no sample.
  SchedulerOutput s1;
  s1.scheduled_new_reqs.push_back({"a", prompt, {3, 5}, 0, SamplingParams{}});
  s1.num_scheduled_tokens["a"] = 12;
  s1.total_num_scheduled_tokens = 12;
  auto o1 = runner.execute(s1);
  ASSERT_TRUE(o1.ok());
  EXPECT_TRUE(o1->sampled_token_ids.empty());
  // Step 2: the rest of the prompt; samples the first output.
  SchedulerOutput s2;
  s2.scheduled_cached_reqs.push_back({"a", false, {}, {}, {}, 12});
  s2.num_scheduled_tokens["a"] = 8;
  s2.total_num_scheduled_tokens = 8;
  auto o2 = runner.execute(s2);
  ASSERT_TRUE(o2.ok());
  ASSERT_EQ(o2->sampled_token_ids["a"], std::vector<int32_t>{want[0]});
  // Step 3: decode.
  SchedulerOutput s3;
  s3.scheduled_cached_reqs.push_back({"a", false, {want[0]}, {}, {}, 20});
  s3.num_scheduled_tokens["a"] = 1;
  s3.total_num_scheduled_tokens = 1;
  auto o3 = runner.execute(s3);
  ASSERT_TRUE(o3.ok());
  ASSERT_EQ(o3->sampled_token_ids["a"], std::vector<int32_t>{want[1]});
  // Preempted, then resumed on other blocks: recompute prompt + 2 outputs in one step.
  SchedulerOutput s4;
  s4.preempted_req_ids.push_back("a");
  ASSERT_TRUE(runner.execute(s4).ok());
  std::vector<int32_t> all = prompt;
  all.push_back(want[0]);
  all.push_back(want[1]);
  SchedulerOutput s5;
  s5.scheduled_cached_reqs.push_back({"a", true, {}, all, {6, 1}, 0});
  s5.num_scheduled_tokens["a"] = 22;
  s5.total_num_scheduled_tokens = 22;
  auto o5 = runner.execute(s5);
  ASSERT_TRUE(o5.ok());
  EXPECT_EQ(o5->sampled_token_ids["a"], std::vector<int32_t>{want[2]});
  // Finished: dropped; a diff for it is then an error.
  SchedulerOutput s6;
  s6.finished_req_ids.push_back("a");
  ASSERT_TRUE(runner.execute(s6).ok());
  EXPECT_EQ(runner.num_requests(), 0);
  auto bad = runner.execute(s3);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST(ModelRunnerTest, FactoryAndKvSizing) {
  Tiny t = load_tiny();
  // 2 (K and V) * 4 layers * 2 kv heads * 32 head_dim * 4 bytes.
  EXPECT_EQ(kv_bytes_per_token(t.lm->config()), 2048);
  EXPECT_EQ(kv_bytes_per_token(t.lm->config(), DType::kBF16), 1024);
  EXPECT_FALSE(create_model_runner(*t.lm, {0, 16, DType::kF32}).ok());
  EXPECT_TRUE(create_model_runner(*t.lm, {4, 16, DType::kF32}).ok());
}

}  // namespace
}  // namespace mms
