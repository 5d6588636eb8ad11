// TemplateError: the exception the chat-template lexer, parser and evaluator throw internally. It never
// leaves the module: ChatTemplate::parse/render catch it and return a Status. Value type.
#pragma once

#include <string>
#include <utility>

namespace mms::jinja {

struct TemplateError {
  enum class Kind { kSyntax, kRender, kRaised, kLimit };
  Kind kind = Kind::kRender;
  std::string message;
  int line = 0;    // 1-based; 0 = not known yet (the evaluator fills in the failing node's position)
  int column = 0;  // 1-based
};

[[noreturn]] inline void fail(std::string message, TemplateError::Kind kind = TemplateError::Kind::kRender) {
  throw TemplateError{kind, std::move(message), 0, 0};
}

[[noreturn]] inline void fail_at(std::string message, int line, int column,
                                 TemplateError::Kind kind = TemplateError::Kind::kSyntax) {
  throw TemplateError{kind, std::move(message), line, column};
}

}  // namespace mms::jinja
