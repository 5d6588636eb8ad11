// JSON for OpenAI request types (nlohmann; its exceptions are caught here and become Status).
#include "api/chat.h"

#include <nlohmann/json.hpp>

namespace mms::api {
namespace {

using nlohmann::json;

void write_sampling(const SamplingFields& r, json& j) {
  j["model"] = r.model;
  if (r.max_tokens) j["max_tokens"] = *r.max_tokens;
  if (r.temperature) j["temperature"] = *r.temperature;
  if (r.top_p) j["top_p"] = *r.top_p;
  if (r.seed) j["seed"] = *r.seed;
  j["stream"] = r.stream;
  if (r.stream && r.include_usage) j["stream_options"] = {{"include_usage", true}};
  if (r.ignore_eos) j["ignore_eos"] = *r.ignore_eos;
  if (r.min_tokens) j["min_tokens"] = *r.min_tokens;
}

json content_json(const std::vector<ContentPart>& parts) {
  if (parts.size() == 1 && parts[0].type == ContentType::kText) return parts[0].text;
  json arr = json::array();
  for (const ContentPart& p : parts) {
    if (p.type == ContentType::kText) {
      arr.push_back({{"type", "text"}, {"text", p.text}});
    } else if (p.type == ContentType::kVideoUrl) {
      arr.push_back({{"type", "video_url"}, {"video_url", {{"url", p.url}}}});
    } else {
      json iu = {{"url", p.url}};
      if (!p.detail.empty()) iu["detail"] = p.detail;
      arr.push_back({{"type", "image_url"}, {"image_url", std::move(iu)}});
    }
  }
  return arr;
}

// Reads the shared fields; throws nlohmann type errors, caught by the callers.
void read_sampling(const json& j, SamplingFields& r) {
  r.model = j.value("model", std::string());
  if (j.contains("max_completion_tokens") && !j["max_completion_tokens"].is_null())
    r.max_tokens = j["max_completion_tokens"].get<int64_t>();
  if (j.contains("max_tokens") && !j["max_tokens"].is_null()) r.max_tokens = j["max_tokens"].get<int64_t>();
  if (j.contains("temperature") && !j["temperature"].is_null()) r.temperature = j["temperature"].get<double>();
  if (j.contains("top_p") && !j["top_p"].is_null()) r.top_p = j["top_p"].get<double>();
  if (j.contains("seed") && !j["seed"].is_null()) r.seed = j["seed"].get<int64_t>();
  r.stream = j.value("stream", false);
  if (j.contains("stream_options") && j["stream_options"].is_object())
    r.include_usage = j["stream_options"].value("include_usage", false);
  if (j.contains("ignore_eos")) r.ignore_eos = j["ignore_eos"].get<bool>();
  if (j.contains("min_tokens")) r.min_tokens = j["min_tokens"].get<int64_t>();
}

StatusOr<json> parse_object(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument("request body is not valid JSON");
  if (!j.is_object()) return invalid_argument("request body is not a JSON object");
  return j;
}

}  // namespace

std::string to_json(const ChatRequest& r) {
  json j;
  write_sampling(r, j);
  json msgs = json::array();
  for (const ChatMessage& m : r.messages) msgs.push_back({{"role", m.role}, {"content", content_json(m.content)}});
  j["messages"] = std::move(msgs);
  return j.dump();
}

std::string to_json(const CompletionRequest& r) {
  json j;
  write_sampling(r, j);
  j["prompt"] = r.prompt;
  return j.dump();
}

StatusOr<ChatRequest> parse_chat_request(std::string_view body) {
  MMS_ASSIGN_OR_RETURN(json j, parse_object(body));
  ChatRequest r;
  try {
    read_sampling(j, r);
    if (!j.contains("messages") || !j["messages"].is_array())
      return invalid_argument("'messages' must be an array");
    for (const json& m : j["messages"]) {
      ChatMessage msg;
      msg.role = m.at("role").get<std::string>();
      const json& c = m.at("content");
      if (c.is_string()) {
        msg.content.push_back(ContentPart::make_text(c.get<std::string>()));
      } else if (c.is_array()) {
        for (const json& p : c) {
          const std::string type = p.at("type").get<std::string>();
          if (type == "text") {
            msg.content.push_back(ContentPart::make_text(p.at("text").get<std::string>()));
          } else if (type == "image_url") {
            const json& iu = p.at("image_url");
            ContentPart part = ContentPart::make_image(iu.is_string() ? iu.get<std::string>()
                                                                      : iu.at("url").get<std::string>());
            if (iu.is_object()) part.detail = iu.value("detail", std::string());
            msg.content.push_back(std::move(part));
          } else if (type == "video_url") {
            const json& vu = p.at("video_url");
            msg.content.push_back(
                ContentPart::make_video(vu.is_string() ? vu.get<std::string>() : vu.at("url").get<std::string>()));
          } else {
            return unimplemented("content part type '" + type + "' is not supported");
          }
        }
      } else if (!c.is_null()) {
        return invalid_argument("'content' must be a string or an array");
      }
      r.messages.push_back(std::move(msg));
    }
  } catch (const std::exception& e) {
    return invalid_argument(std::string("bad chat request: ") + e.what());
  }
  return r;
}

StatusOr<CompletionRequest> parse_completion_request(std::string_view body) {
  MMS_ASSIGN_OR_RETURN(json j, parse_object(body));
  CompletionRequest r;
  try {
    read_sampling(j, r);
    if (!j.contains("prompt") || !j["prompt"].is_string()) return invalid_argument("'prompt' must be a string");
    r.prompt = j["prompt"].get<std::string>();
  } catch (const std::exception& e) {
    return invalid_argument(std::string("bad completion request: ") + e.what());
  }
  return r;
}

std::string tokenize_request_json(const std::string& model, const std::string& text) {
  json j = {{"prompt", text}, {"content", text}, {"add_special_tokens", false}};
  if (!model.empty()) j["model"] = model;
  return j.dump();
}

StatusOr<int64_t> parse_tokenize_count(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument("tokenize answer is not a JSON object");
  if (j.contains("count") && j["count"].is_number_integer()) return j["count"].get<int64_t>();
  if (j.contains("tokens") && j["tokens"].is_array()) return static_cast<int64_t>(j["tokens"].size());
  return invalid_argument("tokenize answer has neither 'count' nor 'tokens'");
}

}  // namespace mms::api
