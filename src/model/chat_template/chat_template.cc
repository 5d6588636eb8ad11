#include "model/chat_template/chat_template.h"

#include <ctime>
#include <new>
#include <nlohmann/json.hpp>

#include "model/chat_template/evaluator.h"
#include "model/chat_template/parser.h"
#include "model/chat_template/template_error.h"

namespace mms {
namespace {

using json = nlohmann::ordered_json;
using jinja::TemplateError;
using jinja::Value;

Status to_status(const TemplateError& e) {
  if (e.kind == TemplateError::Kind::kRaised) return invalid_argument(e.message);
  std::string where = e.line > 0 ? "line " + std::to_string(e.line) + ", column " + std::to_string(e.column) + ": " : "";
  std::string msg = std::string(e.kind == TemplateError::Kind::kSyntax ? "chat template syntax error at "
                                                                        : "chat template error at ") +
                    where + e.message;
  if (e.kind == TemplateError::Kind::kLimit) return resource_exhausted(msg);
  return invalid_argument(msg);
}

Value from_json(const json& j, int depth) {
  if (depth > jinja::kMaxValueDepth) jinja::fail("JSON input nested too deeply");
  switch (j.type()) {
    case json::value_t::null: return Value::none();
    case json::value_t::boolean: return Value(j.get<bool>());
    case json::value_t::number_integer: return Value(j.get<int64_t>());
    case json::value_t::number_unsigned: {
      uint64_t u = j.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<int64_t>(u));
      return Value(static_cast<double>(u));
    }
    case json::value_t::number_float: return Value(j.get<double>());
    case json::value_t::string: return Value(j.get<std::string>());
    case json::value_t::array: {
      jinja::ValueArray items;
      items.reserve(j.size());
      for (const json& x : j) items.push_back(from_json(x, depth + 1));
      return Value::array(std::move(items));
    }
    case json::value_t::object: {
      jinja::ValueObject obj;
      obj.items.reserve(j.size());
      for (const auto& [k, v] : j.items()) obj.items.emplace_back(k, from_json(v, depth + 1));
      return Value::object(std::move(obj));
    }
    default: jinja::fail("unsupported JSON value");
  }
}

StatusOr<json> parse_json(std::string_view text, const char* what) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    return invalid_argument(std::string(what) + ": invalid JSON: " + e.what());
  }
}

std::string strftime_at(const std::string& format, std::optional<int64_t> now) {
  std::time_t t = now ? static_cast<std::time_t>(*now) : std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  if (format.empty() || format.size() > 256) return "";
  std::string buf(1024, '\0');
  size_t n = std::strftime(buf.data(), buf.size(), format.c_str(), &tm);
  buf.resize(n);
  return buf;
}

}  // namespace

StatusOr<ChatTemplate> ChatTemplate::parse(std::string_view source, const ChatTemplateParseOptions& opts) {
  jinja::LexOptions lex;
  lex.trim_blocks = opts.trim_blocks;
  lex.lstrip_blocks = opts.lstrip_blocks;
  lex.keep_trailing_newline = opts.keep_trailing_newline;
  try {
    ChatTemplate t;
    t.body_ = std::make_shared<const jinja::Body>(jinja::parse_template(source, lex));
    return t;
  } catch (const TemplateError& e) {
    return to_status(e);
  } catch (const std::bad_alloc&) {
    return resource_exhausted("chat template: out of memory while parsing");
  }
}

StatusOr<std::string> ChatTemplate::render(std::string_view messages_json, bool add_generation_prompt,
                                           const ChatTemplateOptions& opts) const {
  if (!body_) return internal_error("chat template: render() on an unparsed template");
  MMS_ASSIGN_OR_RETURN(json messages, parse_json(messages_json, "messages"));
  if (!messages.is_array()) return invalid_argument("messages: expected a JSON array");
  json tools;
  if (!opts.tools_json.empty()) {
    MMS_ASSIGN_OR_RETURN(tools, parse_json(opts.tools_json, "tools"));
  }
  json extra;
  if (!opts.extra_vars_json.empty()) {
    MMS_ASSIGN_OR_RETURN(extra, parse_json(opts.extra_vars_json, "extra template variables"));
    if (!extra.is_object()) return invalid_argument("extra template variables: expected a JSON object");
  }
  try {
    jinja::RenderEnv env;
    env.limits.max_output_bytes = opts.max_output_bytes;
    env.limits.max_steps = opts.max_steps;
    env.vars.set("messages", from_json(messages, 0));
    env.vars.set("tools", from_json(tools, 0));
    env.vars.set("documents", Value::none());
    env.vars.set("add_generation_prompt", Value(add_generation_prompt));
    if (opts.bos_token) env.vars.set("bos_token", Value(*opts.bos_token));
    if (opts.eos_token) env.vars.set("eos_token", Value(*opts.eos_token));
    if (extra.is_object()) {
      for (const auto& [k, v] : extra.items()) env.vars.set(k, from_json(v, 0));
    }
    std::optional<int64_t> now = opts.now_unix_s;
    env.strftime_now = [now](const std::string& format) { return strftime_at(format, now); };
    return jinja::render(*body_, env);
  } catch (const TemplateError& e) {
    return to_status(e);
  } catch (const std::bad_alloc&) {
    return resource_exhausted("chat template: out of memory while rendering");
  }
}

StatusOr<std::string> flatten_content_parts(std::string_view messages_json, std::string_view image_marker,
                                            std::string_view video_marker) {
  MMS_ASSIGN_OR_RETURN(json messages, parse_json(messages_json, "messages"));
  if (!messages.is_array()) return invalid_argument("messages: expected a JSON array");
  for (json& m : messages) {
    if (!m.is_object() || !m.contains("content") || !m["content"].is_array()) continue;
    std::string flat;
    for (const json& part : m["content"]) {
      if (part.is_string()) {
        flat += part.get<std::string>();
        continue;
      }
      if (!part.is_object()) return invalid_argument("messages: a content part must be an object");
      std::string type = part.contains("type") && part["type"].is_string() ? part["type"].get<std::string>() : "";
      if (type == "text" || (type.empty() && part.contains("text"))) {
        if (!part.contains("text") || !part["text"].is_string()) {
          return invalid_argument("messages: a text content part needs a string \"text\"");
        }
        flat += part["text"].get<std::string>();
      } else if (type == "image" || type == "image_url" || (type.empty() && (part.contains("image") || part.contains("image_url")))) {
        flat += image_marker;
      } else if (type == "video" || type == "video_url" || (type.empty() && part.contains("video"))) {
        flat += video_marker;
      } else {
        return invalid_argument("messages: unsupported content part type '" + type + "'");
      }
    }
    m["content"] = flat;
  }
  try {
    return messages.dump();
  } catch (const json::exception& e) {
    return invalid_argument(std::string("messages: ") + e.what());
  }
}

}  // namespace mms
