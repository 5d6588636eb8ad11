// OpenAI wire types for responses: streaming chunks (`data: {...}` of chat.completion.chunk or
// text_completion), whole responses, usage and error bodies. Plain value types, thread-compatible.
// Used by bench (parses what a server sends), later by server (writes them).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mms::api {

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
};

// {"error": {"message", "type", "code"}} (OpenAI, vLLM, llama.cpp all use this shape).
struct ErrorInfo {
  std::string message;
  std::string type;
  std::string code;  // a string or a number in the wild; kept as text
};

struct ChunkChoice {
  int64_t index = 0;
  // Generated text of this chunk: chat `delta.content` (or `message.content` of a whole response) or
  // completion `text`.
  std::string content;
  // `delta.reasoning_content` (reasoning models; counted as output by the bench).
  std::string reasoning_content;
  std::optional<std::string> finish_reason;
};

// One streamed chunk or one whole (non-streamed) response; `error` set when the body is an error.
struct StreamChunk {
  std::string id;
  std::string object;  // "chat.completion.chunk" | "text_completion" | "chat.completion"
  std::string model;
  int64_t created = 0;
  std::vector<ChunkChoice> choices;
  std::optional<Usage> usage;
  std::optional<ErrorInfo> error;
};

// Parses the JSON of one SSE `data:` payload (not "[DONE]") or a whole response body.
// InvalidArgument when it is not JSON or not an object.
StatusOr<StreamChunk> parse_stream_chunk(std::string_view json);

// Writes a chunk; `chat` selects delta.content (chat) or text (completions) for each choice's content.
std::string to_json(const StreamChunk& c, bool chat);
// {"error":{"message":...,"type":...,"code":...}}
std::string to_json(const ErrorInfo& e);

}  // namespace mms::api
