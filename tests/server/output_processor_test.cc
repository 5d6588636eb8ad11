// OutputProcessor: stop strings found across token boundaries, held back while they might still
// match, never leaked; finish reasons; a stop string that never completes releases its text at the end.
#include "server/output_processor.h"

#include <gtest/gtest.h>

#include "model/model_loader.h"
#include "testing/test_data.h"

namespace mms::server {
namespace {

class OutputProcessorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto m = load_model(mms::testing::test_data("tiny-qwen2-hf"));
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    loaded_ = new LoadedModel(std::move(*m));
  }
  static void TearDownTestSuite() { delete loaded_; }
  static LoadedModel* loaded_;
};
LoadedModel* OutputProcessorTest::loaded_ = nullptr;

RequestOutput one(int32_t id, std::optional<FinishReason> fr = std::nullopt) {
  RequestOutput o;
  o.new_token_ids = {id};
  o.finish_reason = fr;
  return o;
}

TEST_F(OutputProcessorTest, StopStringsAtEveryPosition) {
  const Tokenizer& tok = *loaded_->tokenizer;
  const std::string text = "The quick brown fox jumps over the lazy dog, then sleeps.";
  auto ids = tok.encode(text, false);
  ASSERT_EQ(tok.decode(ids), text);
  // Every substring of length 3..6 as a stop string.
  for (size_t at = 0; at + 3 < text.size(); at += 2) {
    for (size_t len : {3u, 6u}) {
      std::string stop = text.substr(at, std::min(len, text.size() - at));
      SCOPED_TRACE(stop);
      OutputProcessor p(&tok, {stop}, true, false);
      std::string out;
      std::optional<std::string> finish;
      for (size_t i = 0; i < ids.size() && !finish; ++i) {
        OutputDelta d = p.process(one(ids[i], i + 1 == ids.size() ? std::optional(FinishReason::kLength) : std::nullopt));
        out += d.text;
        finish = d.finish_reason;
        if (!finish) {  // nothing sent yet may begin a match
          EXPECT_EQ(out.find(stop), std::string::npos);
        }
      }
      EXPECT_EQ(out, text.substr(0, text.find(stop)));
      EXPECT_EQ(finish, "stop");
      EXPECT_TRUE(p.stopped_by_string());
    }
  }
}

TEST_F(OutputProcessorTest, HeldBackPrefixIsReleasedAtTheEnd) {
  const Tokenizer& tok = *loaded_->tokenizer;
  const std::string text = "count to ten: one two thr";
  auto ids = tok.encode(text, false);
  OutputProcessor p(&tok, {"three"}, true, false);
  std::string out;
  for (size_t i = 0; i + 1 < ids.size(); ++i) out += p.process(one(ids[i])).text;
  EXPECT_TRUE(text.rfind(out, 0) == 0);
  OutputDelta last = p.process(one(ids.back(), FinishReason::kLength));
  out += last.text;
  EXPECT_EQ(out, text);
  EXPECT_EQ(last.finish_reason, "length");
  EXPECT_EQ(p.num_output_tokens(), static_cast<int64_t>(ids.size()));
}

TEST_F(OutputProcessorTest, StopTokenAndSkipSpecial) {
  const Tokenizer& tok = *loaded_->tokenizer;
  auto eos = tok.eos_id();
  ASSERT_TRUE(eos.has_value());
  auto ids = tok.encode("hi", false);
  OutputProcessor p(&tok, {}, /*skip_special=*/true, false);
  std::string out;
  for (int32_t id : ids) out += p.process(one(id)).text;
  RequestOutput end = one(*eos, FinishReason::kStop);
  end.stop_reason = *eos;
  OutputDelta d = p.process(end);
  out += d.text;
  EXPECT_EQ(out, "hi");
  EXPECT_EQ(d.finish_reason, "stop");
  EXPECT_EQ(d.stop_token, *eos);
  EXPECT_TRUE(p.process(one(ids[0])).text.empty());  // ignored after the end
}

}  // namespace
}  // namespace mms::server
