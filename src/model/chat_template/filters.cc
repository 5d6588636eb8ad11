// Jinja filters and tests (see builtins.h). `tojson` follows Hugging Face's override
// (json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)), not Jinja's own.
#include <algorithm>
#include <array>
#include <cmath>

#include "model/chat_template/builtins.h"
#include "model/chat_template/py_string.h"

namespace mms::jinja {
namespace {

constexpr std::array<std::string_view, 41> kFilters = {
    "abs",     "capitalize", "count",     "d",         "default", "dictsort", "e",      "escape", "first",
    "float",   "format",     "indent",    "int",       "items",   "join",     "last",   "length", "list",
    "lower",   "map",        "max",       "min",       "reject",  "rejectattr", "replace", "reverse", "round",
    "safe",    "select",     "selectattr", "sort",     "string",  "sum",      "title",  "tojson", "trim",
    "unique",  "upper",      "wordcount", "center",    "attr"};
constexpr std::array<std::string_view, 37> kTests = {
    "defined", "undefined", "none",    "boolean",  "false",  "true", "integer",     "float",     "number",
    "string",  "mapping",   "iterable", "sequence", "callable", "sameas", "escaped", "in",        "eq",
    "equalto", "==",        "ne",       "!=",       "lt",     "lessthan", "<",      "le",        "<=",
    "gt",      "greaterthan", ">",      "ge",       ">=",     "odd",    "even",     "divisibleby", "lower",
    "upper"};

template <size_t N>
bool in(const std::array<std::string_view, N>& set, std::string_view name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

// Jinja's attribute getter for filters: "a.b.0" walks getitem per dotted part (digits index lists).
Value attr_path(const Value& item, const Value& attribute, Budget& budget) {
  if (attribute.is_int()) return get_item(item, attribute, budget);
  if (!attribute.is_string()) fail("attribute must be a string or an integer");
  Value cur = item;
  std::vector<std::string> parts;
  py_split(attribute.str(), std::string("."), -1, false, &parts);
  for (const std::string& p : parts) {
    int64_t idx = 0;
    bool numeric = !p.empty() && std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (numeric && to_int(Value(p), &idx)) {
      cur = get_item(cur, Value(idx), budget);
    } else {
      cur = get_item(cur, Value(p), budget);
    }
  }
  return cur;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Sort key for sort/unique/min/max/dictsort: lowercases strings unless case-sensitive.
Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(py_lower(v.str()));
  return v;
}

CallArgs shift_args(const CallArgs& a, size_t n) {
  CallArgs out;
  if (a.args.size() > n) out.args.assign(a.args.begin() + static_cast<long>(n), a.args.end());
  out.kwargs = a.kwargs;
  return out;
}

Value select_like(const std::string& name, const Value& input, const CallArgs& a, Budget& budget) {
  const bool by_attr = name == "selectattr" || name == "rejectattr";
  const bool keep_when = name == "select" || name == "selectattr";
  Value attribute = by_attr ? a.get(0, "") : Value();
  size_t test_pos = by_attr ? 1 : 0;
  std::string test = a.args.size() > test_pos ? to_str(a.args[test_pos]) : "";
  if (!test.empty() && !is_known_test(test)) fail("No test named '" + test + "'");
  CallArgs test_args = shift_args(a, test_pos + 1);
  test_args.kwargs.clear();
  ValueArray out;
  for (const Value& item : iterate(input)) {
    budget.charge(1);
    Value v = by_attr ? attr_path(item, attribute, budget) : item;
    bool ok = test.empty() ? truthy(v) : apply_test(test, v, test_args, budget);
    if (ok == keep_when) out.push_back(item);
  }
  return Value::array(std::move(out));
}

Value sorted(const Value& input, const CallArgs& a, size_t first_arg, Budget& budget) {
  bool reverse = first_arg == 0 ? truthy(a.get(0, "reverse")) : false;
  bool case_sensitive = truthy(a.get(first_arg == 0 ? 1 : 0, "case_sensitive"));
  Value attribute = a.get(first_arg == 0 ? 2 : 1, "attribute");
  std::vector<std::pair<Value, Value>> keyed;
  for (const Value& item : iterate(input)) {
    Value k = attribute.is_undefined() || attribute.is_none() ? item : attr_path(item, attribute, budget);
    keyed.emplace_back(sort_key(k, case_sensitive), item);
  }
  budget.charge(static_cast<int64_t>(keyed.size()) * 8 + 1);
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& x, const auto& y) {
    return reverse ? compare(y.first, x.first) < 0 : compare(x.first, y.first) < 0;
  });
  ValueArray out;
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return Value::array(std::move(out));
}

Value indent(const std::string& s0, const CallArgs& a) {
  Value width = a.get(0, "width");
  std::string ind = width.is_string() ? width.str() : std::string(static_cast<size_t>(std::max<int64_t>(0, width.is_undefined() ? 4 : width.as_int())), ' ');
  bool first = truthy(a.get(1, "first")), blank = truthy(a.get(2, "blank"));
  std::vector<std::string> lines = py_splitlines(s0 + "\n", false);
  std::string rv;
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) rv += (i ? "\n" + ind : "") + lines[i];
  } else if (!lines.empty()) {
    rv = lines[0];
    for (size_t i = 1; i < lines.size(); ++i) rv += "\n" + (lines[i].empty() ? "" : ind + lines[i]);
  }
  if (first) rv = ind + rv;
  return Value(std::move(rv));
}

Value round_filter(const Value& v, const CallArgs& a) {
  double x = 0;
  if (!to_float(v, &x) || v.is_string()) fail("round: a number is required, not " + type_name(v));
  int64_t precision = 0;
  if (a.has(0, "precision") && !to_int(a.get(0, "precision"), &precision)) fail("round: bad precision");
  std::string method = a.has(1, "method") ? to_str(a.get(1, "method")) : "common";
  double scale = std::pow(10.0, static_cast<double>(precision));
  if (method == "ceil") return Value(std::ceil(x * scale) / scale);
  if (method == "floor") return Value(std::floor(x * scale) / scale);
  if (method != "common") fail("method must be 'common', 'ceil' or 'floor'");
  // Python round(): correctly rounded half-to-even on the decimal value, via printf's exact rounding.
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(std::clamp<int64_t>(precision, 0, 300)), x);
  double r = precision >= 0 ? std::strtod(buf, nullptr) : std::nearbyint(x * scale) / scale;
  return Value(r);
}

Value tojson(const Value& v, const CallArgs& a) {
  JsonDumpOptions o;
  o.ensure_ascii = truthy(a.get(0, "ensure_ascii"));
  Value ind = a.get(1, "indent");
  if (ind.is_int()) o.indent = static_cast<int>(std::clamp<int64_t>(ind.as_int(), 0, 64));
  else if (!ind.is_undefined() && !ind.is_none()) fail("tojson: indent must be an integer");
  Value sep = a.get(2, "separators");
  if (sep.is_array() && sep.array_items().size() == 2) {
    o.custom_separators = true;
    o.item_separator = to_str(sep.array_items()[0]);
    o.key_separator = to_str(sep.array_items()[1]);
  }
  o.sort_keys = truthy(a.get(3, "sort_keys"));
  return Value(to_json(v, o));
}

Value min_max(bool is_max, const Value& input, const CallArgs& a, Budget& budget) {
  bool case_sensitive = truthy(a.get(0, "case_sensitive"));
  Value attribute = a.get(1, "attribute");
  Value best;
  Value best_key;
  for (const Value& item : iterate(input)) {
    budget.charge(1);
    Value k = sort_key(attribute.is_undefined() ? item : attr_path(item, attribute, budget), case_sensitive);
    if (best.is_undefined() || (is_max ? compare(k, best_key) > 0 : compare(k, best_key) < 0)) {
      best = item;
      best_key = k;
    }
  }
  return best.is_undefined() ? Value::undefined("No aggregated item, sequence was empty.") : best;
}

}  // namespace

bool is_known_filter(std::string_view name) { return in(kFilters, name); }
bool is_known_test(std::string_view name) { return in(kTests, name); }

Value apply_filter(const std::string& name, const Value& v, const CallArgs& a, Budget& budget) {
  budget.charge(1);
  if (name == "safe") return v;
  if (name == "trim") return Value(py_strip(to_str(v), a.has(0, "chars") ? std::optional<std::string>(to_str(a.get(0, "chars"))) : std::nullopt, true, true));
  if (name == "tojson") return tojson(v, a);
  if (name == "length" || name == "count") return Value(length(v));
  if (name == "lower") return Value(py_lower(to_str(v)));
  if (name == "upper") return Value(py_upper(to_str(v)));
  if (name == "capitalize") return Value(py_capitalize(to_str(v)));
  if (name == "title") return Value(jinja_title(to_str(v)));
  if (name == "string") return v.is_string() ? v : Value(to_str(v));
  if (name == "e" || name == "escape") return Value(html_escape(to_str(v)));
  if (name == "default" || name == "d") {
    bool boolean = truthy(a.get(1, "boolean"));
    if (v.is_undefined() || (boolean && !truthy(v))) return a.has(0, "default_value") ? a.get(0, "default_value") : Value("");
    return v;
  }
  if (name == "first" || name == "last") {
    std::vector<Value> items = iterate(v);
    if (items.empty()) return Value::undefined("No " + name + " item, sequence was empty.");
    return name == "first" ? items.front() : items.back();
  }
  if (name == "join") {
    std::string sep = a.has(0, "d") ? to_str(a.get(0, "d")) : "";
    Value attribute = a.get(1, "attribute");
    std::string out;
    bool first = true;
    for (const Value& item : iterate(v)) {
      if (!first) out += sep;
      first = false;
      out += to_str(attribute.is_undefined() ? item : attr_path(item, attribute, budget));
      budget.charge_bytes(out.size());
    }
    return Value(std::move(out));
  }
  if (name == "int") {
    int64_t n = 0;
    Value base = a.get(1, "base");
    if (v.is_string() && base.is_int() && base.as_int() != 10) {
      errno = 0;
      char* end = nullptr;
      std::string s = py_strip(v.str(), std::nullopt, true, true);
      long long r = std::strtoll(s.c_str(), &end, static_cast<int>(base.as_int()));
      if (!s.empty() && end == s.c_str() + s.size() && errno == 0) return Value(static_cast<int64_t>(r));
    } else if (to_int(v, &n)) {
      return Value(n);
    } else {
      double d = 0;
      if (v.is_string() && to_float(v, &d) && std::isfinite(d) && std::fabs(d) < 9.2e18) return Value(static_cast<int64_t>(d));
    }
    return a.has(0, "default") ? a.get(0, "default") : Value(0);
  }
  if (name == "float") {
    double d = 0;
    if (to_float(v, &d)) return Value(d);
    return a.has(0, "default") ? a.get(0, "default") : Value(0.0);
  }
  if (name == "abs") {
    if (v.is_int() || v.is_bool()) {
      if (v.as_int() == INT64_MIN) fail("integer overflow");
      return Value(v.as_int() < 0 ? -v.as_int() : v.as_int());
    }
    if (v.is_float()) return Value(std::fabs(v.as_float()));
    fail("bad operand type for abs(): '" + type_name(v) + "'");
  }
  if (name == "round") return round_filter(v, a);
  if (name == "list") {
    std::vector<Value> items = iterate(v);
    budget.charge(static_cast<int64_t>(items.size()));
    return Value::array(std::move(items));
  }
  if (name == "items") {
    if (v.is_undefined()) return Value::array({});
    if (!v.is_object()) fail("Can only get item pairs from a mapping.");
    ValueArray out;
    for (const auto& [k, val] : v.object_items().items) out.push_back(Value::array({Value(k), val}, true));
    return Value::array(std::move(out));
  }
  if (name == "dictsort") {
    if (!v.is_object()) fail("dictsort: a mapping is required");
    bool case_sensitive = truthy(a.get(0, "case_sensitive"));
    bool by_value = to_str(a.get(1, "by")) == "value";
    bool reverse = truthy(a.get(2, "reverse"));
    std::vector<Value> pairs;
    for (const auto& [k, val] : v.object_items().items) pairs.push_back(Value::array({Value(k), val}, true));
    std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& x, const Value& y) {
      const Value kx = sort_key(x.array_items()[by_value], case_sensitive);
      const Value ky = sort_key(y.array_items()[by_value], case_sensitive);
      return reverse ? compare(ky, kx) < 0 : compare(kx, ky) < 0;
    });
    return Value::array(std::move(pairs));
  }
  if (name == "replace") {
    Value count = a.get(2, "count");
    std::string out = py_replace(to_str(v), to_str(a.get(0, "old")), to_str(a.get(1, "new")),
                                 count.is_int() ? count.as_int() : -1);
    budget.charge_bytes(out.size());
    return Value(std::move(out));
  }
  if (name == "reverse") {
    if (v.is_string()) return slice(v, Value(), Value(), Value(-1));
    std::vector<Value> items = iterate(v);
    std::reverse(items.begin(), items.end());
    return Value::array(std::move(items));
  }
  if (name == "select" || name == "reject" || name == "selectattr" || name == "rejectattr") {
    return select_like(name, v, a, budget);
  }
  if (name == "map") {
    ValueArray out;
    Value attribute = a.get(SIZE_MAX, "attribute");
    if (!attribute.is_undefined()) {
      Value dflt = a.get(SIZE_MAX, "default");
      for (const Value& item : iterate(v)) {
        Value r = attr_path(item, attribute, budget);
        out.push_back(r.is_undefined() && !dflt.is_undefined() ? dflt : r);
      }
    } else {
      if (a.args.empty()) fail("map requires a filter name or attribute=");
      std::string filter = to_str(a.args[0]);
      if (!is_known_filter(filter) || filter == "map") fail("No filter named '" + filter + "'");
      CallArgs rest = shift_args(a, 1);
      for (const Value& item : iterate(v)) out.push_back(apply_filter(filter, item, rest, budget));
    }
    return Value::array(std::move(out));
  }
  if (name == "sort") return sorted(v, a, 0, budget);
  if (name == "unique") {
    bool case_sensitive = truthy(a.get(0, "case_sensitive"));
    Value attribute = a.get(1, "attribute");
    ValueArray out;
    std::vector<Value> seen;
    for (const Value& item : iterate(v)) {
      Value k = sort_key(attribute.is_undefined() ? item : attr_path(item, attribute, budget), case_sensitive);
      budget.charge(static_cast<int64_t>(seen.size()) + 1);
      if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, k); })) {
        seen.push_back(k);
        out.push_back(item);
      }
    }
    return Value::array(std::move(out));
  }
  if (name == "min" || name == "max") return min_max(name == "max", v, a, budget);
  if (name == "sum") {
    Value attribute = a.get(0, "attribute");
    Value total = a.has(1, "start") ? a.get(1, "start") : Value(0);
    for (const Value& item : iterate(v)) {
      total = binary_op("+", total, attribute.is_undefined() ? item : attr_path(item, attribute, budget), budget);
    }
    return total;
  }
  if (name == "indent") return indent(to_str(v), a);
  if (name == "format") {
    ValueArray args = a.args;
    return binary_op("%", Value(to_str(v)), Value::array(std::move(args), true), budget);
  }
  if (name == "wordcount") {
    std::vector<std::string> words;
    py_split(to_str(v), std::nullopt, -1, false, &words);
    return Value(static_cast<int64_t>(words.size()));
  }
  if (name == "center") {
    std::string s = to_str(v);
    int64_t width = a.has(0, "width") ? a.get(0, "width").as_int() : 80;
    int64_t n = static_cast<int64_t>(utf8_length(s));
    if (width <= n) return Value(s);
    int64_t pad = std::min<int64_t>(width - n, 1 << 20);
    int64_t left = pad / 2 + (pad & width & 1);
    return Value(std::string(static_cast<size_t>(left), ' ') + s + std::string(static_cast<size_t>(pad - left), ' '));
  }
  if (name == "attr") {  // getattr() only: dict keys are not attributes
    std::string attr = to_str(a.get(0, "name"));
    if (v.is_object() || v.is_namespace()) {
      if (v.is_namespace() && v.object_items().find(attr)) return *v.object_items().find(attr);
      if (!has_method(v, attr)) return Value::undefined("'dict object' has no attribute '" + attr + "'");
    }
    return get_attr(v, attr, budget);
  }
  fail("No filter named '" + name + "'");
}

bool apply_test(const std::string& name, const Value& v, const CallArgs& a, Budget& budget) {
  budget.charge(1);
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.is_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "number") return v.is_number();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.is_object();
  if (name == "iterable") return v.is_undefined() || v.is_string() || v.is_array() || v.is_object();
  if (name == "sequence") return v.is_undefined() || v.is_string() || v.is_array() || v.is_object();
  if (name == "callable") return v.is_callable();
  if (name == "escaped") return false;
  if (name == "lower") return v.is_string() && py_lower(v.str()) == v.str();
  if (name == "upper") return v.is_string() && py_upper(v.str()) == v.str();
  Value other = a.get(0, "value");
  if (name == "sameas") {
    if (v.is_none() || other.is_none() || v.is_bool() || other.is_bool()) return v.kind() == other.kind() && equals(v, other);
    return v.kind() == other.kind() && (v.is_namespace() || v.is_callable()) && equals(v, other);
  }
  if (name == "in") return contains(other, v);
  if (name == "eq" || name == "equalto" || name == "==") return equals(v, other);
  if (name == "ne" || name == "!=") return !equals(v, other);
  if (name == "lt" || name == "lessthan" || name == "<") return compare(v, other) < 0;
  if (name == "le" || name == "<=") return compare(v, other) <= 0;
  if (name == "gt" || name == "greaterthan" || name == ">") return compare(v, other) > 0;
  if (name == "ge" || name == ">=") return compare(v, other) >= 0;
  if (name == "odd" || name == "even" || name == "divisibleby") {
    if (v.is_undefined()) fail_undefined(v);
    if (!v.is_int() && !v.is_bool()) fail("unsupported operand type(s) for %: '" + type_name(v) + "' and 'int'");
    int64_t d = name == "divisibleby" ? (other.is_int() ? other.as_int() : 0) : 2;
    if (d == 0) fail("integer division or modulo by zero");
    int64_t m = v.as_int() % d;
    if (name == "odd") return m != 0;
    return m == 0;
  }
  fail("No test named '" + name + "'");
}

}  // namespace mms::jinja
