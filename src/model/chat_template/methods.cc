// Python str / dict / list methods callable from templates (see builtins.h). Only non-mutating methods:
// Hugging Face renders with Jinja's ImmutableSandboxedEnvironment, which forbids list.append and friends.
#include <algorithm>
#include <array>

#include "model/chat_template/builtins.h"
#include "model/chat_template/py_string.h"

namespace mms::jinja {
namespace {

constexpr std::array<std::string_view, 27> kStrMethods = {
    "startswith", "endswith", "strip",  "lstrip",  "rstrip",  "split",   "rsplit",  "splitlines", "upper",
    "lower",      "title",    "capitalize", "replace", "find", "rfind", "index", "count",  "join",
    "format",     "isdigit",  "isalpha",    "isalnum", "isspace", "isupper", "islower", "isnumeric", "swapcase"};
constexpr std::array<std::string_view, 5> kDictMethods = {"items", "keys", "values", "get", "copy"};
constexpr std::array<std::string_view, 3> kListMethods = {"count", "index", "copy"};

template <size_t N>
bool in(const std::array<std::string_view, N>& set, std::string_view name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

std::optional<std::string> opt_str(const Value& v, const char* what) {
  if (v.is_undefined() || v.is_none()) return std::nullopt;
  if (!v.is_string()) fail(std::string(what) + " arg must be None or str");
  return v.str();
}

int64_t opt_int(const Value& v, int64_t dflt) {
  if (v.is_undefined() || v.is_none()) return dflt;
  if (!v.is_int() && !v.is_bool()) fail("'" + type_name(v) + "' object cannot be interpreted as an integer");
  return v.as_int();
}

Value string_list(std::vector<std::string> parts) {
  ValueArray out;
  out.reserve(parts.size());
  for (auto& p : parts) out.emplace_back(std::move(p));
  return Value::array(std::move(out));
}

std::string need_str(const Value& v, const char* method) {
  if (!v.is_string()) fail(std::string(method) + "() argument must be str, not " + type_name(v));
  return v.str();
}

// Returns the byte offset of the code-point index `cp` in s (clamped).
size_t cp_to_byte(const std::string& s, int64_t cp) {
  int64_t n = static_cast<int64_t>(utf8_length(s));
  if (cp < 0) cp = std::max<int64_t>(0, cp + n);
  cp = std::min(cp, n);
  size_t i = 0;
  for (int64_t k = 0; k < cp; ++k) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

Value str_format(const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_idx = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      size_t close = fmt.find('}', i);
      if (close == std::string::npos) fail("Single '{' encountered in format string");
      std::string field = fmt.substr(i + 1, close - i - 1);
      if (field.find_first_of(":!.[") != std::string::npos) fail("format specs are not supported");
      Value v;
      if (field.empty()) {
        v = args.get(auto_idx++, "");
      } else if (std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; })) {
        v = args.get(static_cast<size_t>(std::stoul(field)), "");
      } else {
        v = args.get(SIZE_MAX, field);
      }
      if (v.is_undefined()) fail("format: missing argument '" + field + "'");
      out += to_str(v);
      i = close;
    } else if (c == '}') {
      fail("Single '}' encountered in format string");
    } else {
      out += c;
    }
  }
  return Value(std::move(out));
}

template <typename Pred>
Value str_is(const std::string& s, Pred pred) {
  std::u32string u = utf8_decode(s);
  return Value(!u.empty() && std::all_of(u.begin(), u.end(), pred));
}

Value call_str_method(const std::string& s, const std::string& name, const CallArgs& a, Budget& budget) {
  if (name == "startswith" || name == "endswith") {
    Value what = a.get(0, "prefix");
    size_t b = cp_to_byte(s, opt_int(a.get(1, "start"), 0));
    size_t e = cp_to_byte(s, opt_int(a.get(2, "end"), INT64_MAX));
    std::string_view view = b <= e ? std::string_view(s).substr(b, e - b) : std::string_view();
    std::vector<Value> options = what.is_tuple() ? what.array_items() : std::vector<Value>{what};
    for (const Value& o : options) {
      const std::string p = need_str(o, name.c_str());
      if (b > e) continue;
      if (name == "startswith" ? view.substr(0, p.size()) == p
                               : (view.size() >= p.size() && view.substr(view.size() - p.size()) == p)) {
        return Value(true);
      }
    }
    return Value(false);
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    return Value(py_strip(s, opt_str(a.get(0, "chars"), name.c_str()), name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    std::vector<std::string> parts;
    if (!py_split(s, opt_str(a.get(0, "sep"), "sep"), opt_int(a.get(1, "maxsplit"), -1), name == "rsplit", &parts)) {
      fail("empty separator");
    }
    budget.charge(static_cast<int64_t>(parts.size()));
    return string_list(std::move(parts));
  }
  if (name == "splitlines") return string_list(py_splitlines(s, truthy(a.get(0, "keepends"))));
  if (name == "upper") return Value(py_upper(s));
  if (name == "lower") return Value(py_lower(s));
  if (name == "title") return Value(py_title(s));
  if (name == "capitalize") return Value(py_capitalize(s));
  if (name == "swapcase") {
    std::string out;
    for (char32_t c : utf8_decode(s)) {
      std::string one;
      utf8_append(c, one);
      std::string up = py_upper(one);
      out += up != one ? up : py_lower(one);
    }
    return Value(out);
  }
  if (name == "replace") {
    const std::string from = need_str(a.get(0, "old"), "replace");
    const std::string to = need_str(a.get(1, "new"), "replace");
    std::string out = py_replace(s, from, to, opt_int(a.get(2, "count"), -1));
    budget.charge_bytes(out.size());
    return Value(std::move(out));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "count") {
    const std::string sub = need_str(a.get(0, "sub"), name.c_str());
    if (name == "count") {
      if (sub.empty()) return Value(static_cast<int64_t>(utf8_length(s)) + 1);
      int64_t n = 0;
      for (size_t p = s.find(sub); p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
      return Value(n);
    }
    size_t p = name == "rfind" ? s.rfind(sub) : s.find(sub);
    if (p == std::string::npos) {
      if (name == "index") fail("substring not found");
      return Value(int64_t{-1});
    }
    return Value(static_cast<int64_t>(utf8_length(std::string_view(s).substr(0, p))));
  }
  if (name == "join") {
    std::string out;
    bool first = true;
    for (const Value& v : iterate(a.get(0, "iterable"))) {
      if (!first) out += s;
      first = false;
      if (!v.is_string()) fail("sequence item: expected str instance, " + type_name(v) + " found");
      out += v.str();
      budget.charge_bytes(out.size());
    }
    return Value(std::move(out));
  }
  if (name == "format") return str_format(s, a);
  if (name == "isdigit" || name == "isnumeric") return str_is(s, [](char32_t c) { return c >= '0' && c <= '9'; });
  if (name == "isalpha") return Value(!s.empty() && py_upper(s) != py_lower(s) && str_is(s, [](char32_t c) {
                                        std::string one;
                                        utf8_append(c, one);
                                        return py_upper(one) != py_lower(one);
                                      }).as_bool());
  if (name == "isalnum") return str_is(s, [](char32_t c) {
      std::string one;
      utf8_append(c, one);
      return (c >= '0' && c <= '9') || py_upper(one) != py_lower(one);
    });
  if (name == "isspace") return str_is(s, py_isspace);
  if (name == "isupper") return Value(py_upper(s) == s && py_lower(s) != s);
  if (name == "islower") return Value(py_lower(s) == s && py_upper(s) != s);
  fail("'str' object has no attribute '" + name + "'");
}

Value call_dict_method(const Value& obj, const std::string& name, const CallArgs& a, Budget& budget) {
  const auto& items = obj.object_items().items;
  budget.charge(static_cast<int64_t>(items.size()));
  if (name == "items") {
    ValueArray out;
    for (const auto& [k, v] : items) out.push_back(Value::array({Value(k), v}, /*is_tuple=*/true));
    return Value::array(std::move(out));
  }
  if (name == "keys" || name == "values") {
    ValueArray out;
    for (const auto& [k, v] : items) out.push_back(name == "keys" ? Value(k) : v);
    return Value::array(std::move(out));
  }
  if (name == "get") {
    Value key = a.get(0, "key");
    if (key.is_string()) {
      if (const Value* v = obj.object_items().find(key.str())) return *v;
    }
    return a.has(1, "default") ? a.get(1, "default") : Value::none();
  }
  if (name == "copy") return obj;
  fail("'dict' object has no attribute '" + name + "'");
}

}  // namespace

bool has_method(const Value& obj, const std::string& name) {
  if (obj.is_string()) return in(kStrMethods, name);
  if (obj.is_object()) return in(kDictMethods, name);
  if (obj.is_array()) return in(kListMethods, name);
  return false;
}

bool call_method(const Value& obj, const std::string& name, const CallArgs& args, Budget& budget, Value* result) {
  if (!has_method(obj, name)) return false;
  if (obj.is_string()) {
    *result = call_str_method(obj.str(), name, args, budget);
  } else if (obj.is_object()) {
    *result = call_dict_method(obj, name, args, budget);
  } else {
    const auto& items = obj.array_items();
    budget.charge(static_cast<int64_t>(items.size()));
    if (name == "copy") {
      *result = obj;
      return true;
    }
    Value x = args.get(0, "value");
    int64_t n = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!equals(items[i], x)) continue;
      if (name == "index") {
        *result = Value(static_cast<int64_t>(i));
        return true;
      }
      ++n;
    }
    if (name == "index") fail(repr(x) + " is not in list");
    *result = Value(n);
  }
  return true;
}

}  // namespace mms::jinja
