// Jinja features one by one: each row renders a small template over fixed variables and compares with the
// output written out literally. The expected strings are what Python Jinja2 3.1.6 prints with Hugging
// Face's settings (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, HF's tojson): every row was
// cross-checked against it when written.
#include <gtest/gtest.h>

#include <string>

#include "model/chat_template/chat_template.h"

namespace mms {
namespace {

constexpr const char* kVars = R"j({"d": {"a": 1, "b": [1, 2]}, "s": "  Hello World  ", "l": [3, 1, 2], "n": null, "u": "h\u00e9llo w\u00f6rld", "msgs": [{"role": "user", "content": "hi", "type": "text"}, {"role": "assistant", "content": "yo"}, {"role": "user", "content": "x"}], "t": true, "e": "", "el": []})j";

struct Case {
  const char* tmpl;
  const char* expected;
};

const Case kCases[] = {
// ---- Literals ----
    {R"j({{ [1, 'two', none, true, 2.5, [3], {'k': 'v'}] }})j",
     R"j([1, 'two', None, True, 2.5, [3], {'k': 'v'}])j"},
    {R"j({{ (1, 2) }}|{{ (1,) }}|{{ none }}|{{ undefined_var }}|{{ False }})j",
     R"j((1, 2)|(1,)|None||False)j"},
    {R"j({{ "a" "b" }}{{ '\u00e9\x41' }}|{{ "it's" }}|{{ 0x1F }}|{{ 1_000 }})j",
     R"j(abéA|it's|31|1000)j"},
    {R"j({{ 1e20 }}|{{ 1e-5 }}|{{ 0.1 + 0.2 }}|{{ 1.0 }}|{{ 1e16 }}|{{ 123.456 }})j",
     R"j(1e+20|1e-05|0.30000000000000004|1.0|1e+16|123.456)j"},
// ---- Arithmetic ----
    {R"j({{ 1 + 2 }}|{{ 7 - 10 }}|{{ 2 * 3 }}|{{ 7 / 2 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ 7 % 3 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}|{{ 10 / 5 }})j",
     R"j(3|-3|6|3.5|3|-4|1|2|1024|2.0)j"},
    {R"j({{ 1 + 2 * 3 - 4 / 2 }}|{{ (1 + 2) * 3 }}|{{ -2 ** 2 }}|{{ 2 ** 3 ** 2 }}|{{ 7.5 // 2 }}|{{ -7.5 % 2 }})j",
     R"j(5.0|9|4|64|3.0|0.5)j"},
    {R"j({{ 'a' ~ 1 ~ none ~ true }}|{{ 'ab' * 3 }}|{{ [1] * 2 }}|{{ [1] + [2] }}|{{ 'x' + 'y' }}|{{ '%s=%d' % ('k', 3) }})j",
     R"j(a1NoneTrue|ababab|[1, 1]|[1, 2]|xy|k=3)j"},
    {R"j({{ l|length + 1 }}|{{ -3|abs }}|{{ not l|length }})j",
     R"j(4|3|False)j"},
// ---- Comparisons ----
    {R"j({{ 1 < 2 < 3 }}|{{ 1 < 2 > 3 }}|{{ 1 == 1.0 }}|{{ true == 1 }}|{{ 'a' != 'b' }}|{{ [1, 2] == [1, 2] }}|{{ {'a': 1} == {'a': 1} }}|{{ 'b' >= 'a' }})j",
     R"j(True|False|True|True|True|True|True|True)j"},
    {R"j({{ 'a' in 'cat' }}|{{ 2 in l }}|{{ 'a' in d }}|{{ 'z' not in d }}|{{ 5 not in l }}|{{ 'x' in undefined_var }})j",
     R"j(True|True|True|True|True|False)j"},
    {R"j({{ true and 'yes' }}|{{ false or 'fallback' }}|{{ none or 0 }}|{{ not 0 }}|{{ '' and 1 }}|{{ not x is defined }})j",
     R"j(yes|fallback|0|True||True)j"},
    {R"j({{ 'yes' if t else 'no' }}|{{ 'yes' if n else 'no' }}|{{ 'a' if false }}|{{ 1 if 0 else 2 if 0 else 3 }})j",
     R"j(yes|no||3)j"},
// ---- Access ----
    {R"j({{ d.a }}|{{ d['b'][1] }}|{{ d.b.0 }}|{{ d.missing }}|{{ l[-1] }}|{{ l[10] }}|{{ msgs[0]['role'] }}|{{ msgs[-1].content }})j",
     R"j(1|2|1||2||user|x)j"},
    {R"j({{ l[::-1] }}|{{ l[1:] }}|{{ l[:-1] }}|{{ l[::2] }}|{{ u[1:4] }}|{{ u[::-1] }}|{{ 'abc'[-1] }}|{{ l[5:] }}|{{ (1, 2, 3)[1:] }})j",
     R"j([2, 1, 3]|[1, 2]|[3, 1]|[3, 2]|éll|dlröw olléh|c|[]|(2, 3))j"},
// ---- Filters ----
    {R"j({{ s|trim }}|{{ 'xxhixx'|trim('x') }}|{{ s|length }}|{{ u|length }}|{{ d|length }}|{{ undefined_var|length }}|{{ l|count }})j",
     R"j(Hello World|hi|15|11|2|0|3)j"},
    {R"j({{ u|upper }}|{{ 'ABC'|lower }}|{{ 'hello world'|capitalize }}|{{ 'hELLO wORLD-x'|title }}|{{ l|first }}|{{ l|last }}|{{ 'abc'|first }})j",
     R"j(HÉLLO WÖRLD|abc|Hello world|Hello World-X|3|2|a)j"},
    {R"j({{ l|join }}|{{ l|join(', ') }}|{{ msgs|join('-', attribute='role') }}|{{ msgs|map(attribute='role')|join(',') }}|{{ ['a', 'b']|map('upper')|list }}|{{ msgs|map(attribute='nope', default='?')|list }})j",
     R"j(312|3, 1, 2|user-assistant-user|user,assistant,user|['A', 'B']|['?', '?', '?'])j"},
    {R"j({{ undefined_var|default('dflt') }}|{{ e|default('dflt') }}|{{ e|default('dflt', true) }}|{{ n|default('x') }}|{{ undefined_var|d('y') }})j",
     R"j(dflt||dflt|None|y)j"},
    {R"j({{ 1|string ~ 'x' }}|{{ l|string }}|{{ '42'|int + 1 }}|{{ '3.9'|int }}|{{ 'zz'|int }}|{{ 'zz'|int(7) }}|{{ 3.9|int }}|{{ '2.5'|float }})j",
     R"j(1x|[3, 1, 2]|43|3|0|7|3|2.5)j"},
    {R"j({{ 'abc'|list }}|{{ d|list }}|{{ d|items|list }}|{{ undefined_var|items|list }}|{{ l|sort }}|{{ l|sort(reverse=true) }}|{{ ['b', 'A', 'c']|sort }}|{{ d|dictsort }})j",
     R"j(['a', 'b', 'c']|['a', 'b']|[('a', 1), ('b', [1, 2])]|[]|[1, 2, 3]|[3, 2, 1]|['A', 'b', 'c']|[('a', 1), ('b', [1, 2])])j"},
    {R"j({{ 'aXbXc'|replace('X', '-') }}|{{ 'aXbXc'|replace('X', '-', 1) }}|{{ '<b>'|safe }}|{{ '<a href="x">&'|escape }}|{{ 2.5|round }}|{{ 2.567|round(2) }}|{{ 2.1|round(method='ceil') }})j",
     R"j(a-b-c|a-bXc|<b>|&lt;a href=&#34;x&#34;&gt;&amp;|2.0|2.57|3.0)j"},
    {R"j({{ msgs|selectattr('role', 'equalto', 'user')|list|length }}|{{ msgs|rejectattr('role', 'equalto', 'user')|map(attribute='content')|first }}|{{ msgs|selectattr('type')|list|length }}|{{ msgs|selectattr('type', 'defined')|map(attribute='role')|join }}|{{ msgs|rejectattr('type', 'undefined')|list|length }})j",
     R"j(2|yo|1|user|1)j"},
    {R"j({{ l|select('odd')|list }}|{{ l|reject('odd')|list }}|{{ [0, 1, '', 'a', none]|select|list }}|{{ l|select('greaterthan', 1)|list }}|{{ l|sum }}|{{ l|min }}|{{ l|max }}|{{ [1, 1, 2]|unique|list }}|{{ l|reverse|list }})j",
     R"j([3, 1]|[2]|[1, 'a']|[3, 2]|6|1|3|[1, 2]|[2, 1, 3])j"},
    {R"j({{ 'a\nb\n\nc'|indent }}|{{ 'a\nb'|indent(2, true) }}|{{ '%s-%s'|format('x', 1) }}|{{ 'one two'|wordcount }})j",
     R"j(a
    b

    c|  a
  b|x-1|2)j"},
// ---- ToJson ----
    {R"j({{ d|tojson }}|{{ {'b': 1, 'a': 2}|tojson }}|{{ 'é\t"\\'|tojson }}|{{ 1.0|tojson }}|{{ none|tojson }}|{{ (1, 2)|tojson }}|{{ 1e100|tojson }})j",
     R"j({"a": 1, "b": [1, 2]}|{"b": 1, "a": 2}|"é\t\"\\"|1.0|null|[1, 2]|1e+100)j"},
    {R"j({{ d|tojson(indent=2) }}|{{ [1, [], {}]|tojson(indent=4) }})j",
     R"j({
  "a": 1,
  "b": [
    1,
    2
  ]
}|[
    1,
    [],
    {}
])j"},
    {R"j({{ 'é😀'|tojson(ensure_ascii=true) }}|{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }}|{{ {'a': [1, 2]}|tojson(separators=(',', ':')) }})j",
     R"j("\u00e9\ud83d\ude00"|{"a": 2, "b": 1}|{"a":[1,2]})j"},
// ---- Tests ----
    {R"j({{ x is defined }}|{{ d is defined }}|{{ x is undefined }}|{{ n is none }}|{{ n is not none }}|{{ t is boolean }}|{{ 1 is boolean }}|{{ false is false }}|{{ 0 is false }}|{{ true is true }})j",
     R"j(False|True|True|True|False|True|False|True|False|True)j"},
    {R"j({{ 1 is integer }}|{{ true is integer }}|{{ 1.0 is float }}|{{ 1 is number }}|{{ true is number }}|{{ 'x' is number }}|{{ 'x' is string }}|{{ 1 is string }}|{{ d is mapping }}|{{ l is mapping }})j",
     R"j(True|False|True|True|True|False|True|False|True|False)j"},
    {R"j({{ l is iterable }}|{{ 'x' is iterable }}|{{ d is iterable }}|{{ 1 is iterable }}|{{ n is iterable }}|{{ l is sequence }}|{{ 'x' is sequence }}|{{ 1 is sequence }}|{{ d is sequence }})j",
     R"j(True|True|True|False|False|True|True|False|True)j"},
    {R"j({{ 3 is odd }}|{{ 3 is even }}|{{ 9 is divisibleby 3 }}|{{ 9 is divisibleby(4) }}|{{ 'a' is eq 'a' }}|{{ 'a' is equalto('b') }}|{{ 2 is ne 3 }}|{{ 2 is lt 3 }}|{{ 1 is in l }}|{{ range is callable }})j",
     R"j(True|False|True|False|True|False|True|True|True|True)j"},
// ---- Methods ----
    {R"j({{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxaxx'.strip('x') }}|{{ s.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a,b,c'.rsplit(',', 1) }})j",
     R"j(Hello World|Hello World  |  Hello World|a|['Hello', 'World']|['a', 'b', '', 'c']|['a', 'b,c']|['a,b', 'c'])j"},
    {R"j({{ s.upper() }}|{{ s.lower() }}|{{ 'hello world'.title() }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith('bc') }}|{{ 'abc'.startswith(('x', 'a')) }}|{{ 'abc'.endswith('x') }})j",
     R"j(  HELLO WORLD  |  hello world  |Hello World|bba|True|True|True|False)j"},
    {R"j({{ 'hello'.find('l') }}|{{ 'hello'.count('l') }}|{{ ', '.join(['a', 'b']) }}|{{ '{} and {}'.format(1, 'x') }}|{{ '123'.isdigit() }})j",
     R"j(2|2|a, b|1 and x|True)j"},
    {R"j({{ d.keys()|list }}|{{ d.values()|list }}|{{ d.get('a') }}|{{ d.get('zz') }}|{{ d.get('zz', 'dflt') }}|{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %})j",
     R"j(['a', 'b']|[1, [1, 2]]|1|None|dflt|a=1;b=[1, 2];)j"},
// ---- Statements ----
    {R"j({% for x in l %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}:{{ x }} {% endfor %})j",
     R"j(1/0/3/2/True/False/3:3 2/1/2/1/False/False/3:1 3/2/1/0/False/True/3:2 )j"},
    {R"j({% for x in el %}{{ x }}{% else %}empty{% endfor %}|{% for x in l if x > 1 %}{{ x }}{{ loop.length }}{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{% for c in "hé" %}{{ c }}.{% endfor %})j",
     R"j(empty|3222|ab|h.é.)j"},
    {R"j({% for k, v in d|items %}{{ k }}={{ v }};{% endfor %}|{% for x in l|sort %}{{ x }}{% endfor %})j",
     R"j(a=1;b=[1, 2];|123)j"},
    {R"j({% for x in l %}{% if x == 1 %}{% break %}{% endif %}{{ x }}{% endfor %}|{% for x in l %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %})j",
     R"j(3|32)j"},
    {R"j({% for x in l %}{{ loop.previtem }}-{{ loop.nextitem }}-{{ loop.cycle("a", "b") }} {% endfor %})j",
     R"j(-1-a 3-2-b 1--a )j"},
    {R"j({% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }}|{% endfor %})j",
     R"j(113 214 1|123 224 2|)j"},
    {R"j({% set x = 1 %}{% for i in l %}{% set x = i %}{% endfor %}{{ x }}|{% for i in range(3) %}{% if i == 0 %}{% set y = "a" %}{% endif %}[{{ y }}]{% endfor %}|{% if t %}{% set z = 5 %}{% endif %}{{ z }})j",
     R"j(1|[a][][]|5)j"},
    {R"j({% set ns = namespace(x=1, found=false) %}{% for i in l %}{% set ns.x = ns.x + i %}{% if i == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.x }} {{ ns.found }})j",
     R"j(7 True)j"},
    {R"j({% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, d2 = [3, 4] %}{{ c }}{{ d2 }}|{% set x %}captured {{ 1 + 1 }}{% endset %}[{{ x }}])j",
     R"j(1234|[captured 2])j"},
    {R"j({% if false %}a{% elif n %}b{% elif 1 %}c{% else %}d{% endif %})j",
     R"j(c)j"},
    {R"j({% macro greet(name, greeting="Hello") %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet("Bob") }} {{ greet("Al", greeting="Hi") }} {{ greet("X", "Yo") }})j",
     R"j(Hello, Bob! Hi, Al! Yo, X!)j"},
    {R"j({% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(5) }}|{% macro m() %}{{ s|trim }}{% endmacro %}{{ m() }})j",
     R"j(54321|Hello World)j"},
    {R"j({% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}|{% raw %}{{ not evaluated }}{% endraw %})j",
     R"j(3|{{ not evaluated }})j"},
    {R"j({{ range(3)|list }}{{ range(1, 10, 3)|list }}{{ range(5, 0, -2)|list }}|{{ namespace(a=1).a }}|{{ dict(x=1, y=2) }})j",
     R"j([0, 1, 2][1, 4, 7][5, 3, 1]|1|{'x': 1, 'y': 2})j"},
// ---- Whitespace ----
    {R"j({# comment #}a{# another
multiline #}b)j",
     R"j(ab)j"},
    {R"j(  {% if true %}
  x
  {% endif %}
  y)j",
     R"j(  x
  y)j"},
    {R"j({% for x in l %}
  {{ x }}
{% endfor %}
)j",
     R"j(  3
  1
  2
)j"},
    {R"j(a  {%- if true -%}  b  {%- endif -%}  c)j",
     R"j(abc)j"},
    {R"j(a
{{- 1 -}}
b {{ 2 }} 
 c)j",
     R"j(a1b 2 
 c)j"},
    {R"j(a
  {%+ if true %}x{% endif %}
)j",
     R"j(a
  x)j"},
    {R"j({% if true +%}
keep
{% endif %})j",
     R"j(
keep
)j"},
    {R"j(  {#- c -#}  
 x  {# c2 #}
 y)j",
     R"j(x   y)j"},
    {"line\r\nwin\r\n{% if true %}\r\nx{% endif %}\r\n",
     R"j(line
win
x)j"},
    {R"j(trailing

)j",
     R"j(trailing
)j"},
    {R"j(  {{ "expr lines keep indentation" }}
{% if true %}  x{% endif %})j",
     R"j(  expr lines keep indentation
  x)j"},

};

std::string render(const std::string& tmpl, std::string* error) {
  StatusOr<ChatTemplate> t = ChatTemplate::parse(tmpl);
  if (!t.ok()) {
    *error = t.status().to_string();
    return "";
  }
  ChatTemplateOptions opts;
  opts.extra_vars_json = kVars;
  StatusOr<std::string> out = t->render("[]", false, opts);
  if (!out.ok()) {
    *error = out.status().to_string();
    return "";
  }
  return *out;
}

class JinjaFeatureTest : public ::testing::TestWithParam<Case> {};

TEST_P(JinjaFeatureTest, RendersLikePythonJinja) {
  std::string error;
  std::string out = render(GetParam().tmpl, &error);
  ASSERT_EQ(error, "") << GetParam().tmpl;
  EXPECT_EQ(out, GetParam().expected) << GetParam().tmpl;
}

INSTANTIATE_TEST_SUITE_P(All, JinjaFeatureTest, ::testing::ValuesIn(kCases));

TEST(JinjaFeature, GenerationBlockRendersItsBody) {
  std::string error;
  EXPECT_EQ(render("a{% generation %}b{{ 1 }}{% endgeneration %}c", &error), "ab1c");
  EXPECT_EQ(error, "");
}

TEST(JinjaFeature, WhitespaceControlCanBeTurnedOff) {
  ChatTemplateParseOptions plain;
  plain.trim_blocks = false;
  plain.lstrip_blocks = false;
  plain.keep_trailing_newline = true;
  StatusOr<ChatTemplate> t = ChatTemplate::parse("  {% if true %}\nx\n  {% endif %}\n", plain);
  ASSERT_TRUE(t.ok());
  StatusOr<std::string> out = t->render("[]", false, {});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "  \nx\n  \n");
}

}  // namespace
}  // namespace mms
