// Chat-template evaluator: walks a parsed template with Jinja2 scoping (a for-loop iteration is a scope,
// `if` is not; macros see the template's top level) and writes the output. One call per render; it owns
// its state, so concurrent renders of one shared tree are safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "model/chat_template/ast.h"
#include "model/chat_template/value.h"

namespace mms::jinja {

struct RenderLimits {
  size_t max_output_bytes = size_t{32} << 20;  // also bounds any single string value
  int64_t max_steps = 5'000'000;              // evaluation steps (+1 per 16 bytes of strings built)
  int max_call_depth = 64;                     // macro recursion
};

struct RenderEnv {
  ValueObject vars;  // template globals: messages, tools, add_generation_prompt, bos_token, ...
  RenderLimits limits;
  // strftime_now(format) for templates that print today's date; unset: the global is undefined.
  std::function<std::string(const std::string&)> strftime_now;
};

// Throws TemplateError: kRaised for raise_exception(msg) (message = msg), kLimit when a limit is hit,
// kRender otherwise, with the failing node's line and column.
std::string render(const Body& body, const RenderEnv& env);

}  // namespace mms::jinja
