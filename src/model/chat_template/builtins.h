// Jinja built-ins for the chat-template evaluator: operators and item access with Python semantics
// (ops.cc), filters and tests (filters.cc), str/dict/list methods (methods.cc). All throw TemplateError on
// failure. Stateless apart from the caller's Budget; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/chat_template/template_error.h"
#include "model/chat_template/value.h"

namespace mms::jinja {

// Work budget of one render: every evaluation step and every 16 bytes of string built cost one unit.
struct Budget {
  int64_t steps_left = 0;
  size_t max_string_bytes = 0;  // any single string value (and the output) stays under this
  void charge(int64_t n) {
    steps_left -= n;
    if (steps_left < 0) fail("template exceeded its evaluation step limit", TemplateError::Kind::kLimit);
  }
  void charge_bytes(size_t n) {
    if (n > max_string_bytes) fail("template string exceeds the size limit", TemplateError::Kind::kLimit);
    charge(static_cast<int64_t>(n / 16) + 1);
  }
};

// ---- ops.cc ----
// Fails with the Undefined's own reason ("'x' is undefined", "'dict object' has no attribute 'y'").
[[noreturn]] void fail_undefined(const Value& v);
Value binary_op(const std::string& op, const Value& a, const Value& b, Budget& budget);  // + - * / // % ** ~
Value unary_op(const std::string& op, const Value& a);                                // - + not
bool contains(const Value& container, const Value& item);                             // Python `in`
// obj.name: a dict key, or a bound str/dict/list method; Undefined (with its reason) when missing.
Value get_attr(const Value& obj, const std::string& name, Budget& budget);
Value get_item(const Value& obj, const Value& key, Budget& budget);  // obj[key], then obj.key
Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step);
// Items a for loop / filter iterates: list items, dict keys, string characters, nothing for Undefined.
std::vector<Value> iterate(const Value& v);
// len(); fails for numbers, None.
int64_t length(const Value& v);
// Python int(): int/float/bool/numeric string; returns false if not convertible.
bool to_int(const Value& v, int64_t* out);
bool to_float(const Value& v, double* out);

// ---- filters.cc ----
bool is_known_filter(std::string_view name);
bool is_known_test(std::string_view name);
Value apply_filter(const std::string& name, const Value& input, const CallArgs& args, Budget& budget);
bool apply_test(const std::string& name, const Value& input, const CallArgs& args, Budget& budget);

// ---- methods.cc ----
// Calls obj.name(args) for a Python str/dict/list method; returns false if obj has no such method.
bool call_method(const Value& obj, const std::string& name, const CallArgs& args, Budget& budget, Value* result);
bool has_method(const Value& obj, const std::string& name);

}  // namespace mms::jinja
