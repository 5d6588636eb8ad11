#include "model/chat_template/parser.h"

#include <initializer_list>

#include "model/chat_template/builtins.h"
#include "model/chat_template/template_error.h"

namespace mms::jinja {
namespace {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  Body parse_all() {
    Body body = parse_body({});
    if (cur().type != TokenType::kEof) error("unexpected '" + cur().text + "'");
    return body;
  }

 private:
  // ---- token helpers ----
  const Token& cur() const { return toks_[pos_]; }
  const Token& peek(size_t k = 1) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  void advance() {
    if (pos_ + 1 < toks_.size()) ++pos_;
  }
  bool is_op(const char* op) const { return cur().type == TokenType::kOp && cur().text == op; }
  bool is_name(const char* name) const { return cur().type == TokenType::kName && cur().text == name; }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(const char* name) {
    if (!is_name(name)) return false;
    advance();
    return true;
  }
  std::string describe(const Token& t) const {
    if (t.type == TokenType::kName || t.type == TokenType::kOp) return "'" + t.text + "'";
    return token_type_name(t.type);
  }
  [[noreturn]] void error(const std::string& msg) const { fail_at(msg, cur().line, cur().column); }
  void expect_op(const char* op) {
    if (!skip_op(op)) error(std::string("expected '") + op + "', got " + describe(cur()));
  }
  std::string expect_name() {
    if (cur().type != TokenType::kName) error("expected a name, got " + describe(cur()));
    std::string n = cur().text;
    advance();
    return n;
  }
  void expect_block_end() {
    if (cur().type != TokenType::kBlockEnd) error("expected end of statement block, got " + describe(cur()));
    advance();
  }

  struct DepthGuard {
    explicit DepthGuard(Parser* p) : p_(p) {
      if (++p_->depth_ > kMaxParseDepth) p_->error("template nested too deeply");
    }
    ~DepthGuard() { --p_->depth_; }
    Parser* p_;
  };

  ExprPtr make(ExprKind kind, const Token& at) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = at.line;
    e->column = at.column;
    return e;
  }
  StmtPtr make_stmt(StmtKind kind, const Token& at) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->line = at.line;
    s->column = at.column;
    return s;
  }

  // ---- statements ----
  // Parses until EOF or `{% name` with name in `ends` (left current, the block-begin consumed).
  Body parse_body(std::initializer_list<const char*> ends) {
    DepthGuard guard(this);
    Body body;
    while (true) {
      const Token& t = cur();
      if (t.type == TokenType::kEof) {
        if (ends.size()) {
          std::string want;
          for (const char* e : ends) want += std::string(want.empty() ? "" : " or ") + "'" + e + "'";
          error("unexpected end of template, expected " + want);
        }
        return body;
      }
      if (t.type == TokenType::kText) {
        auto s = make_stmt(StmtKind::kText, t);
        s->text = t.text;
        body.push_back(std::move(s));
        advance();
      } else if (t.type == TokenType::kVarBegin) {
        auto s = make_stmt(StmtKind::kOutput, t);
        advance();
        s->expr = parse_tuple(true);
        if (cur().type != TokenType::kVarEnd) error("expected end of print statement, got " + describe(cur()));
        advance();
        body.push_back(std::move(s));
      } else if (t.type == TokenType::kBlockBegin) {
        const Token& name = peek();
        if (name.type == TokenType::kName) {
          for (const char* e : ends) {
            if (name.text == e) {
              advance();
              return body;
            }
          }
        }
        advance();
        body.push_back(parse_statement());
      } else {
        error("unexpected " + describe(t));
      }
    }
  }

  StmtPtr parse_statement() {
    const Token at = cur();
    if (at.type != TokenType::kName) error("tag name expected");
    const std::string tag = at.text;
    advance();
    if (tag == "if") return parse_if(at);
    if (tag == "for") return parse_for(at);
    if (tag == "set") return parse_set(at);
    if (tag == "macro") return parse_macro(at);
    if (tag == "with") return parse_with(at);
    if (tag == "generation") {
      auto s = make_stmt(StmtKind::kScope, at);
      s->new_scope = false;
      expect_block_end();
      s->body = parse_body({"endgeneration"});
      advance();
      expect_block_end();
      return s;
    }
    if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) fail_at("'" + tag + "' outside of a loop", at.line, at.column);
      expect_block_end();
      return make_stmt(tag == "break" ? StmtKind::kBreak : StmtKind::kContinue, at);
    }
    fail_at("unknown or unsupported tag '" + tag + "'", at.line, at.column);
  }

  StmtPtr parse_if(const Token& at) {
    auto s = make_stmt(StmtKind::kIf, at);
    while (true) {
      ExprPtr cond = parse_tuple(true);
      expect_block_end();
      Body body = parse_body({"elif", "else", "endif"});
      s->branches.emplace_back(std::move(cond), std::move(body));
      std::string which = cur().text;
      advance();
      if (which == "elif") continue;
      if (which == "else") {
        expect_block_end();
        s->else_body = parse_body({"endif"});
        advance();
      }
      expect_block_end();
      return s;
    }
  }

  // Assignment targets: `a`, `a, b`, `(a, b)`.
  std::vector<std::string> parse_targets() {
    std::vector<std::string> names;
    bool paren = skip_op("(");
    do {
      if (is_name("in") && !names.empty()) break;
      names.push_back(expect_name());
    } while (skip_op(","));
    if (paren) expect_op(")");
    return names;
  }

  StmtPtr parse_for(const Token& at) {
    auto s = make_stmt(StmtKind::kFor, at);
    s->targets = parse_targets();
    if (!skip_name("in")) error("expected 'in', got " + describe(cur()));
    s->expr = parse_tuple(false);
    if (skip_name("if")) s->cond = parse_expression(true);
    if (is_name("recursive")) error("recursive loops are not supported");
    expect_block_end();
    ++loop_depth_;
    s->body = parse_body({"else", "endfor"});
    --loop_depth_;
    if (cur().text == "else") {
      advance();
      expect_block_end();
      s->else_body = parse_body({"endfor"});
    }
    advance();
    expect_block_end();
    return s;
  }

  StmtPtr parse_set(const Token& at) {
    if (cur().type == TokenType::kName && peek().type == TokenType::kOp && peek().text == ".") {
      auto s = make_stmt(StmtKind::kSet, at);
      s->text = expect_name();
      advance();
      s->attr = expect_name();
      expect_op("=");
      s->expr = parse_tuple(true);
      expect_block_end();
      return s;
    }
    std::vector<std::string> targets = parse_targets();
    if (skip_op("=")) {
      auto s = make_stmt(StmtKind::kSet, at);
      s->targets = std::move(targets);
      s->expr = parse_tuple(true);
      expect_block_end();
      return s;
    }
    if (targets.size() != 1) error("expected '='");
    if (is_op("|")) error("filtered block set is not supported");
    auto s = make_stmt(StmtKind::kSetBlock, at);
    s->targets = std::move(targets);
    expect_block_end();
    s->body = parse_body({"endset"});
    advance();
    expect_block_end();
    return s;
  }

  StmtPtr parse_macro(const Token& at) {
    auto s = make_stmt(StmtKind::kMacro, at);
    s->text = expect_name();
    expect_op("(");
    while (!is_op(")")) {
      if (!s->targets.empty()) expect_op(",");
      if (is_op(")")) break;
      s->targets.push_back(expect_name());
      s->defaults.push_back(skip_op("=") ? parse_expression(true) : nullptr);
    }
    advance();
    expect_block_end();
    int saved = loop_depth_;
    loop_depth_ = 0;
    s->body = parse_body({"endmacro"});
    loop_depth_ = saved;
    advance();
    if (cur().type == TokenType::kName && cur().text == s->text) advance();
    expect_block_end();
    return s;
  }

  StmtPtr parse_with(const Token& at) {
    auto s = make_stmt(StmtKind::kScope, at);
    while (cur().type != TokenType::kBlockEnd) {
      if (!s->targets.empty()) expect_op(",");
      s->targets.push_back(expect_name());
      expect_op("=");
      s->defaults.push_back(parse_expression(true));
    }
    expect_block_end();
    s->body = parse_body({"endwith"});
    advance();
    expect_block_end();
    return s;
  }

  // ---- expressions (Jinja2 precedence) ----
  ExprPtr parse_tuple(bool with_condexpr) {
    const Token at = cur();
    ExprPtr first = parse_expression(with_condexpr);
    if (!is_op(",")) return first;
    auto t = make(ExprKind::kList, at);
    t->is_tuple = true;
    t->args.push_back(std::move(first));
    while (skip_op(",")) {
      if (cur().type == TokenType::kBlockEnd || cur().type == TokenType::kVarEnd || is_op(")") ||
          is_name("if") || is_name("in")) {
        break;
      }
      t->args.push_back(parse_expression(with_condexpr));
    }
    return t;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    DepthGuard guard(this);
    if (!with_condexpr) return parse_or();
    const Token at = cur();
    ExprPtr expr = parse_or();
    while (skip_name("if")) {
      auto c = make(ExprKind::kCondExpr, at);
      ExprPtr cond = parse_or();
      ExprPtr other = skip_name("else") ? parse_expression(true) : nullptr;
      c->args.push_back(std::move(expr));
      c->args.push_back(std::move(cond));
      c->args.push_back(std::move(other));
      expr = std::move(c);
    }
    return expr;
  }

  ExprPtr binary(const char* op, ExprPtr l, ExprPtr r, const Token& at) {
    auto b = make(ExprKind::kBinary, at);
    b->name = op;
    b->args.push_back(std::move(l));
    b->args.push_back(std::move(r));
    return b;
  }

  ExprPtr parse_or() {
    ExprPtr l = parse_and();
    while (is_name("or")) {
      const Token at = cur();
      advance();
      l = binary("or", std::move(l), parse_and(), at);
    }
    return l;
  }

  ExprPtr parse_and() {
    ExprPtr l = parse_not();
    while (is_name("and")) {
      const Token at = cur();
      advance();
      l = binary("and", std::move(l), parse_not(), at);
    }
    return l;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(this);
      auto u = make(ExprKind::kUnary, cur());
      advance();
      u->name = "not";
      u->args.push_back(parse_not());
      return u;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const Token at = cur();
    ExprPtr first = parse_math1();
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (cur().type == TokenType::kOp &&
          (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == "<=" ||
           cur().text == ">" || cur().text == ">=")) {
        op = cur().text;
        advance();
      } else if (is_name("in")) {
        op = "in";
        advance();
      } else if (is_name("not") && peek().type == TokenType::kName && peek().text == "in") {
        op = "not in";
        advance();
        advance();
      } else {
        break;
      }
      if (!cmp) {
        cmp = make(ExprKind::kCompare, at);
        cmp->args.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->args.push_back(parse_math1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }

  ExprPtr parse_math1() {
    ExprPtr l = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token at = cur();
      const char* op = at.text == "+" ? "+" : "-";
      advance();
      l = binary(op, std::move(l), parse_concat(), at);
    }
    return l;
  }

  ExprPtr parse_concat() {
    ExprPtr l = parse_math2();
    while (is_op("~")) {
      const Token at = cur();
      advance();
      l = binary("~", std::move(l), parse_math2(), at);
    }
    return l;
  }

  ExprPtr parse_math2() {
    ExprPtr l = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token at = cur();
      std::string op = at.text;
      advance();
      ExprPtr r = parse_pow();
      auto b = make(ExprKind::kBinary, at);
      b->name = op;
      b->args.push_back(std::move(l));
      b->args.push_back(std::move(r));
      l = std::move(b);
    }
    return l;
  }

  ExprPtr parse_pow() {
    ExprPtr l = parse_unary(true);
    while (is_op("**")) {
      const Token at = cur();
      advance();
      l = binary("**", std::move(l), parse_unary(true), at);
    }
    return l;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(this);
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      auto u = make(ExprKind::kUnary, cur());
      u->name = cur().text;
      advance();
      u->args.push_back(parse_unary(false));
      node = std::move(u);
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr literal(Value v, const Token& at) {
    auto e = make(ExprKind::kLiteral, at);
    e->literal = std::move(v);
    return e;
  }

  ExprPtr parse_primary() {
    const Token at = cur();
    switch (at.type) {
      case TokenType::kName: {
        advance();
        if (at.text == "true" || at.text == "True") return literal(Value(true), at);
        if (at.text == "false" || at.text == "False") return literal(Value(false), at);
        if (at.text == "none" || at.text == "None") return literal(Value::none(), at);
        auto e = make(ExprKind::kName, at);
        e->name = at.text;
        return e;
      }
      case TokenType::kString: {
        std::string s = at.text;
        advance();
        while (cur().type == TokenType::kString) {
          s += cur().text;
          advance();
        }
        return literal(Value(std::move(s)), at);
      }
      case TokenType::kInt: advance(); return literal(Value(at.int_value), at);
      case TokenType::kFloat: advance(); return literal(Value(at.float_value), at);
      default: break;
    }
    if (skip_op("(")) {
      if (skip_op(")")) {
        auto t = make(ExprKind::kList, at);
        t->is_tuple = true;
        return t;
      }
      ExprPtr e = parse_tuple(true);
      expect_op(")");
      return e;
    }
    if (skip_op("[")) {
      auto l = make(ExprKind::kList, at);
      while (!is_op("]")) {
        if (!l->args.empty()) expect_op(",");
        if (is_op("]")) break;
        l->args.push_back(parse_expression(true));
      }
      advance();
      return l;
    }
    if (skip_op("{")) {
      auto d = make(ExprKind::kDict, at);
      while (!is_op("}")) {
        if (!d->args.empty()) expect_op(",");
        if (is_op("}")) break;
        d->args.push_back(parse_expression(true));
        expect_op(":");
        d->args.push_back(parse_expression(true));
      }
      advance();
      return d;
    }
    error("unexpected " + describe(at));
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      const Token at = cur();
      if (is_op(".")) {
        advance();
        if (cur().type == TokenType::kName) {
          auto g = make(ExprKind::kGetAttr, at);
          g->name = cur().text;
          advance();
          g->args.push_back(std::move(node));
          node = std::move(g);
        } else if (cur().type == TokenType::kInt) {
          auto g = make(ExprKind::kGetItem, at);
          g->args.push_back(std::move(node));
          g->args.push_back(literal(Value(cur().int_value), cur()));
          advance();
          node = std::move(g);
        } else {
          error("expected name or number after '.'");
        }
      } else if (is_op("[")) {
        advance();
        node = parse_subscript(std::move(node), at);
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr node, const Token& at) {
    ExprPtr parts[3];
    int part = 0;
    bool is_slice = false;
    while (!is_op("]")) {
      if (is_op(":")) {
        if (++part > 2) error("invalid slice");
        is_slice = true;
        advance();
        continue;
      }
      if (parts[part]) error("expected ']' or ':'");
      parts[part] = parse_expression(true);
      if (!is_slice && is_op(",")) error("tuple subscripts are not supported");
    }
    advance();
    if (!is_slice) {
      if (!parts[0]) error("expected an expression in '[]'");
      auto g = make(ExprKind::kGetItem, at);
      g->args.push_back(std::move(node));
      g->args.push_back(std::move(parts[0]));
      return g;
    }
    auto s = make(ExprKind::kSlice, at);
    s->args.push_back(std::move(node));
    for (auto& p : parts) s->args.push_back(std::move(p));
    return s;
  }

  // Parses `(args, kw=value)` into e->args (after any already there) and e->kwargs.
  void parse_call_args(Expr* e) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (is_op(")")) break;
      if (is_op("*") || is_op("**")) error("*args / **kwargs in calls are not supported");
      if (cur().type == TokenType::kName && peek().type == TokenType::kOp && peek().text == "=") {
        std::string key = cur().text;
        advance();
        advance();
        e->kwargs.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (!e->kwargs.empty()) error("positional argument follows keyword argument");
        e->args.push_back(parse_expression(true));
      }
    }
    advance();
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto c = make(ExprKind::kCall, cur());
    c->args.push_back(std::move(callee));
    parse_call_args(c.get());
    return c;
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        advance();
        const Token at = cur();
        auto f = make(ExprKind::kFilter, at);
        f->name = expect_name();
        while (is_op(".") && peek().type == TokenType::kName) {
          advance();
          f->name += "." + expect_name();
        }
        if (!is_known_filter(f->name)) fail_at("No filter named '" + f->name + "'", at.line, at.column);
        f->args.push_back(std::move(node));
        if (is_op("(")) parse_call_args(f.get());
        node = std::move(f);
      } else if (is_name("is")) {
        advance();
        const Token at = cur();
        auto t = make(ExprKind::kTest, at);
        t->negated = skip_name("not");
        t->name = expect_name();
        while (is_op(".") && peek().type == TokenType::kName) {
          advance();
          t->name += "." + expect_name();
        }
        if (!is_known_test(t->name)) fail_at("No test named '" + t->name + "'", at.line, at.column);
        t->args.push_back(std::move(node));
        const Token& c = cur();
        if (is_name("is")) error("You cannot chain multiple tests with is");
        if (is_op("(")) {
          parse_call_args(t.get());
        } else if ((c.type == TokenType::kName && c.text != "else" && c.text != "or" && c.text != "and" &&
                    c.text != "if" && c.text != "in" && c.text != "is" && c.text != "not") ||
                   c.type == TokenType::kString || c.type == TokenType::kInt || c.type == TokenType::kFloat ||
                   is_op("[") || is_op("{")) {
          ExprPtr arg = parse_primary();
          t->args.push_back(parse_postfix(std::move(arg)));
        }
        node = std::move(t);
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Body parse_template(std::string_view source, const LexOptions& opts) {
  return Parser(lex(source, opts)).parse_all();
}

}  // namespace mms::jinja
