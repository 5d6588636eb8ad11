// jinja::Value: the dynamic value a chat template computes with (Python semantics: None, bool, int, float,
// str, list/tuple, dict with insertion order, Jinja's Undefined, namespace() objects, callables).
// Internal to the chat-template interpreter. Value types; arrays/dicts are shared immutable, namespaces
// are shared mutable: a Value graph belongs to one render call and is not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mms::jinja {

class Value;
struct CallArgs;
using ValueArray = std::vector<Value>;

// A Python dict: keys in insertion order. Lookups are linear (chat-template dicts are small).
struct ValueObject {
  std::vector<std::pair<std::string, Value>> items;
  const Value* find(std::string_view key) const;
  void set(std::string key, Value v);
};

// A built-in function, bound method or macro. Throws TemplateError (template_error.h) on failure.
struct Callable {
  std::string name;
  std::function<Value(CallArgs&)> fn;
};

class Value {
 public:
  enum class Kind : uint8_t {
    kUndefined, kNone, kBool, kInt, kFloat, kString, kArray, kObject, kNamespace, kCallable
  };

  Value() = default;  // Undefined
  Value(bool b) : kind_(Kind::kBool), i_(b) {}                    // NOLINT
  Value(int v) : kind_(Kind::kInt), i_(v) {}                      // NOLINT
  Value(int64_t v) : kind_(Kind::kInt), i_(v) {}                  // NOLINT
  Value(double v) : kind_(Kind::kFloat), f_(v) {}                 // NOLINT
  Value(std::string s) : kind_(Kind::kString), s_(std::move(s)) {}  // NOLINT
  Value(const char* s) : kind_(Kind::kString), s_(s) {}           // NOLINT

  // Undefined remembers why (e.g. "'dict object' has no attribute 'x'") for the error when misused.
  static Value undefined(std::string why);
  static Value none();
  static Value array(ValueArray items, bool is_tuple = false);
  static Value object(ValueObject obj);
  static Value make_namespace(ValueObject obj);
  static Value callable(std::string name, std::function<Value(CallArgs&)> fn);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_number() const { return is_bool() || is_int() || is_float(); }  // Python: bool is a Number
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_tuple() const { return kind_ == Kind::kArray && tuple_; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_namespace() const { return kind_ == Kind::kNamespace; }
  bool is_callable() const { return kind_ == Kind::kCallable; }

  bool as_bool() const { return i_ != 0; }
  int64_t as_int() const { return i_; }  // also for bool
  double as_float() const { return kind_ == Kind::kFloat ? f_ : static_cast<double>(i_); }
  const std::string& str() const { return s_; }  // string value, or the Undefined reason
  const ValueArray& array_items() const { return *arr_; }
  const ValueObject& object_items() const { return *obj_; }  // object or namespace
  ValueObject& namespace_items() const { return *obj_; }
  const Callable& callable_fn() const { return *fn_; }
  // Nesting depth of arrays/objects (scalars 0); bounded so recursive printing cannot blow the stack.
  int depth() const { return depth_; }

 private:
  Kind kind_ = Kind::kUndefined;
  bool tuple_ = false;
  int depth_ = 0;
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_;
  std::shared_ptr<const ValueArray> arr_;
  std::shared_ptr<ValueObject> obj_;
  std::shared_ptr<const Callable> fn_;
};

// Arguments of a call: positional and keyword (in call order).
struct CallArgs {
  std::vector<Value> args;
  std::vector<std::pair<std::string, Value>> kwargs;
  // Positional i, else keyword `name`, else Undefined. Marks nothing; extra arguments are ignored.
  Value get(size_t i, std::string_view name) const;
  bool has(size_t i, std::string_view name) const;
};

constexpr int kMaxValueDepth = 256;

// Python truthiness (Undefined is falsy).
bool truthy(const Value& v);
// Python str() / repr() as Jinja prints values: None, True, 1.5, 'x', [1, 'a'], {'k': 'v'}.
std::string to_str(const Value& v);
std::string repr(const Value& v);
std::string format_float(double d);  // Python repr(float): 1.0, 0.1, 1e+20, inf, nan
// Python `==` (1 == 1.0 == True; dicts compare unordered; Undefined == Undefined).
bool equals(const Value& a, const Value& b);
// Python `<` ordering; throws TemplateError for unorderable types. Returns -1, 0, 1.
int compare(const Value& a, const Value& b);
// "dict object", "str object", ... as Jinja names types in error messages.
std::string type_name(const Value& v);

struct JsonDumpOptions {
  int indent = -1;               // < 0: single line
  bool ensure_ascii = false;
  bool sort_keys = false;
  std::string item_separator;    // default ", " (",\n" style when indenting)
  std::string key_separator;     // default ": "
  bool custom_separators = false;
};
// Python json.dumps; throws TemplateError for values JSON cannot hold (Undefined, namespace, callable).
std::string to_json(const Value& v, const JsonDumpOptions& opts);

}  // namespace mms::jinja
