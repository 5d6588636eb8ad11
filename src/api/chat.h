// OpenAI wire types for /v1/chat/completions and /v1/completions requests, and the small helpers around
// them (tokenize). Plain value types, thread-compatible; JSON stays inside chat.cc (nlohmann, whose
// exceptions never leave it). Used by bench (builds requests), later by server (parses) and router.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mms::api {

enum class ContentType { kText, kImageUrl, kVideoUrl };

// One element of a message's `content` array: {"type":"text","text":...},
// {"type":"image_url","image_url":{"url":..., "detail":...}} or {"type":"video_url","video_url":{"url":...}}.
struct ContentPart {
  ContentType type = ContentType::kText;
  std::string text;    // kText
  std::string url;     // kImageUrl / kVideoUrl: http(s):// or data:image/...;base64,... (data:video/...)
  std::string detail;  // kImageUrl, optional ("auto" | "low" | "high")

  static ContentPart make_text(std::string t) { return {ContentType::kText, std::move(t), {}, {}}; }
  static ContentPart make_image(std::string u) { return {ContentType::kImageUrl, {}, std::move(u), {}}; }
  static ContentPart make_video(std::string u) { return {ContentType::kVideoUrl, {}, std::move(u), {}}; }
};

struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant" | "tool"
  // A message whose content is one text part is written as a plain string (what every server accepts).
  std::vector<ContentPart> content;
};

// Fields shared by both request kinds. Optional fields are omitted from the JSON when unset.
struct SamplingFields {
  std::string model;
  std::optional<int64_t> max_tokens;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int64_t> seed;
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage (only written when stream)
  std::optional<bool> ignore_eos;     // vLLM / llama.cpp / SGLang extension
  std::optional<int64_t> min_tokens;  // vLLM extension
};

struct ChatRequest : SamplingFields {
  std::vector<ChatMessage> messages;
};

struct CompletionRequest : SamplingFields {
  std::string prompt;
};

std::string to_json(const ChatRequest& r);
std::string to_json(const CompletionRequest& r);
// Parse a request body. InvalidArgument names the offending field.
StatusOr<ChatRequest> parse_chat_request(std::string_view body);
StatusOr<CompletionRequest> parse_completion_request(std::string_view body);

// POST /tokenize. vLLM reads {"model","prompt"}, llama.cpp's server reads {"content"}; both ignore the
// other's field, so the body carries both. The answer is {"tokens":[...]} (+ "count" from vLLM).
std::string tokenize_request_json(const std::string& model, const std::string& text);
// Number of tokens in a /tokenize answer.
StatusOr<int64_t> parse_tokenize_count(std::string_view body);

}  // namespace mms::api
