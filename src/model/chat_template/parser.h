// Jinja parser: tokens -> statement tree, following Jinja2's grammar and operator precedence for the
// subset chat templates use (for/if/set/macro/with/break/continue/raw/generation, full expressions).
// Pure function; thread-safe.
#pragma once

#include <string_view>

#include "model/chat_template/ast.h"
#include "model/chat_template/lexer.h"

namespace mms::jinja {

constexpr int kMaxParseDepth = 128;

// Throws TemplateError (kSyntax, with position) on a syntax error, an unknown tag or nesting deeper
// than kMaxParseDepth.
Body parse_template(std::string_view source, const LexOptions& opts);

}  // namespace mms::jinja
