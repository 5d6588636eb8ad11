#include "api/chat.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace mms::api {
namespace {

using nlohmann::json;

TEST(ChatRequest, WritesStreamingOptionsAndImageParts) {
  ChatRequest r;
  r.model = "m";
  r.max_tokens = 64;
  r.stream = true;
  r.include_usage = true;
  r.ignore_eos = true;
  r.messages.push_back({"user", {ContentPart::make_image("data:image/png;base64,AAAA"),
                                 ContentPart::make_text("describe")}});
  json j = json::parse(to_json(r));
  EXPECT_EQ(j["model"], "m");
  EXPECT_EQ(j["max_tokens"], 64);
  EXPECT_EQ(j["stream"], true);
  EXPECT_EQ(j["stream_options"]["include_usage"], true);
  EXPECT_EQ(j["ignore_eos"], true);
  EXPECT_FALSE(j.contains("temperature"));
  const json& content = j["messages"][0]["content"];
  ASSERT_TRUE(content.is_array());
  EXPECT_EQ(content[0]["type"], "image_url");
  EXPECT_EQ(content[0]["image_url"]["url"], "data:image/png;base64,AAAA");
  EXPECT_EQ(content[1]["text"], "describe");
}

TEST(ChatRequest, SingleTextPartIsAPlainString) {
  ChatRequest r;
  r.messages.push_back({"user", {ContentPart::make_text("hi")}});
  json j = json::parse(to_json(r));
  EXPECT_EQ(j["messages"][0]["content"], "hi");
  EXPECT_FALSE(j.contains("stream_options"));  // not streaming
}

TEST(ChatRequest, RoundTrips) {
  ChatRequest r;
  r.model = "qwen";
  r.max_tokens = 7;
  r.temperature = 0.5;
  r.stream = true;
  r.include_usage = true;
  r.ignore_eos = false;
  r.messages.push_back({"system", {ContentPart::make_text("be brief")}});
  r.messages.push_back({"user", {ContentPart::make_text("a"), ContentPart::make_image("http://x/y.png")}});
  auto back = parse_chat_request(to_json(r));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->model, "qwen");
  EXPECT_EQ(back->max_tokens, 7);
  EXPECT_DOUBLE_EQ(*back->temperature, 0.5);
  EXPECT_TRUE(back->include_usage);
  EXPECT_EQ(back->ignore_eos, false);
  ASSERT_EQ(back->messages.size(), 2u);
  ASSERT_EQ(back->messages[1].content.size(), 2u);
  EXPECT_EQ(back->messages[1].content[1].type, ContentType::kImageUrl);
  EXPECT_EQ(back->messages[1].content[1].url, "http://x/y.png");
}

TEST(ChatRequest, VideoPartsRoundTrip) {
  ChatRequest r;
  r.messages.push_back({"user", {ContentPart::make_video("data:video/mp4;base64,AAAA"), ContentPart::make_text("x")}});
  json j = json::parse(to_json(r));
  const json& content = j["messages"][0]["content"];
  EXPECT_EQ(content[0]["type"], "video_url");
  EXPECT_EQ(content[0]["video_url"]["url"], "data:video/mp4;base64,AAAA");
  auto back = parse_chat_request(to_json(r));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  ASSERT_EQ(back->messages[0].content.size(), 2u);
  EXPECT_EQ(back->messages[0].content[0].type, ContentType::kVideoUrl);
  EXPECT_EQ(back->messages[0].content[0].url, "data:video/mp4;base64,AAAA");
}

TEST(ChatRequest, RejectsBadBodies) {
  EXPECT_FALSE(parse_chat_request("{not json").ok());
  EXPECT_FALSE(parse_chat_request("[1]").ok());
  EXPECT_FALSE(parse_chat_request(R"({"messages": 3})").ok());
  EXPECT_FALSE(parse_chat_request(R"({"messages": [{"role": "user"}]})").ok());
  EXPECT_FALSE(parse_chat_request(R"({"max_tokens": "x", "messages": []})").ok());
  auto r = parse_chat_request(R"({"messages":[{"role":"user","content":[{"type":"audio"}]}]})");
  EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
}

TEST(CompletionRequest, RoundTrips) {
  CompletionRequest r;
  r.model = "m";
  r.prompt = "hello";
  r.max_tokens = 3;
  r.stream = true;
  r.include_usage = true;
  auto back = parse_completion_request(to_json(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->prompt, "hello");
  EXPECT_EQ(back->max_tokens, 3);
  EXPECT_TRUE(back->include_usage);
}

TEST(Tokenize, CountsFromEitherServerShape) {
  json req = json::parse(tokenize_request_json("m", "abc"));
  EXPECT_EQ(req["prompt"], "abc");
  EXPECT_EQ(req["content"], "abc");
  EXPECT_EQ(*parse_tokenize_count(R"({"tokens":[1,2,3],"count":3,"max_model_len":10})"), 3);
  EXPECT_EQ(*parse_tokenize_count(R"({"tokens":[5,6]})"), 2);
  EXPECT_FALSE(parse_tokenize_count(R"({"detail":"Not Found"})").ok());
  EXPECT_FALSE(parse_tokenize_count("<html>").ok());
}

}  // namespace
}  // namespace mms::api
