// Operators, item access and iteration with Python semantics (see builtins.h).
#include <cctype>
#include <cerrno>
#include <cmath>
#include <optional>
#include <cstdio>
#include <limits>

#include "model/chat_template/builtins.h"
#include "model/chat_template/py_string.h"

namespace mms::jinja {
namespace {

std::string obj_repr(const Value& v) {
  if (v.is_none()) return "None";
  return type_name(v) + " object";
}

[[noreturn]] void unsupported(const std::string& op, const Value& a, const Value& b) {
  fail("unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" + type_name(b) + "'");
}

template <typename Op>
int64_t checked(Op op, int64_t a, int64_t b) {
  int64_t r = 0;
  if (op(a, b, &r)) fail("integer overflow");
  return r;
}
bool add_ovf(int64_t a, int64_t b, int64_t* r) { return __builtin_add_overflow(a, b, r); }
bool sub_ovf(int64_t a, int64_t b, int64_t* r) { return __builtin_sub_overflow(a, b, r); }
bool mul_ovf(int64_t a, int64_t b, int64_t* r) { return __builtin_mul_overflow(a, b, r); }

Value repeat(const Value& seq, int64_t n, Budget& budget) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    budget.charge_bytes(seq.str().size() * static_cast<size_t>(std::min<int64_t>(n, 1 << 30)));
    std::string out;
    for (int64_t i = 0; i < n; ++i) out += seq.str();
    return Value(std::move(out));
  }
  budget.charge(static_cast<int64_t>(seq.array_items().size()) * std::min<int64_t>(n, 1 << 30) + 1);
  ValueArray out;
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.array_items().begin(), seq.array_items().end());
  return Value::array(std::move(out));
}

// printf-style `str % args` for %s %r %d %i %f %x %% with optional flags/width/precision.
Value percent_format(const std::string& fmt, const Value& arg, Budget& budget) {
  std::vector<Value> args = arg.is_tuple() ? arg.array_items() : std::vector<Value>{arg};
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    size_t j = i + 1;
    std::string spec = "%";
    while (j < fmt.size() && std::string("-+ 0#.0123456789").find(fmt[j]) != std::string::npos) spec += fmt[j++];
    if (j >= fmt.size()) fail("incomplete format");
    char conv = fmt[j];
    i = j;
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (next >= args.size()) fail("not enough arguments for format string");
    const Value& v = args[next++];
    char buf[512];
    if (conv == 's' || conv == 'r') {
      std::string s = conv == 's' ? to_str(v) : repr(v);
      if (spec.size() > 1) {
        std::snprintf(buf, sizeof(buf), (spec + "s").c_str(), s.c_str());
        out += buf;
      } else {
        out += s;
      }
    } else if (conv == 'd' || conv == 'i' || conv == 'x' || conv == 'X' || conv == 'o') {
      int64_t n = 0;
      if (!v.is_number()) fail("%" + std::string(1, conv) + " format: a real number is required, not " + type_name(v));
      n = v.is_float() ? static_cast<int64_t>(v.as_float()) : v.as_int();
      std::snprintf(buf, sizeof(buf), (spec + "ll" + (conv == 'i' ? 'd' : conv)).c_str(), static_cast<long long>(n));
      out += buf;
    } else if (conv == 'f' || conv == 'F' || conv == 'e' || conv == 'g') {
      if (!v.is_number()) fail("must be real number, not " + type_name(v));
      std::snprintf(buf, sizeof(buf), (spec + conv).c_str(), v.as_float());
      out += buf;
    } else {
      fail(std::string("unsupported format character '") + conv + "'");
    }
  }
  if (next < args.size()) fail("not all arguments converted during string formatting");
  budget.charge_bytes(out.size());
  return Value(std::move(out));
}

}  // namespace

void fail_undefined(const Value& v) { fail(v.str().empty() ? "value is undefined" : v.str()); }

bool to_int(const Value& v, int64_t* out) {
  if (v.is_bool() || v.is_int()) {
    *out = v.as_int();
    return true;
  }
  if (v.is_float()) {
    double d = v.as_float();
    if (!std::isfinite(d) || std::fabs(d) > 9.2e18) return false;
    *out = static_cast<int64_t>(d);
    return true;
  }
  if (v.is_string()) {
    std::string s = py_strip(v.str(), std::nullopt, true, true);
    std::string digits;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '_' && i > 0 && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
          std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
        continue;
      }
      digits += s[i];
    }
    if (digits.empty()) return false;
    size_t k = (digits[0] == '-' || digits[0] == '+') ? 1 : 0;
    if (k == digits.size()) return false;
    for (size_t i = k; i < digits.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(digits[i]))) return false;
    }
    errno = 0;
    long long n = std::strtoll(digits.c_str(), nullptr, 10);
    if (errno == ERANGE) return false;
    *out = n;
    return true;
  }
  return false;
}

bool to_float(const Value& v, double* out) {
  if (v.is_number()) {
    *out = v.as_float();
    return true;
  }
  if (!v.is_string()) return false;
  std::string s = py_strip(v.str(), std::nullopt, true, true);
  if (s.empty()) return false;
  std::string lower = py_lower(s);
  if (lower == "inf" || lower == "+inf" || lower == "infinity" || lower == "+infinity") {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (lower == "-inf" || lower == "-infinity") {
    *out = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (lower == "nan" || lower == "+nan" || lower == "-nan") {
    *out = std::nan("");
    return true;
  }
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && s.find_first_of("xXpP") == std::string::npos;
}

Value binary_op(const std::string& op, const Value& a, const Value& b, Budget& budget) {
  if (op == "~") {
    std::string s = to_str(a) + to_str(b);
    budget.charge_bytes(s.size());
    return Value(std::move(s));
  }
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  const bool ints = (a.is_int() || a.is_bool()) && (b.is_int() || b.is_bool());
  const bool nums = a.is_number() && b.is_number();
  if (op == "+") {
    if (ints) return Value(checked(add_ovf, a.as_int(), b.as_int()));
    if (nums) return Value(a.as_float() + b.as_float());
    if (a.is_string() && b.is_string()) {
      budget.charge_bytes(a.str().size() + b.str().size());
      return Value(a.str() + b.str());
    }
    if (a.is_array() && b.is_array()) {
      budget.charge(static_cast<int64_t>(a.array_items().size() + b.array_items().size()) + 1);
      ValueArray out = a.array_items();
      out.insert(out.end(), b.array_items().begin(), b.array_items().end());
      return Value::array(std::move(out), a.is_tuple() && b.is_tuple());
    }
    if (a.is_string()) fail("can only concatenate str (not \"" + type_name(b) + "\") to str");
    if (a.is_array()) fail("can only concatenate list (not \"" + type_name(b) + "\") to list");
    unsupported(op, a, b);
  }
  if (op == "-") {
    if (ints) return Value(checked(sub_ovf, a.as_int(), b.as_int()));
    if (nums) return Value(a.as_float() - b.as_float());
    unsupported(op, a, b);
  }
  if (op == "*") {
    if (ints) return Value(checked(mul_ovf, a.as_int(), b.as_int()));
    if (nums) return Value(a.as_float() * b.as_float());
    if ((a.is_string() || a.is_array()) && (b.is_int() || b.is_bool())) return repeat(a, b.as_int(), budget);
    if ((b.is_string() || b.is_array()) && (a.is_int() || a.is_bool())) return repeat(b, a.as_int(), budget);
    unsupported(op, a, b);
  }
  if (op == "/") {
    if (!nums) unsupported(op, a, b);
    if (b.as_float() == 0) fail("division by zero");
    return Value(a.as_float() / b.as_float());
  }
  if (op == "//" || op == "%") {
    if (op == "%" && a.is_string()) return percent_format(a.str(), b, budget);
    if (!nums) unsupported(op, a, b);
    if (ints) {
      int64_t x = a.as_int(), y = b.as_int();
      if (y == 0) fail(op == "%" ? "integer modulo by zero" : "integer division or modulo by zero");
      if (x == std::numeric_limits<int64_t>::min() && y == -1) fail("integer overflow");
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) {
        --q;
        m += y;
      }
      return op == "//" ? Value(q) : Value(m);
    }
    double x = a.as_float(), y = b.as_float();
    if (y == 0) fail("float modulo");
    double raw = std::fmod(x, y);
    double m = raw;
    if (m != 0 && ((m < 0) != (y < 0))) m += y;
    if (op == "%") return Value(m);
    double div = (x - raw) / y;
    if (raw != 0 && ((raw < 0) != (y < 0))) div -= 1.0;
    double fl = std::floor(div);
    if (div - fl > 0.5) fl += 1.0;
    return Value(fl);
  }
  if (op == "**") {
    if (!nums) unsupported(op, a, b);
    if (ints && b.as_int() >= 0) {
      int64_t base = a.as_int(), e = b.as_int(), acc = 1;
      while (e > 0) {
        if (e & 1) acc = checked(mul_ovf, acc, base);
        e >>= 1;
        if (e > 0) base = checked(mul_ovf, base, base);
      }
      return Value(acc);
    }
    if (a.as_float() == 0 && b.as_float() < 0) fail("0.0 cannot be raised to a negative power");
    return Value(std::pow(a.as_float(), b.as_float()));
  }
  fail("unknown operator " + op);
}

Value unary_op(const std::string& op, const Value& a) {
  if (op == "not") return Value(!truthy(a));
  if (a.is_undefined()) fail_undefined(a);
  if (op == "-") {
    if (a.is_int() || a.is_bool()) {
      if (a.as_int() == std::numeric_limits<int64_t>::min()) fail("integer overflow");
      return Value(-a.as_int());
    }
    if (a.is_float()) return Value(-a.as_float());
  } else if (op == "+") {
    if (a.is_int() || a.is_bool()) return Value(a.as_int());
    if (a.is_float()) return a;
  }
  fail("bad operand type for unary " + op + ": '" + type_name(a) + "'");
}

bool contains(const Value& c, const Value& item) {
  switch (c.kind()) {
    case Value::Kind::kString:
      if (!item.is_string()) fail("'in <string>' requires string as left operand, not " + type_name(item));
      return c.str().find(item.str()) != std::string::npos;
    case Value::Kind::kArray:
      for (const Value& v : c.array_items()) {
        if (equals(v, item)) return true;
      }
      return false;
    case Value::Kind::kObject:
    case Value::Kind::kNamespace:
      return item.is_string() && c.object_items().find(item.str()) != nullptr;
    case Value::Kind::kUndefined: return false;
    default: fail("argument of type '" + type_name(c) + "' is not iterable");
  }
}

Value get_attr(const Value& obj, const std::string& name, Budget& budget) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (has_method(obj, name)) {
    Budget* b = &budget;
    return Value::callable(name, [obj, name, b](CallArgs& args) {
      Value out;
      call_method(obj, name, args, *b, &out);
      return out;
    });
  }
  if (obj.is_object() || obj.is_namespace()) {
    if (const Value* v = obj.object_items().find(name)) return *v;
  }
  return Value::undefined("'" + obj_repr(obj) + "' has no attribute '" + name + "'");
}

Value get_item(const Value& obj, const Value& key, Budget& budget) {
  if (obj.is_undefined()) fail_undefined(obj);
  if ((obj.is_object() || obj.is_namespace()) && key.is_string()) {
    if (const Value* v = obj.object_items().find(key.str())) return *v;
    return Value::undefined("'" + obj_repr(obj) + "' has no attribute '" + key.str() + "'");
  }
  if ((obj.is_array() || obj.is_string()) && (key.is_int() || key.is_bool())) {
    int64_t i = key.as_int();
    if (obj.is_array()) {
      const auto n = static_cast<int64_t>(obj.array_items().size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return obj.array_items()[static_cast<size_t>(i)];
    } else {
      std::u32string u = utf8_decode(obj.str());
      const auto n = static_cast<int64_t>(u.size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return Value(utf8_encode(u.substr(static_cast<size_t>(i), 1)));
    }
    return Value::undefined(obj_repr(obj) + " has no element " + std::to_string(key.as_int()));
  }
  if (key.is_string()) return get_attr(obj, key.str(), budget);
  return Value::undefined("'" + obj_repr(obj) + "' has no element " + repr(key));
}

Value slice(const Value& obj, const Value& start_v, const Value& stop_v, const Value& step_v) {
  if (obj.is_undefined()) fail_undefined(obj);
  auto bound = [](const Value& v, const char* what) -> std::optional<int64_t> {
    if (v.is_undefined() || v.is_none()) return std::nullopt;
    if (!v.is_int() && !v.is_bool()) fail(std::string("slice ") + what + " must be an integer or None");
    return v.as_int();
  };
  std::optional<int64_t> b = bound(start_v, "start"), e = bound(stop_v, "stop"), st = bound(step_v, "step");
  int64_t step = st.value_or(1);
  if (step == 0) fail("slice step cannot be zero");
  std::u32string u;
  int64_t n = 0;
  if (obj.is_string()) {
    u = utf8_decode(obj.str());
    n = static_cast<int64_t>(u.size());
  } else if (obj.is_array()) {
    n = static_cast<int64_t>(obj.array_items().size());
  } else {
    fail("'" + type_name(obj) + "' object is not subscriptable");
  }
  auto adjust = [&](std::optional<int64_t> x, int64_t dflt) {
    if (!x) return dflt;
    int64_t v = *x;
    if (v < 0) {
      v += n;
      if (v < 0) v = step < 0 ? -1 : 0;
    } else if (v >= n) {
      v = step < 0 ? n - 1 : n;
    }
    return v;
  };
  int64_t lo = adjust(b, step < 0 ? n - 1 : 0);
  int64_t hi = adjust(e, step < 0 ? -1 : n);
  std::vector<int64_t> idx;
  if (step > 0) {
    for (int64_t i = lo; i < hi; i += step) idx.push_back(i);
  } else {
    for (int64_t i = lo; i > hi; i += step) idx.push_back(i);
  }
  if (obj.is_string()) {
    std::u32string out;
    for (int64_t i : idx) out.push_back(u[static_cast<size_t>(i)]);
    return Value(utf8_encode(out));
  }
  ValueArray out;
  for (int64_t i : idx) out.push_back(obj.array_items()[static_cast<size_t>(i)]);
  return Value::array(std::move(out), obj.is_tuple());
}

std::vector<Value> iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return {};
    case Value::Kind::kArray: return v.array_items();
    case Value::Kind::kObject: {
      std::vector<Value> keys;
      for (const auto& kv : v.object_items().items) keys.emplace_back(kv.first);
      return keys;
    }
    case Value::Kind::kString: {
      std::vector<Value> chars;
      std::string cur;
      for (char32_t c : utf8_decode(v.str())) {
        cur.clear();
        utf8_append(c, cur);
        chars.emplace_back(cur);
      }
      return chars;
    }
    default: fail("'" + type_name(v) + "' object is not iterable");
  }
}

int64_t length(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined: return 0;
    case Value::Kind::kString: return static_cast<int64_t>(utf8_length(v.str()));
    case Value::Kind::kArray: return static_cast<int64_t>(v.array_items().size());
    case Value::Kind::kObject:
    case Value::Kind::kNamespace: return static_cast<int64_t>(v.object_items().items.size());
    default: fail("object of type '" + type_name(v) + "' has no len()");
  }
}

}  // namespace mms::jinja
