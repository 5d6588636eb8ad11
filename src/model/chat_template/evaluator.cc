#include "model/chat_template/evaluator.h"

#include "model/chat_template/builtins.h"
#include "model/chat_template/template_error.h"

namespace mms::jinja {
namespace {

constexpr int kMaxEvalDepth = 400;  // nested eval/exec/macro frames: bounds native stack use
constexpr int64_t kMaxRange = 100'000;  // elements of one range()

bool contains_namespace(const Value& v) {
  if (v.is_namespace()) return true;
  if (v.is_array()) {
    for (const Value& x : v.array_items()) {
      if (contains_namespace(x)) return true;
    }
  } else if (v.is_object()) {
    for (const auto& kv : v.object_items().items) {
      if (contains_namespace(kv.second)) return true;
    }
  }
  return false;
}

class Evaluator {
 public:
  explicit Evaluator(const RenderEnv& env) : env_(env) {
    budget_.steps_left = env.limits.max_steps;
    budget_.max_string_bytes = env.limits.max_output_bytes;
    Frame globals;
    add_builtins(globals);
    for (const auto& [k, v] : env.vars.items) set_in(globals, k, v);
    frames_.push_back(std::move(globals));
    frames_.push_back(Frame{{}, 0});
    cur_ = 1;
  }

  std::string run(const Body& body) {
    std::string out;
    exec_body(body, out);
    return out;
  }

 private:
  struct Frame {
    std::vector<std::pair<std::string, Value>> vars;
    int parent = -1;
  };
  enum class Flow { kNormal, kBreak, kContinue };

  struct DepthGuard {
    explicit DepthGuard(int* d) : d_(d) {
      if (++*d_ > kMaxEvalDepth) fail("template nesting or recursion too deep", TemplateError::Kind::kLimit);
    }
    ~DepthGuard() { --*d_; }
    int* d_;
  };

  static void set_in(Frame& f, const std::string& name, Value v) {
    for (auto& [k, old] : f.vars) {
      if (k == name) {
        old = std::move(v);
        return;
      }
    }
    f.vars.emplace_back(name, std::move(v));
  }

  void add_builtins(Frame& g) {
    set_in(g, "range", Value::callable("range", [this](CallArgs& a) { return range(a); }));
    set_in(g, "namespace", Value::callable("namespace", [](CallArgs& a) {
      ValueObject obj;
      if (!a.args.empty() && a.args[0].is_object()) obj = a.args[0].object_items();
      for (auto& [k, v] : a.kwargs) obj.set(k, v);
      return Value::make_namespace(std::move(obj));
    }));
    set_in(g, "dict", Value::callable("dict", [](CallArgs& a) {
      ValueObject obj;
      if (!a.args.empty() && a.args[0].is_object()) obj = a.args[0].object_items();
      for (auto& [k, v] : a.kwargs) obj.set(k, v);
      return Value::object(std::move(obj));
    }));
    set_in(g, "raise_exception", Value::callable("raise_exception", [](CallArgs& a) -> Value {
      fail(to_str(a.get(0, "message")), TemplateError::Kind::kRaised);
    }));
    if (env_.strftime_now) {
      set_in(g, "strftime_now", Value::callable("strftime_now", [this](CallArgs& a) {
        return Value(env_.strftime_now(to_str(a.get(0, "format"))));
      }));
    }
  }

  Value range(const CallArgs& a) {
    int64_t start = 0, stop = 0, step = 1;
    auto arg = [&](size_t i) {
      if (!a.args[i].is_int() && !a.args[i].is_bool()) fail("range() arguments must be integers");
      return a.args[i].as_int();
    };
    if (a.args.size() == 1) {
      stop = arg(0);
    } else if (a.args.size() == 2 || a.args.size() == 3) {
      start = arg(0);
      stop = arg(1);
      if (a.args.size() == 3) step = arg(2);
    } else {
      fail("range expected 1 to 3 arguments");
    }
    if (step == 0) fail("range() arg 3 must not be zero");
    // Element count computed up front (in 128 bits) so a huge range fails before allocating anything.
    __int128 span = step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
    __int128 count = span <= 0 ? 0 : (span + (step > 0 ? step : -static_cast<__int128>(step)) - 1) /
                                          (step > 0 ? step : -static_cast<__int128>(step));
    if (count > kMaxRange) fail("range too large", TemplateError::Kind::kLimit);
    budget_.charge(static_cast<int64_t>(count));
    ValueArray out;
    out.reserve(static_cast<size_t>(count));
    for (int64_t k = 0; k < static_cast<int64_t>(count); ++k) out.emplace_back(start + k * step);
    return Value::array(std::move(out));
  }

  // ---- scopes ----
  Value lookup(const std::string& name) const {
    for (int f = cur_; f >= 0; f = frames_[static_cast<size_t>(f)].parent) {
      for (const auto& [k, v] : frames_[static_cast<size_t>(f)].vars) {
        if (k == name) return v;
      }
    }
    return Value::undefined("'" + name + "' is undefined");
  }
  void assign(const std::string& name, Value v) { set_in(frames_[static_cast<size_t>(cur_)], name, std::move(v)); }
  int push_frame(int parent) {
    frames_.push_back(Frame{{}, parent});
    int saved = cur_;
    cur_ = static_cast<int>(frames_.size()) - 1;
    return saved;
  }
  void pop_frame(int saved) {
    frames_.pop_back();
    cur_ = saved;
  }

  void assign_targets(const std::vector<std::string>& targets, const Value& v) {
    if (targets.size() == 1) {
      assign(targets[0], v);
      return;
    }
    std::vector<Value> items = v.is_array() || v.is_string() ? iterate(v) : std::vector<Value>{};
    if (!v.is_array() && !v.is_string()) fail("cannot unpack non-iterable " + type_name(v) + " object");
    if (items.size() < targets.size()) {
      fail("not enough values to unpack (expected " + std::to_string(targets.size()) + ", got " +
           std::to_string(items.size()) + ")");
    }
    if (items.size() > targets.size()) fail("too many values to unpack (expected " + std::to_string(targets.size()) + ")");
    for (size_t i = 0; i < targets.size(); ++i) assign(targets[i], items[i]);
  }

  void append(std::string& out, const std::string& s) {
    out += s;
    if (out.size() > env_.limits.max_output_bytes) fail("template output exceeds the size limit", TemplateError::Kind::kLimit);
    budget_.charge(static_cast<int64_t>(s.size() / 16) + 1);
  }

  // ---- statements ----
  Flow exec_body(const Body& body, std::string& out) {
    for (const StmtPtr& s : body) {
      Flow f = exec(*s, out);
      if (f != Flow::kNormal) return f;
    }
    return Flow::kNormal;
  }

  Flow exec(const Stmt& s, std::string& out) {
    DepthGuard guard(&depth_);
    budget_.charge(1);
    try {
      return exec_impl(s, out);
    } catch (TemplateError& err) {
      if (err.line == 0) {
        err.line = s.line;
        err.column = s.column;
      }
      throw;
    }
  }

  Flow exec_impl(const Stmt& s, std::string& out) {
    switch (s.kind) {
      case StmtKind::kText: append(out, s.text); return Flow::kNormal;
      case StmtKind::kOutput: append(out, to_str(eval(*s.expr))); return Flow::kNormal;
      case StmtKind::kIf:
        for (const auto& [cond, body] : s.branches) {
          if (truthy(eval(*cond))) return exec_body(body, out);
        }
        return exec_body(s.else_body, out);
      case StmtKind::kFor: return exec_for(s, out);
      case StmtKind::kSet: {
        Value v = eval(*s.expr);
        if (s.attr.empty()) {
          assign_targets(s.targets, v);
          return Flow::kNormal;
        }
        Value ns = lookup(s.text);
        if (!ns.is_namespace()) fail("cannot assign attribute on non-namespace object");
        if (contains_namespace(v)) fail("cannot store a namespace inside a namespace");
        ns.namespace_items().set(s.attr, std::move(v));
        return Flow::kNormal;
      }
      case StmtKind::kSetBlock: {
        std::string captured;
        exec_body(s.body, captured);
        assign(s.targets[0], Value(std::move(captured)));
        return Flow::kNormal;
      }
      case StmtKind::kMacro: {
        const Stmt* m = &s;
        assign(s.text, Value::callable(s.text, [this, m](CallArgs& a) { return call_macro(*m, a); }));
        return Flow::kNormal;
      }
      case StmtKind::kScope: {
        if (!s.new_scope) return exec_body(s.body, out);
        std::vector<Value> values;
        for (const ExprPtr& d : s.defaults) values.push_back(eval(*d));
        int saved = push_frame(cur_);
        for (size_t i = 0; i < s.targets.size(); ++i) assign(s.targets[i], values[i]);
        Flow f = exec_body(s.body, out);
        pop_frame(saved);
        return f;
      }
      case StmtKind::kBreak: return Flow::kBreak;
      case StmtKind::kContinue: return Flow::kContinue;
      case StmtKind::kCallStmt: break;
    }
    fail("unsupported statement");
  }

  Flow exec_for(const Stmt& s, std::string& out) {
    const Value iterable = eval(*s.expr);
    std::vector<Value> materialized;
    const std::vector<Value>* source = &materialized;
    if (iterable.is_array()) {
      source = &iterable.array_items();  // kept alive by `iterable`; no copy
    } else {
      materialized = iterate(iterable);
    }
    budget_.charge(static_cast<int64_t>(source->size()));
    if (s.cond) {
      std::vector<Value> kept;
      for (const Value& item : *source) {
        int saved = push_frame(cur_);
        assign_targets(s.targets, item);
        bool keep = truthy(eval(*s.cond));
        pop_frame(saved);
        if (keep) kept.push_back(item);
      }
      materialized = std::move(kept);
      source = &materialized;
    }
    const std::vector<Value>& items = *source;
    if (items.empty()) return exec_body(s.else_body, out);
    const auto n = static_cast<int64_t>(items.size());
    // One loop.cycle callable per loop, reading the current index.
    auto index = std::make_shared<int64_t>(0);
    const Value cycle = Value::callable("cycle", [index](CallArgs& a) -> Value {
      if (a.args.empty()) fail("no items for cycling given");
      return a.args[static_cast<size_t>(*index) % a.args.size()];
    });
    for (int64_t i = 0; i < n; ++i) {
      *index = i;
      budget_.charge(1);
      int saved = push_frame(cur_);
      assign_targets(s.targets, items[static_cast<size_t>(i)]);
      ValueObject loop;
      loop.items.reserve(12);
      loop.items.emplace_back("index", Value(i + 1));
      loop.items.emplace_back("index0", Value(i));
      loop.items.emplace_back("revindex", Value(n - i));
      loop.items.emplace_back("revindex0", Value(n - i - 1));
      loop.items.emplace_back("first", Value(i == 0));
      loop.items.emplace_back("last", Value(i == n - 1));
      loop.items.emplace_back("length", Value(n));
      loop.items.emplace_back("depth", Value(1));
      loop.items.emplace_back("depth0", Value(0));
      if (i > 0) loop.items.emplace_back("previtem", items[static_cast<size_t>(i - 1)]);
      if (i + 1 < n) loop.items.emplace_back("nextitem", items[static_cast<size_t>(i + 1)]);
      loop.items.emplace_back("cycle", cycle);
      assign("loop", Value::object(std::move(loop)));
      Flow f = exec_body(s.body, out);
      pop_frame(saved);
      if (f == Flow::kBreak) break;
    }
    return Flow::kNormal;
  }

  Value call_macro(const Stmt& m, CallArgs& a) {
    if (call_depth_ >= env_.limits.max_call_depth) {
      fail("macro recursion deeper than " + std::to_string(env_.limits.max_call_depth), TemplateError::Kind::kLimit);
    }
    if (a.args.size() > m.targets.size()) {
      fail("macro '" + m.text + "' takes not more than " + std::to_string(m.targets.size()) + " argument(s)");
    }
    for (const auto& kv : a.kwargs) {
      if (std::find(m.targets.begin(), m.targets.end(), kv.first) == m.targets.end()) {
        fail("macro '" + m.text + "' takes no keyword argument '" + kv.first + "'");
      }
    }
    ++call_depth_;
    int saved = push_frame(1);
    for (size_t i = 0; i < m.targets.size(); ++i) {
      if (a.has(i, m.targets[i])) {
        assign(m.targets[i], a.get(i, m.targets[i]));
      } else if (m.defaults[i]) {
        assign(m.targets[i], eval(*m.defaults[i]));
      } else {
        assign(m.targets[i], Value::undefined("parameter '" + m.targets[i] + "' was not provided"));
      }
    }
    std::string out;
    exec_body(m.body, out);
    pop_frame(saved);
    --call_depth_;
    return Value(std::move(out));
  }

  // ---- expressions ----
  Value eval(const Expr& e) {
    DepthGuard guard(&depth_);
    budget_.charge(1);
    try {
      return eval_impl(e);
    } catch (TemplateError& err) {
      if (err.line == 0) {
        err.line = e.line;
        err.column = e.column;
      }
      throw;
    }
  }

  CallArgs eval_args(const Expr& e, size_t first) {
    CallArgs a;
    for (size_t i = first; i < e.args.size(); ++i) a.args.push_back(eval(*e.args[i]));
    for (const auto& [k, v] : e.kwargs) a.kwargs.emplace_back(k, eval(*v));
    return a;
  }

  static Value invoke(const Value& fn, CallArgs& args) {
    if (fn.is_callable()) return fn.callable_fn().fn(args);
    if (fn.is_undefined()) fail_undefined(fn);
    fail("'" + type_name(fn) + "' object is not callable");
  }

  bool compare_op(const std::string& op, const Value& a, const Value& b) {
    if (op == "==") return equals(a, b);
    if (op == "!=") return !equals(a, b);
    if (op == "in") return contains(b, a);
    if (op == "not in") return !contains(b, a);
    int c = compare(a, b);
    if (op == "<") return c < 0;
    if (op == "<=") return c <= 0;
    if (op == ">") return c > 0;
    return c >= 0;
  }

  Value eval_impl(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kLiteral: return e.literal;
      case ExprKind::kName: return lookup(e.name);
      case ExprKind::kList: {
        ValueArray items;
        for (const ExprPtr& x : e.args) items.push_back(eval(*x));
        return Value::array(std::move(items), e.is_tuple);
      }
      case ExprKind::kDict: {
        ValueObject obj;
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          Value k = eval(*e.args[i]);
          if (!k.is_string()) fail("only string dict keys are supported");
          obj.set(k.str(), eval(*e.args[i + 1]));
        }
        return Value::object(std::move(obj));
      }
      case ExprKind::kGetAttr: return get_attr(eval(*e.args[0]), e.name, budget_);
      case ExprKind::kGetItem: {
        Value obj = eval(*e.args[0]);
        return get_item(obj, eval(*e.args[1]), budget_);
      }
      case ExprKind::kSlice: {
        Value obj = eval(*e.args[0]);
        Value parts[3];
        for (int i = 0; i < 3; ++i) {
          if (e.args[static_cast<size_t>(i) + 1]) parts[i] = eval(*e.args[static_cast<size_t>(i) + 1]);
        }
        return slice(obj, parts[0], parts[1], parts[2]);
      }
      case ExprKind::kCall: {
        const Expr& callee = *e.args[0];
        if (callee.kind == ExprKind::kGetAttr) {
          Value obj = eval(*callee.args[0]);
          CallArgs args = eval_args(e, 1);
          Value result;
          if (call_method(obj, callee.name, args, budget_, &result)) return result;
          return invoke(get_attr(obj, callee.name, budget_), args);
        }
        Value fn = eval(callee);
        CallArgs args = eval_args(e, 1);
        return invoke(fn, args);
      }
      case ExprKind::kFilter: {
        Value in = eval(*e.args[0]);
        CallArgs args = eval_args(e, 1);
        return apply_filter(e.name, in, args, budget_);
      }
      case ExprKind::kTest: {
        Value in = eval(*e.args[0]);
        CallArgs args = eval_args(e, 1);
        return Value(apply_test(e.name, in, args, budget_) != e.negated);
      }
      case ExprKind::kUnary: return unary_op(e.name, eval(*e.args[0]));
      case ExprKind::kBinary: {
        Value l = eval(*e.args[0]);
        if (e.name == "and") return truthy(l) ? eval(*e.args[1]) : l;
        if (e.name == "or") return truthy(l) ? l : eval(*e.args[1]);
        return binary_op(e.name, l, eval(*e.args[1]), budget_);
      }
      case ExprKind::kCompare: {
        Value left = eval(*e.args[0]);
        for (size_t i = 0; i < e.ops.size(); ++i) {
          Value right = eval(*e.args[i + 1]);
          if (!compare_op(e.ops[i], left, right)) return Value(false);
          left = std::move(right);
        }
        return Value(true);
      }
      case ExprKind::kCondExpr:
        if (truthy(eval(*e.args[1]))) return eval(*e.args[0]);
        return e.args[2] ? eval(*e.args[2]) : Value::undefined("the inline if-expression on line " + std::to_string(e.line) + " evaluated to false and no else section was defined.");
    }
    fail("unsupported expression");
  }

  const RenderEnv& env_;
  Budget budget_;
  std::vector<Frame> frames_;
  int cur_ = 0;
  int depth_ = 0;
  int call_depth_ = 0;
};

}  // namespace

std::string render(const Body& body, const RenderEnv& env) { return Evaluator(env).run(body); }

}  // namespace mms::jinja
