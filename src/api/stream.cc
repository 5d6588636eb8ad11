// JSON for OpenAI response chunks, usage and errors (nlohmann; exceptions caught here).
#include "api/stream.h"

#include <nlohmann/json.hpp>

namespace mms::api {
namespace {

using nlohmann::json;

std::string text_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

ErrorInfo read_error(const json& e) {
  ErrorInfo info;
  if (e.is_string()) {
    info.message = e.get<std::string>();
    return info;
  }
  info.message = text_of(e, "message");
  info.type = text_of(e, "type");
  if (e.contains("code")) info.code = e["code"].is_string() ? e["code"].get<std::string>() : e["code"].dump();
  return info;
}

}  // namespace

StatusOr<StreamChunk> parse_stream_chunk(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument("chunk is not valid JSON");
  if (!j.is_object()) return invalid_argument("chunk is not a JSON object");
  StreamChunk c;
  try {
    if (j.contains("error") && !j["error"].is_null()) {
      c.error = read_error(j["error"]);
      return c;
    }
    c.id = text_of(j, "id");
    c.object = text_of(j, "object");
    c.model = text_of(j, "model");
    if (j.contains("created") && j["created"].is_number()) c.created = j["created"].get<int64_t>();
    if (j.contains("choices") && j["choices"].is_array()) {
      for (const json& ch : j["choices"]) {
        ChunkChoice choice;
        if (ch.contains("index") && ch["index"].is_number_integer()) choice.index = ch["index"].get<int64_t>();
        if (ch.contains("delta") && ch["delta"].is_object()) {
          choice.content = text_of(ch["delta"], "content");
          choice.reasoning_content = text_of(ch["delta"], "reasoning_content");
        } else if (ch.contains("message") && ch["message"].is_object()) {
          choice.content = text_of(ch["message"], "content");
          choice.reasoning_content = text_of(ch["message"], "reasoning_content");
        } else {
          choice.content = text_of(ch, "text");
        }
        if (ch.contains("finish_reason") && ch["finish_reason"].is_string())
          choice.finish_reason = ch["finish_reason"].get<std::string>();
        c.choices.push_back(std::move(choice));
      }
    }
    if (j.contains("usage") && j["usage"].is_object()) {
      const json& u = j["usage"];
      Usage usage;
      usage.prompt_tokens = u.value("prompt_tokens", int64_t{0});
      usage.completion_tokens = u.value("completion_tokens", int64_t{0});
      usage.total_tokens = u.value("total_tokens", usage.prompt_tokens + usage.completion_tokens);
      c.usage = usage;
    }
  } catch (const std::exception& e) {
    return invalid_argument(std::string("bad chunk: ") + e.what());
  }
  return c;
}

std::string to_json(const StreamChunk& c, bool chat) {
  if (c.error) return to_json(*c.error);
  json j = {{"id", c.id}, {"object", c.object}, {"created", c.created}, {"model", c.model}};
  json choices = json::array();
  for (const ChunkChoice& ch : c.choices) {
    json o = {{"index", ch.index}};
    if (chat) {
      json delta = json::object();
      if (!ch.content.empty()) delta["content"] = ch.content;
      if (!ch.reasoning_content.empty()) delta["reasoning_content"] = ch.reasoning_content;
      o["delta"] = std::move(delta);
    } else {
      o["text"] = ch.content;
    }
    o["finish_reason"] = ch.finish_reason ? json(*ch.finish_reason) : json(nullptr);
    choices.push_back(std::move(o));
  }
  j["choices"] = std::move(choices);
  if (c.usage) {
    j["usage"] = {{"prompt_tokens", c.usage->prompt_tokens},
                  {"completion_tokens", c.usage->completion_tokens},
                  {"total_tokens", c.usage->total_tokens}};
  }
  return j.dump();
}

std::string to_json(const ErrorInfo& e) {
  json err = {{"message", e.message}, {"type", e.type}};
  err["code"] = e.code.empty() ? json(nullptr) : json(e.code);
  return json{{"error", std::move(err)}}.dump();
}

}  // namespace mms::api
