#include "api/stream.h"

#include <gtest/gtest.h>

namespace mms::api {
namespace {

TEST(StreamChunk, ParsesChatDelta) {
  auto c = parse_stream_chunk(
      R"({"id":"c1","object":"chat.completion.chunk","created":5,"model":"m",)"
      R"("choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->id, "c1");
  ASSERT_EQ(c->choices.size(), 1u);
  EXPECT_EQ(c->choices[0].content, "Hel");
  EXPECT_FALSE(c->choices[0].finish_reason.has_value());
  EXPECT_FALSE(c->usage.has_value());
}

TEST(StreamChunk, ParsesCompletionTextFinishAndUsage) {
  auto c = parse_stream_chunk(
      R"({"object":"text_completion","choices":[{"index":0,"text":" world","finish_reason":"length"}],)"
      R"("usage":{"prompt_tokens":4,"completion_tokens":9,"total_tokens":13}})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->choices[0].content, " world");
  EXPECT_EQ(c->choices[0].finish_reason, "length");
  ASSERT_TRUE(c->usage.has_value());
  EXPECT_EQ(c->usage->completion_tokens, 9);
  EXPECT_EQ(c->usage->total_tokens, 13);
}

TEST(StreamChunk, UsageOnlyChunkHasNoChoices) {
  auto c = parse_stream_chunk(R"({"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}})");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->choices.empty());
  EXPECT_EQ(c->usage->total_tokens, 3);
}

TEST(StreamChunk, ParsesErrorBodies) {
  auto c = parse_stream_chunk(R"({"error":{"message":"too long","type":"invalid_request_error","code":400}})");
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->error.has_value());
  EXPECT_EQ(c->error->message, "too long");
  EXPECT_EQ(c->error->code, "400");
  auto s = parse_stream_chunk(R"({"error":"boom"})");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->error->message, "boom");
}

TEST(StreamChunk, RejectsNonJson) {
  EXPECT_FALSE(parse_stream_chunk("[DONE]").ok());
  EXPECT_FALSE(parse_stream_chunk("42").ok());
}

TEST(StreamChunk, WritesWhatItParses) {
  StreamChunk c;
  c.id = "x";
  c.object = "chat.completion.chunk";
  c.choices.push_back({0, "tok", "", std::string("stop")});
  c.usage = Usage{3, 1, 4};
  auto back = parse_stream_chunk(to_json(c, /*chat=*/true));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->choices[0].content, "tok");
  EXPECT_EQ(back->choices[0].finish_reason, "stop");
  EXPECT_EQ(back->usage->completion_tokens, 1);
  auto text = parse_stream_chunk(to_json(c, /*chat=*/false));
  EXPECT_EQ(text->choices[0].content, "tok");
  auto err = parse_stream_chunk(to_json(ErrorInfo{"bad", "invalid_request_error", ""}));
  EXPECT_EQ(err->error->message, "bad");
}

}  // namespace
}  // namespace mms::api
