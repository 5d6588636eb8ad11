// Chat-template failures: syntax and runtime errors name the line and column, raise_exception() returns
// the template's own message, and hostile templates or inputs (deep nesting, huge loops, runaway output,
// recursion, mangled source) end in a Status, never a crash or a hang.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "model/chat_template/chat_template.h"
#include "testing/test_data.h"

namespace mms {
namespace {

Status render_status(const std::string& tmpl, const ChatTemplateOptions& opts = {},
                     const std::string& messages = "[]") {
  StatusOr<ChatTemplate> t = ChatTemplate::parse(tmpl);
  if (!t.ok()) return t.status();
  StatusOr<std::string> out = t->render(messages, false, opts);
  return out.ok() ? ok_status() : out.status();
}

std::string message_of(const std::string& tmpl) { return render_status(tmpl).message(); }

TEST(ChatTemplateErrors, SyntaxErrorsNameLineAndColumn) {
  EXPECT_EQ(message_of("{% if x %}abc"),
            "chat template syntax error at line 1, column 14: unexpected end of template, expected 'elif' or "
            "'else' or 'endif'");
  EXPECT_EQ(message_of("line1\n  {{ x | nofilter }}"),
            "chat template syntax error at line 2, column 10: No filter named 'nofilter'");
  EXPECT_EQ(message_of("{{ x is nottest }}"), "chat template syntax error at line 1, column 9: No test named 'nottest'");
  EXPECT_EQ(message_of("{{ 1 + }}"), "chat template syntax error at line 1, column 8: unexpected end of print statement");
  EXPECT_EQ(message_of("{% foo %}"), "chat template syntax error at line 1, column 4: unknown or unsupported tag 'foo'");
  EXPECT_EQ(message_of("{{ 'abc }}"), "chat template syntax error at line 1, column 4: unexpected end of string");
  EXPECT_EQ(message_of("ab\n{# abc"), "chat template syntax error at line 2, column 1: Missing end of comment tag");
  EXPECT_EQ(message_of("{{ (1 }}"), "chat template syntax error at line 1, column 7: unexpected '}', expected ')'");
  EXPECT_EQ(message_of("{% break %}"), "chat template syntax error at line 1, column 4: 'break' outside of a loop");
  EXPECT_EQ(message_of("{{ a b }}"), "chat template syntax error at line 1, column 6: expected end of print statement, got 'b'");
  EXPECT_EQ(message_of("{{ true is true is true }}"),
            "chat template syntax error at line 1, column 17: You cannot chain multiple tests with is");
  EXPECT_EQ(message_of("{% include 'x' %}"), "chat template syntax error at line 1, column 4: unknown or unsupported tag 'include'");
  EXPECT_EQ(render_status("{{").code(), StatusCode::kInvalidArgument);
}

TEST(ChatTemplateErrors, RuntimeErrorsNameTheFailingExpression) {
  EXPECT_EQ(message_of("a\n{{ 1 + 'x' }}"),
            "chat template error at line 2, column 6: unsupported operand type(s) for +: 'int' and 'str'");
  EXPECT_EQ(message_of("{{ x.y.z }}"), "chat template error at line 1, column 5: 'x' is undefined");
  EXPECT_EQ(message_of("{% for a in [1] %}\n  {{ a.b.c }}{% endfor %}"),
            "chat template error at line 2, column 9: 'int object' has no attribute 'b'");
  EXPECT_EQ(message_of("{% set q = 1 %}{% set q.x = 1 %}"),
            "chat template error at line 1, column 19: cannot assign attribute on non-namespace object");
  EXPECT_EQ(message_of("{{ x|tojson }}"), "chat template error at line 1, column 6: Object of type Undefined is not JSON serializable");
  EXPECT_EQ(message_of("{{ 1 // 0 }}"), "chat template error at line 1, column 6: integer division or modulo by zero");
  EXPECT_EQ(message_of("{% for a, b in [1] %}{% endfor %}"),
            "chat template error at line 1, column 4: cannot unpack non-iterable int object");
}

TEST(ChatTemplateErrors, RaiseExceptionReturnsTheMessage) {
  Status s = render_status("{% if messages|length == 0 %}{{ raise_exception('No messages: ' ~ 0) }}{% endif %}");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "No messages: 0");
}

TEST(ChatTemplateErrors, BadJsonInputs) {
  ChatTemplateOptions opts;
  EXPECT_EQ(render_status("x", opts, "[{").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(render_status("x", opts, "{}").message(), "messages: expected a JSON array");
  opts.tools_json = "[";
  EXPECT_EQ(render_status("x", opts).code(), StatusCode::kInvalidArgument);
  opts.tools_json = "";
  opts.extra_vars_json = "[1]";
  EXPECT_EQ(render_status("x", opts).message(), "extra template variables: expected a JSON object");
  // 10,000 nested arrays: rejected, not a stack overflow.
  std::string deep = std::string(10000, '[') + std::string(10000, ']');
  EXPECT_EQ(render_status("{{ messages }}", {}, deep).code(), StatusCode::kInvalidArgument);
}

TEST(ChatTemplateLimits, DeepNestingIsASyntaxError) {
  for (const std::string& t : {"{{ " + std::string(500, '(') + "1" + std::string(500, ')') + " }}",
                               "{{ " + std::string(300, '[') + std::string(300, ']') + " }}",
                               [] {
                                 std::string s;
                                 for (int i = 0; i < 300; ++i) s += "{% if true %}";
                                 for (int i = 0; i < 300; ++i) s += "{% endif %}";
                                 return s;
                               }(),
                               "{{ " + std::string(1000, '-') + "1 }}", "{{ " + [] {
                                 std::string s;
                                 for (int i = 0; i < 1000; ++i) s += "not ";
                                 return s;
                               }() + "1 }}"}) {
    Status s = render_status(t);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << t.substr(0, 40);
    EXPECT_NE(s.message().find("nested too deeply"), std::string::npos) << s.message();
  }
}

TEST(ChatTemplateLimits, RunawayTemplatesHitALimit) {
  ChatTemplateOptions opts;
  opts.max_output_bytes = 1 << 20;
  opts.max_steps = 2'000'000;
  for (const char* t : {
           "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
           "{{ 'x' * 1000000000 }}",
           "{% for i in range(100000000) %}{% endfor %}",
           "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
           "{% for i in range(1000000) %}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{% endfor %}",
           "{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
           "{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = ns.l + [i] %}{% endfor %}",
           "{% set ns = namespace(l=[]) %}{% for i in range(1000) %}{% set ns.l = [ns.l] %}{% endfor %}{{ ns.l }}",
       }) {
    Status s = render_status(t, opts);
    EXPECT_FALSE(s.ok()) << t;
    if (std::string(t).find("[ns.l]") == std::string::npos) {
      EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << t << ": " << s.to_string();
    }
  }
}

TEST(ChatTemplateLimits, NamespaceCannotContainItself) {
  EXPECT_EQ(message_of("{% set ns = namespace() %}{% set ns.x = [ns] %}"),
            "chat template error at line 1, column 30: cannot store a namespace inside a namespace");
}

std::string read_template(const std::string& file) {
  std::ifstream in(testing::test_data("chat_templates/" + file), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Randomly mangled real templates: every outcome is a Status (this test passing means no crash/hang).
TEST(ChatTemplateRobustness, MangledTemplatesNeverCrash) {
  const std::string base = read_template("qwen3.jinja") + read_template("llama3.1-instruct.jinja");
  ASSERT_FALSE(base.empty());
  const std::string messages =
      R"([{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
          {"role": "assistant", "content": "a", "tool_calls": [{"function": {"name": "f", "arguments": {"x": 1}}}]},
          {"role": "tool", "content": "t"}])";
  const std::string alphabet = "{}%#-+()[]'\"|.,:=~*/ \n\tabcnotifelsefor0123456789";
  std::mt19937 rng(1234);
  ChatTemplateOptions opts;
  opts.max_steps = 200'000;
  int rendered = 0;
  for (int iter = 0; iter < 1500; ++iter) {
    std::string t = base;
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % (t.size() + 1);
      switch (rng() % 3) {
        case 0: if (pos < t.size()) t.erase(pos, 1 + rng() % 16); break;
        case 1: t.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
        default: if (pos < t.size()) t[pos] = alphabet[rng() % alphabet.size()];
      }
    }
    StatusOr<ChatTemplate> parsed = ChatTemplate::parse(t);
    if (!parsed.ok()) continue;
    StatusOr<std::string> out = parsed->render(messages, iter % 2 == 0, opts);
    rendered += out.ok();
  }
  EXPECT_GT(rendered, 0);
}

TEST(ChatTemplateRobustness, ConcurrentRendersOfOneTemplateAgree) {
  StatusOr<ChatTemplate> t = ChatTemplate::parse(read_template("qwen3.jinja"));
  ASSERT_TRUE(t.ok());
  const std::string messages = R"([{"role": "user", "content": "hi"}])";
  StatusOr<std::string> expected = t->render(messages, true, {});
  ASSERT_TRUE(expected.ok());
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 0; i < 200; ++i) {
        StatusOr<std::string> out = t->render(messages, true, {});
        if (!out.ok() || *out != *expected) ++mismatches[static_cast<size_t>(k)];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace mms
