// JSON bodies the server sends for generation requests: whole responses, streamed chunks, usage chunks,
// logprobs in the chat and the completions shapes. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/openai_request.h"
#include "server/output_processor.h"

namespace mms::server {

struct ResponseHeader {
  RequestKind kind = RequestKind::kChat;
  std::string id;     // "chatcmpl-..." | "cmpl-..."
  int64_t created = 0;
  std::string model;
  bool logprobs = false;  // the request asked for logprobs (the field is then an object, else null)
};

struct UsageCounts {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
};

struct ChoiceEnd {
  std::optional<std::string> finish_reason;
  std::optional<std::string> stop_string;  // stop_reason (vLLM): the stop string or token id
  std::optional<int32_t> stop_token;
};

// Non-streamed response: chat.completion or text_completion.
std::string whole_response(const ResponseHeader& h, const std::string& text, const std::vector<LogprobEntry>& logprobs,
                           const ChoiceEnd& end, const UsageCounts& usage);
// One SSE chunk (JSON only). role_chunk: chat's first chunk, {"role":"assistant","content":""}.
std::string stream_chunk(const ResponseHeader& h, const std::string& text, const std::vector<LogprobEntry>& logprobs,
                         const ChoiceEnd& end, bool role_chunk = false);
// The final usage chunk (choices: []).
std::string usage_chunk(const ResponseHeader& h, const UsageCounts& usage);

}  // namespace mms::server
