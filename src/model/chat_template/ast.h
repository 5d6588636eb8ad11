// Chat-template syntax tree: expressions and statements the parser builds and the evaluator walks.
// Immutable after parsing; safe to share across threads for concurrent renders.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/chat_template/value.h"

namespace mms::jinja {

enum class ExprKind {
  kLiteral,   // literal
  kName,      // name
  kList,      // args: items (tuple when is_tuple)
  kDict,      // args: key0, value0, key1, value1, ...
  kGetAttr,   // args[0].name
  kGetItem,   // args[0][args[1]]
  kSlice,     // args[0][args[1]:args[2]:args[3]] (null entries omitted)
  kCall,      // args[0](args[1:], kwargs)
  kFilter,    // args[0] | name(args[1:], kwargs)
  kTest,      // args[0] is [not] name(args[1:])
  kUnary,     // name in {"not", "-", "+"}; args[0]
  kBinary,    // name in {"+","-","*","/","//","%","**","~","and","or"}; args[0], args[1]
  kCompare,   // args[0] ops[0] args[1] ops[1] args[2] ...; ops in {"==","!=","<","<=",">",">=","in","not in"}
  kCondExpr,  // args[0] if args[1] else args[2] (args[2] null: Undefined)
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  int line = 0;
  int column = 0;
  std::string name;
  Value literal;
  bool negated = false;   // kTest: `is not`
  bool is_tuple = false;  // kList
  std::vector<ExprPtr> args;
  std::vector<std::string> ops;  // kCompare
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
};

enum class StmtKind {
  kText,      // text
  kOutput,    // {{ expr }}
  kIf,        // branches (cond, body); else_body
  kFor,       // targets in expr [if cond]: body; else_body
  kSet,       // targets = expr; or attr_object.attr = expr (namespace assignment)
  kSetBlock,  // {% set targets[0] %}body{% endset %}
  kMacro,     // name(params = defaults): body
  kCallStmt,  // unused
  kBreak,
  kContinue,
  kScope,     // body in a new scope ({% with %}: targets = defaults), or plain body ({% generation %})
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
  StmtKind kind = StmtKind::kText;
  int line = 0;
  int column = 0;
  std::string text;                  // kText; kMacro: name; kSet namespace assignment: the namespace name
  std::string attr;                  // kSet: attribute for `ns.attr = ...`
  std::vector<std::string> targets;  // kFor / kSet / kSetBlock / kMacro params / kScope names
  std::vector<ExprPtr> defaults;     // kMacro defaults (null: none) / kScope values
  ExprPtr expr;                      // kOutput / kFor iterable / kSet value
  ExprPtr cond;                      // kFor inline filter
  std::vector<std::pair<ExprPtr, Body>> branches;  // kIf
  Body body;
  Body else_body;
  bool new_scope = true;  // kScope
};

}  // namespace mms::jinja
