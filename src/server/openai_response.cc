#include "server/openai_response.h"

#include <nlohmann/json.hpp>

namespace mms::server {
namespace {

using json = nlohmann::ordered_json;

// Token text as JSON-safe UTF-8 (partial sequences replaced), plus its raw bytes.
std::string safe_text(const std::string& s) {
  std::string o;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 0x2;
    if (ok) {
      o.append(s, i, len);
      i += len;
    } else {
      o += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return o;
}

json bytes_of(const std::string& s) {
  json b = json::array();
  for (unsigned char c : s) b.push_back(static_cast<int>(c));
  return b;
}

json chat_logprobs(const std::vector<LogprobEntry>& lps) {
  json content = json::array();
  for (const LogprobEntry& e : lps) {
    json top = json::array();
    for (const auto& [t, l] : e.top) top.push_back({{"token", safe_text(t)}, {"logprob", l}, {"bytes", bytes_of(t)}});
    content.push_back({{"token", safe_text(e.token)}, {"logprob", e.logprob}, {"bytes", bytes_of(e.token)},
                       {"top_logprobs", std::move(top)}});
  }
  return json{{"content", std::move(content)}};
}

json completion_logprobs(const std::vector<LogprobEntry>& lps, size_t text_offset) {
  json tokens = json::array(), token_lps = json::array(), tops = json::array(), offsets = json::array();
  for (const LogprobEntry& e : lps) {
    tokens.push_back(safe_text(e.token));
    token_lps.push_back(e.logprob);
    json top = json::object();
    for (const auto& [t, l] : e.top) top[safe_text(t)] = l;
    tops.push_back(std::move(top));
    offsets.push_back(text_offset);
    text_offset += e.token.size();
  }
  return json{{"text_offset", std::move(offsets)}, {"token_logprobs", std::move(token_lps)},
              {"tokens", std::move(tokens)}, {"top_logprobs", std::move(tops)}};
}

json usage_json(const UsageCounts& u) {
  json j = {{"prompt_tokens", u.prompt_tokens},
            {"completion_tokens", u.completion_tokens},
            {"total_tokens", u.prompt_tokens + u.completion_tokens}};
  if (u.cached_tokens > 0) j["prompt_tokens_details"] = {{"cached_tokens", u.cached_tokens}};
  return j;
}

json head(const ResponseHeader& h, const char* object) {
  return json{{"id", h.id}, {"object", object}, {"created", h.created}, {"model", h.model}};
}

json stop_reason(const ChoiceEnd& end) {
  if (end.stop_string) return *end.stop_string;
  if (end.stop_token) return *end.stop_token;
  return nullptr;
}

json finish(const ChoiceEnd& end) { return end.finish_reason ? json(*end.finish_reason) : json(nullptr); }

}  // namespace

std::string whole_response(const ResponseHeader& h, const std::string& text, const std::vector<LogprobEntry>& logprobs,
                           const ChoiceEnd& end, const UsageCounts& usage) {
  const bool chat = h.kind == RequestKind::kChat;
  json j = head(h, chat ? "chat.completion" : "text_completion");
  json choice = {{"index", 0}};
  if (chat) {
    choice["message"] = {{"role", "assistant"}, {"content", text}};
    choice["logprobs"] = h.logprobs ? chat_logprobs(logprobs) : json(nullptr);
  } else {
    choice["text"] = text;
    choice["logprobs"] = h.logprobs ? completion_logprobs(logprobs, 0) : json(nullptr);
  }
  choice["finish_reason"] = finish(end);
  choice["stop_reason"] = stop_reason(end);
  j["choices"] = json::array({std::move(choice)});
  j["usage"] = usage_json(usage);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string stream_chunk(const ResponseHeader& h, const std::string& text, const std::vector<LogprobEntry>& logprobs,
                         const ChoiceEnd& end, bool role_chunk) {
  const bool chat = h.kind == RequestKind::kChat;
  json j = head(h, chat ? "chat.completion.chunk" : "text_completion");
  json choice = {{"index", 0}};
  if (chat) {
    json delta = json::object();
    if (role_chunk) delta["role"] = "assistant";
    if (role_chunk || !text.empty() || !end.finish_reason) delta["content"] = text;
    choice["delta"] = std::move(delta);
    choice["logprobs"] = h.logprobs && !role_chunk ? chat_logprobs(logprobs) : json(nullptr);
  } else {
    choice["text"] = text;
    choice["logprobs"] = h.logprobs ? completion_logprobs(logprobs, 0) : json(nullptr);
  }
  choice["finish_reason"] = finish(end);
  if (end.finish_reason) choice["stop_reason"] = stop_reason(end);
  j["choices"] = json::array({std::move(choice)});
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string usage_chunk(const ResponseHeader& h, const UsageCounts& usage) {
  json j = head(h, h.kind == RequestKind::kChat ? "chat.completion.chunk" : "text_completion");
  j["choices"] = json::array();
  j["usage"] = usage_json(usage);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace mms::server
