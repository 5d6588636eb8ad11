#include "model/chat_template/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "model/chat_template/py_string.h"
#include "model/chat_template/template_error.h"

namespace mms::jinja {

const Value* ValueObject::find(std::string_view key) const {
  for (const auto& [k, v] : items) {
    if (k == key) return &v;
  }
  return nullptr;
}

void ValueObject::set(std::string key, Value v) {
  for (auto& [k, old] : items) {
    if (k == key) {
      old = std::move(v);
      return;
    }
  }
  items.emplace_back(std::move(key), std::move(v));
}

Value Value::undefined(std::string why) {
  Value v;
  v.s_ = std::move(why);
  return v;
}

Value Value::none() {
  Value v;
  v.kind_ = Kind::kNone;
  return v;
}

Value Value::array(ValueArray items, bool is_tuple) {
  Value v;
  v.kind_ = Kind::kArray;
  v.tuple_ = is_tuple;
  for (const Value& it : items) v.depth_ = std::max(v.depth_, it.depth_ + 1);
  if (items.empty()) v.depth_ = 1;
  if (v.depth_ > kMaxValueDepth) fail("value nested deeper than " + std::to_string(kMaxValueDepth));
  v.arr_ = std::make_shared<const ValueArray>(std::move(items));
  return v;
}

Value Value::object(ValueObject obj) {
  Value v;
  v.kind_ = Kind::kObject;
  v.depth_ = 1;
  for (const auto& it : obj.items) v.depth_ = std::max(v.depth_, it.second.depth_ + 1);
  if (v.depth_ > kMaxValueDepth) fail("value nested deeper than " + std::to_string(kMaxValueDepth));
  v.obj_ = std::make_shared<ValueObject>(std::move(obj));
  return v;
}

Value Value::make_namespace(ValueObject obj) {
  Value v = object(std::move(obj));
  v.kind_ = Kind::kNamespace;
  return v;
}

Value Value::callable(std::string name, std::function<Value(CallArgs&)> fn) {
  Value v;
  v.kind_ = Kind::kCallable;
  v.fn_ = std::make_shared<const Callable>(Callable{std::move(name), std::move(fn)});
  return v;
}

Value CallArgs::get(size_t i, std::string_view name) const {
  if (i < args.size()) return args[i];
  for (const auto& [k, v] : kwargs) {
    if (k == name) return v;
  }
  return Value::undefined("missing argument '" + std::string(name) + "'");
}

bool CallArgs::has(size_t i, std::string_view name) const {
  if (i < args.size()) return true;
  for (const auto& kv : kwargs) {
    if (kv.first == name) return true;
  }
  return false;
}

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone: return false;
    case Value::Kind::kBool:
    case Value::Kind::kInt: return v.as_int() != 0;
    case Value::Kind::kFloat: return v.as_float() != 0.0;
    case Value::Kind::kString: return !v.str().empty();
    case Value::Kind::kArray: return !v.array_items().empty();
    case Value::Kind::kObject: return !v.object_items().items.empty();
    case Value::Kind::kNamespace:
    case Value::Kind::kCallable: return true;
  }
  return false;
}

std::string format_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string s(buf, r.ptr);
  std::string sign;
  if (s[0] == '-') {
    sign = "-";
    s.erase(0, 1);
  }
  size_t epos = s.find('e');
  int exp = std::atoi(s.c_str() + epos + 1);
  std::string digits;
  for (size_t i = 0; i < epos; ++i) {
    if (s[i] != '.') digits += s[i];
  }
  std::string out;
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      size_t int_len = static_cast<size_t>(exp) + 1;
      if (digits.size() <= int_len) {
        out = digits + std::string(int_len - digits.size(), '0') + ".0";
      } else {
        out = digits.substr(0, int_len) + "." + digits.substr(int_len);
      }
    } else {
      out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    int a = std::abs(exp);
    out += exp < 0 ? "e-" : "e+";
    if (a < 10) out += "0";
    out += std::to_string(a);
  }
  return sign + out;
}

static std::string repr_string(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos;
  bool has_double = s.find('"') != std::string::npos;
  char q = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, q);
  for (unsigned char c : s) {
    if (c == q || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof(b), "\\x%02x", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += q;
  return out;
}

static std::string repr_container(const Value& v) {
  std::string out;
  if (v.is_array()) {
    out = v.is_tuple() ? "(" : "[";
    const auto& items = v.array_items();
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out += ", ";
      out += repr(items[i]);
    }
    if (v.is_tuple() && items.size() == 1) out += ",";
    out += v.is_tuple() ? ")" : "]";
    return out;
  }
  out = "{";
  bool first = true;
  for (const auto& [k, val] : v.object_items().items) {
    if (!first) out += ", ";
    first = false;
    out += repr_string(k) + ": " + repr(val);
  }
  return out + "}";
}

std::string to_str(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return "";
    case Value::Kind::kNone: return "None";
    case Value::Kind::kBool: return v.as_bool() ? "True" : "False";
    case Value::Kind::kInt: return std::to_string(v.as_int());
    case Value::Kind::kFloat: return format_float(v.as_float());
    case Value::Kind::kString: return v.str();
    case Value::Kind::kArray:
    case Value::Kind::kObject: return repr_container(v);
    case Value::Kind::kNamespace: return "<Namespace " + repr_container(Value::object(v.object_items())) + ">";
    case Value::Kind::kCallable: return "<function " + v.callable_fn().name + ">";
  }
  return "";
}

std::string repr(const Value& v) {
  if (v.is_string()) return repr_string(v.str());
  if (v.is_undefined()) return "Undefined";
  return to_str(v);
}

std::string type_name(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return "Undefined";
    case Value::Kind::kNone: return "NoneType";
    case Value::Kind::kBool: return "bool";
    case Value::Kind::kInt: return "int";
    case Value::Kind::kFloat: return "float";
    case Value::Kind::kString: return "str";
    case Value::Kind::kArray: return v.is_tuple() ? "tuple" : "list";
    case Value::Kind::kObject: return "dict";
    case Value::Kind::kNamespace: return "Namespace";
    case Value::Kind::kCallable: return "function";
  }
  return "object";
}

bool equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone: return true;
    case Value::Kind::kString: return a.str() == b.str();
    case Value::Kind::kArray: {
      if (a.is_tuple() != b.is_tuple()) return false;
      const auto& x = a.array_items();
      const auto& y = b.array_items();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!equals(x[i], y[i])) return false;
      }
      return true;
    }
    case Value::Kind::kObject: {
      const auto& x = a.object_items().items;
      if (x.size() != b.object_items().items.size()) return false;
      for (const auto& [k, v] : x) {
        const Value* o = b.object_items().find(k);
        if (!o || !equals(v, *o)) return false;
      }
      return true;
    }
    case Value::Kind::kNamespace: return &a.object_items() == &b.object_items();
    case Value::Kind::kCallable: return &a.callable_fn() == &b.callable_fn();
    default: return false;
  }
}

int compare(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      double x = a.as_float(), y = b.as_float();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    int c = a.str().compare(b.str());  // UTF-8 byte order == code point order
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_array() && b.is_array()) {
    const auto& x = a.array_items();
    const auto& y = b.array_items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equals(x[i], y[i])) return compare(x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  if (a.is_undefined() || b.is_undefined()) {
    fail(a.is_undefined() && !a.str().empty() ? a.str() : (b.is_undefined() ? b.str() : a.str()));
  }
  fail("'<' not supported between instances of '" + type_name(a) + "' and '" + type_name(b) + "'");
}

namespace {

void json_string(const std::string& s, bool ensure_ascii, std::string& out) {
  out += '"';
  if (ensure_ascii) {
    for (char32_t cp : utf8_decode(s)) {
      if (cp == '"') out += "\\\"";
      else if (cp == '\\') out += "\\\\";
      else if (cp == '\n') out += "\\n";
      else if (cp == '\r') out += "\\r";
      else if (cp == '\t') out += "\\t";
      else if (cp == '\b') out += "\\b";
      else if (cp == '\f') out += "\\f";
      else if (cp < 0x20 || cp >= 0x7f) {
        char b[16];
        if (cp >= 0x10000) {
          char32_t v = cp - 0x10000;
          std::snprintf(b, sizeof(b), "\\u%04x\\u%04x", 0xd800 + (unsigned)(v >> 10), 0xdc00 + (unsigned)(v & 0x3ff));
        } else {
          std::snprintf(b, sizeof(b), "\\u%04x", (unsigned)cp);
        }
        out += b;
      } else {
        out += static_cast<char>(cp);
      }
    }
  } else {
    for (unsigned char c : s) {
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (c == '\b') out += "\\b";
      else if (c == '\f') out += "\\f";
      else if (c < 0x20) {
        char b[8];
        std::snprintf(b, sizeof(b), "\\u%04x", c);
        out += b;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  out += '"';
}

void json_dump(const Value& v, const JsonDumpOptions& o, int level, std::string& out) {
  auto newline = [&](int lvl) {
    out += '\n';
    out.append(static_cast<size_t>(o.indent * lvl), ' ');
  };
  const std::string& item_sep = o.item_separator;
  switch (v.kind()) {
    case Value::Kind::kNone: out += "null"; return;
    case Value::Kind::kBool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::kInt: out += std::to_string(v.as_int()); return;
    case Value::Kind::kFloat: {
      double d = v.as_float();
      if (std::isnan(d)) out += "NaN";
      else if (std::isinf(d)) out += d > 0 ? "Infinity" : "-Infinity";
      else out += format_float(d);
      return;
    }
    case Value::Kind::kString: json_string(v.str(), o.ensure_ascii, out); return;
    case Value::Kind::kArray: {
      const auto& items = v.array_items();
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += item_sep;
        if (o.indent >= 0) newline(level + 1);
        json_dump(items[i], o, level + 1, out);
      }
      if (o.indent >= 0) newline(level);
      out += ']';
      return;
    }
    case Value::Kind::kObject: {
      std::vector<const std::pair<std::string, Value>*> items;
      for (const auto& kv : v.object_items().items) items.push_back(&kv);
      if (items.empty()) {
        out += "{}";
        return;
      }
      if (o.sort_keys) {
        std::stable_sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->first < b->first; });
      }
      out += '{';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += item_sep;
        if (o.indent >= 0) newline(level + 1);
        json_string(items[i]->first, o.ensure_ascii, out);
        out += o.key_separator;
        json_dump(items[i]->second, o, level + 1, out);
      }
      if (o.indent >= 0) newline(level);
      out += '}';
      return;
    }
    default:
      fail("Object of type " + type_name(v) + " is not JSON serializable");
  }
}

}  // namespace

std::string to_json(const Value& v, const JsonDumpOptions& opts) {
  JsonDumpOptions o = opts;
  if (!o.custom_separators) {
    o.item_separator = o.indent >= 0 ? "," : ", ";
    o.key_separator = ": ";
  }
  std::string out;
  json_dump(v, o, 0, out);
  return out;
}

}  // namespace mms::jinja
