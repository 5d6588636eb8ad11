// ChatTemplate: a compiled Hugging Face chat template (the Jinja subset real templates use), rendered
// from OpenAI-style messages the way transformers' apply_chat_template does. Immutable after parse();
// render() is const and thread-safe; copies share the compiled template. Called by request
// preprocessing (before tokenization).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mms {

namespace jinja {
struct Stmt;
}

struct ChatTemplateParseOptions {
  // Hugging Face compiles templates with trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False.
  bool trim_blocks = true;
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

struct ChatTemplateOptions {
  std::optional<std::string> bos_token;  // unset: `bos_token` is undefined (renders as "")
  std::optional<std::string> eos_token;
  std::string tools_json;       // JSON array of tool definitions; empty: `tools` is None
  std::string extra_vars_json;  // JSON object of extra variables (enable_thinking, date_string, ...); may be empty
  // Time for strftime_now(), seconds since the epoch, formatted in local time; unset: the system clock.
  std::optional<int64_t> now_unix_s;
  size_t max_output_bytes = size_t{32} << 20;  // longer prompts fail with ResourceExhausted
  int64_t max_steps = 5'000'000;              // evaluation work bound (loops, string building)
};

class ChatTemplate {
 public:
  // Compiles once. InvalidArgument "line L, column C: ..." on a syntax error, an unknown filter/test or
  // an unsupported tag (include/extends/call/filter blocks, recursive loops).
  static StatusOr<ChatTemplate> parse(std::string_view source, const ChatTemplateParseOptions& opts = {});

  // messages_json: an OpenAI-style array [{"role": ..., "content": string | [parts]}, ...]; key order is
  // preserved (tojson prints keys as given). Variables: messages, add_generation_prompt, tools,
  // documents (None), bos_token, eos_token, extra vars, strftime_now(), raise_exception(), range(),
  // namespace(), dict(). Errors: InvalidArgument for bad JSON or a template runtime error
  // ("line L, column C: ..."); for raise_exception(msg) the message is exactly msg; ResourceExhausted
  // when a limit is hit.
  StatusOr<std::string> render(std::string_view messages_json, bool add_generation_prompt,
                               const ChatTemplateOptions& opts) const;

 private:
  std::shared_ptr<const std::vector<std::unique_ptr<jinja::Stmt>>> body_;
};

// For templates that only concatenate string content (plain ChatML): returns messages_json with every
// list-valued "content" replaced by one string: text parts joined without separators, image parts
// ({"type": "image" | "image_url"} or an "image"/"image_url" key) replaced by image_marker, video parts
// by video_marker. InvalidArgument for bad JSON or an unknown part type.
StatusOr<std::string> flatten_content_parts(std::string_view messages_json, std::string_view image_marker,
                                            std::string_view video_marker);

}  // namespace mms
