// Jinja lexer: splits a template into text, `{{ }}` / `{% %}` tag tokens (comments dropped), applying
// whitespace control (`{%-`, `-%}`, `{{-`, `-}}`, `{%+`, `+%}`), trim_blocks / lstrip_blocks and
// `{% raw %}` as Jinja2's own lexer does. Pure function; thread-safe. Called by the parser.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mms::jinja {

struct LexOptions {
  bool trim_blocks = true;    // Hugging Face renders chat templates with both on
  bool lstrip_blocks = true;
  bool keep_trailing_newline = false;
};

enum class TokenType { kText, kVarBegin, kVarEnd, kBlockBegin, kBlockEnd, kName, kString, kInt, kFloat, kOp, kEof };

struct Token {
  TokenType type = TokenType::kEof;
  std::string text;  // text data, name, decoded string literal, or operator
  int64_t int_value = 0;
  double float_value = 0;
  int line = 1;
  int column = 1;  // 1-based, in bytes
};

// Throws TemplateError (kSyntax, with position) on an unterminated tag, comment, string or bracket.
std::vector<Token> lex(std::string_view source, const LexOptions& opts);

const char* token_type_name(TokenType t);

}  // namespace mms::jinja
