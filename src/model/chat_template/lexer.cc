#include "model/chat_template/lexer.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "model/chat_template/py_string.h"
#include "model/chat_template/template_error.h"

namespace mms::jinja {
namespace {

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

class Lexer {
 public:
  Lexer(std::string_view source, const LexOptions& opts) : opts_(opts) {
    // Jinja normalizes \r\n and \r to \n and drops one trailing newline.
    src_.reserve(source.size());
    for (size_t i = 0; i < source.size(); ++i) {
      if (source[i] == '\r') {
        src_ += '\n';
        if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
      } else {
        src_ += source[i];
      }
    }
    if (!opts_.keep_trailing_newline && !src_.empty() && src_.back() == '\n') src_.pop_back();
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  std::vector<Token> run() {
    size_t pos = 0;
    bool line_starting = true;
    const size_t n = src_.size();
    while (pos < n) {
      size_t open = src_.find('{', pos);
      while (open != std::string::npos && open + 1 < n && src_[open + 1] != '{' && src_[open + 1] != '%' &&
             src_[open + 1] != '#') {
        open = src_.find('{', open + 1);
      }
      if (open == std::string::npos || open + 1 >= n) {
        emit_text(src_.substr(pos), pos);
        break;
      }
      const char kind = src_[open + 1];
      size_t after = open + 2;
      char sign = 0;
      if (after < n && (src_[after] == '-' || src_[after] == '+')) sign = src_[after++];
      std::string text = src_.substr(pos, open - pos);
      if (sign == '-') {
        while (!text.empty() && is_ws(text.back())) text.pop_back();
      } else if (sign != '+' && opts_.lstrip_blocks && kind != '{') {
        size_t nl = text.rfind('\n');
        size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
        if ((l_pos > 0 || line_starting) && l_pos < text.size() &&
            std::all_of(text.begin() + static_cast<long>(l_pos), text.end(), is_ws)) {
          text.resize(l_pos);
        }
      }
      emit_text(std::move(text), pos);
      if (kind == '#') {
        pos = lex_comment(open, after);
      } else if (kind == '%' && is_raw_begin(after, &pos)) {
        pos = lex_raw(pos, open);
      } else {
        pos = lex_tag(kind == '%', open, after);
      }
      line_starting = pos > 0 && src_[pos - 1] == '\n';
    }
    Token eof;
    eof.type = TokenType::kEof;
    set_pos(eof, src_.size());
    tokens_.push_back(std::move(eof));
    return std::move(tokens_);
  }

 private:
  void set_pos(Token& t, size_t pos) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), pos);
    size_t line = static_cast<size_t>(it - line_starts_.begin());
    t.line = static_cast<int>(line);
    t.column = static_cast<int>(pos - line_starts_[line - 1]) + 1;
  }

  [[noreturn]] void error(const std::string& msg, size_t pos) const {
    Token t;
    set_pos(t, pos);
    fail_at(msg, t.line, t.column);
  }

  void emit_text(std::string text, size_t pos) {
    if (text.empty()) return;
    Token t;
    t.type = TokenType::kText;
    t.text = std::move(text);
    set_pos(t, pos);
    tokens_.push_back(std::move(t));
  }

  void emit(TokenType type, std::string text, size_t pos) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    set_pos(t, pos);
    tokens_.push_back(std::move(t));
  }

  // After the closing delimiter: `-` eats all following whitespace, trim_blocks one newline.
  size_t after_close(size_t pos, char sign, bool is_block) const {
    if (sign == '-') {
      while (pos < src_.size() && is_ws(src_[pos])) ++pos;
    } else if (sign != '+' && is_block && opts_.trim_blocks && pos < src_.size() && src_[pos] == '\n') {
      ++pos;
    }
    return pos;
  }

  size_t lex_comment(size_t open, size_t after) {
    size_t q = src_.find("#}", after);
    if (q == std::string::npos) error("Missing end of comment tag", open);
    char sign = 0;
    if (q > after && (src_[q - 1] == '-' || src_[q - 1] == '+')) sign = src_[q - 1];
    return after_close(q + 2, sign, /*is_block=*/true);
  }

  // `{% raw %}` (after points past `{%` and its sign): sets *body to the first byte of the raw data.
  bool is_raw_begin(size_t after, size_t* body) const {
    size_t p = after;
    while (p < src_.size() && is_ws(src_[p])) ++p;
    if (src_.compare(p, 3, "raw") != 0 || (p + 3 < src_.size() && is_name_char(src_[p + 3]))) return false;
    p += 3;
    while (p < src_.size() && is_ws(src_[p])) ++p;
    if (src_.compare(p, 3, "-%}") == 0) {
      p += 3;
      while (p < src_.size() && is_ws(src_[p])) ++p;
    } else if (src_.compare(p, 2, "%}") == 0) {
      p += 2;
    } else {
      return false;
    }
    *body = p;
    return true;
  }

  size_t lex_raw(size_t body, size_t open) {
    size_t p = body;
    while ((p = src_.find("{%", p)) != std::string::npos) {
      size_t q = p + 2;
      char sign = 0;
      if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) sign = src_[q++];
      while (q < src_.size() && is_ws(src_[q])) ++q;
      if (src_.compare(q, 6, "endraw") == 0) {
        q += 6;
        while (q < src_.size() && is_ws(src_[q])) ++q;
        char end_sign = 0;
        if (q < src_.size() && (src_[q] == '-' || src_[q] == '+')) end_sign = src_[q++];
        if (src_.compare(q, 2, "%}") == 0) {
          std::string text = src_.substr(body, p - body);
          if (sign == '-') {
            while (!text.empty() && is_ws(text.back())) text.pop_back();
          }
          emit_text(std::move(text), body);
          return after_close(q + 2, end_sign, true);
        }
      }
      p += 2;
    }
    error("Missing end of raw directive", open);
  }

  size_t lex_tag(bool is_block, size_t open, size_t after) {
    emit(is_block ? TokenType::kBlockBegin : TokenType::kVarBegin, is_block ? "{%" : "{{", open);
    std::vector<char> balance;
    size_t p = after;
    const size_t n = src_.size();
    while (true) {
      if (balance.empty()) {
        const TokenType end_type = is_block ? TokenType::kBlockEnd : TokenType::kVarEnd;
        if (is_block && src_.compare(p, 3, "+%}") == 0) {
          emit(end_type, "", p);
          return p + 3;
        }
        if (src_.compare(p, 3, is_block ? "-%}" : "-}}") == 0) {
          emit(end_type, "", p);
          return after_close(p + 3, '-', is_block);
        }
        if (src_.compare(p, 2, is_block ? "%}" : "}}") == 0) {
          emit(end_type, "", p);
          return after_close(p + 2, 0, is_block);
        }
      }
      if (p >= n) {
        error(std::string("unexpected end of template, expected '") + (is_block ? "%}" : "}}") + "'", open);
      }
      const char c = src_[p];
      if (is_ws(c)) {
        ++p;
      } else if (is_digit(c)) {
        p = lex_number(p);
      } else if (is_name_start(c)) {
        size_t e = p;
        while (e < n && is_name_char(src_[e])) ++e;
        emit(TokenType::kName, src_.substr(p, e - p), p);
        p = e;
      } else if (c == '\'' || c == '"') {
        p = lex_string(p);
      } else {
        p = lex_operator(p, balance);
      }
    }
  }

  size_t lex_number(size_t p) {
    const size_t n = src_.size();
    auto digits = [&](size_t q) {
      while (q < n && (is_digit(src_[q]) || (src_[q] == '_' && q + 1 < n && is_digit(src_[q + 1])))) ++q;
      return q;
    };
    size_t start = p;
    if (src_[p] == '0' && p + 1 < n && (src_[p + 1] == 'x' || src_[p + 1] == 'X' || src_[p + 1] == 'o' ||
                                        src_[p + 1] == 'O' || src_[p + 1] == 'b' || src_[p + 1] == 'B')) {
      int base = (src_[p + 1] | 0x20) == 'x' ? 16 : ((src_[p + 1] | 0x20) == 'o' ? 8 : 2);
      size_t q = p + 2;
      std::string digs;
      while (q < n && (std::isxdigit(static_cast<unsigned char>(src_[q])) || src_[q] == '_')) {
        if (src_[q] != '_') digs += src_[q];
        ++q;
      }
      Token t;
      t.type = TokenType::kInt;
      t.int_value = std::strtoll(digs.c_str(), nullptr, base);
      set_pos(t, start);
      tokens_.push_back(std::move(t));
      return q;
    }
    size_t q = digits(p);
    bool is_float = false;
    bool after_dot = p > 0 && src_[p - 1] == '.';
    if (!after_dot && q + 1 < n && src_[q] == '.' && is_digit(src_[q + 1])) {
      q = digits(q + 1);
      is_float = true;
    }
    if (!after_dot && q < n && (src_[q] == 'e' || src_[q] == 'E')) {
      size_t r = q + 1;
      if (r < n && (src_[r] == '+' || src_[r] == '-')) ++r;
      if (r < n && is_digit(src_[r])) {
        q = digits(r);
        is_float = true;
      }
    }
    std::string text;
    for (size_t i = start; i < q; ++i) {
      if (src_[i] != '_') text += src_[i];
    }
    Token t;
    set_pos(t, start);
    if (is_float) {
      t.type = TokenType::kFloat;
      t.float_value = std::strtod(text.c_str(), nullptr);
    } else {
      t.type = TokenType::kInt;
      errno = 0;
      t.int_value = std::strtoll(text.c_str(), nullptr, 10);
      if (errno == ERANGE) error("integer literal too large", start);
    }
    tokens_.push_back(std::move(t));
    return q;
  }

  size_t lex_string(size_t p) {
    const char quote = src_[p];
    const size_t n = src_.size();
    std::string out;
    size_t q = p + 1;
    while (true) {
      if (q >= n) error("unexpected end of string", p);
      char c = src_[q];
      if (c == quote) break;
      if (c != '\\' || q + 1 >= n) {
        out += c;
        ++q;
        continue;
      }
      char e = src_[q + 1];
      q += 2;
      switch (e) {
        case '\n': break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case 'x':
        case 'u':
        case 'U': {
          size_t len = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
          if (q + len > n) error("truncated \\" + std::string(1, e) + " escape", q - 2);
          std::string hex = src_.substr(q, len);
          if (!std::all_of(hex.begin(), hex.end(), [](char h) { return std::isxdigit(static_cast<unsigned char>(h)); })) {
            error("truncated \\" + std::string(1, e) + " escape", q - 2);
          }
          unsigned long cp = std::strtoul(hex.c_str(), nullptr, 16);
          if (cp > 0x10FFFF) error("illegal Unicode character", q - 2);
          utf8_append(static_cast<char32_t>(cp), out);
          q += len;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            unsigned v = static_cast<unsigned>(e - '0');
            for (int k = 0; k < 2 && q < n && src_[q] >= '0' && src_[q] <= '7'; ++k) v = v * 8 + static_cast<unsigned>(src_[q++] - '0');
            utf8_append(static_cast<char32_t>(v), out);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    emit(TokenType::kString, std::move(out), p);
    return q + 1;
  }

  size_t lex_operator(size_t p, std::vector<char>& balance) {
    static const char* kTwo[] = {"//", "**", "==", "!=", ">=", "<="};
    for (const char* op : kTwo) {
      if (src_.compare(p, 2, op) == 0) {
        emit(TokenType::kOp, op, p);
        return p + 2;
      }
    }
    const char c = src_[p];
    static const std::string kOne = "+-/*%~[](){}><=.:|,;";
    if (kOne.find(c) == std::string::npos) error(std::string("unexpected char '") + c + "'", p);
    if (c == '(' || c == '[' || c == '{') {
      balance.push_back(c == '(' ? ')' : (c == '[' ? ']' : '}'));
    } else if (c == ')' || c == ']' || c == '}') {
      if (balance.empty()) error(std::string("unexpected '") + c + "'", p);
      if (balance.back() != c) error(std::string("unexpected '") + c + "', expected '" + balance.back() + "'", p);
      balance.pop_back();
    }
    emit(TokenType::kOp, std::string(1, c), p);
    return p + 1;
  }

  LexOptions opts_;
  std::string src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> lex(std::string_view source, const LexOptions& opts) { return Lexer(source, opts).run(); }

const char* token_type_name(TokenType t) {
  switch (t) {
    case TokenType::kText: return "template data";
    case TokenType::kVarBegin: return "begin of print statement";
    case TokenType::kVarEnd: return "end of print statement";
    case TokenType::kBlockBegin: return "begin of statement block";
    case TokenType::kBlockEnd: return "end of statement block";
    case TokenType::kName: return "name";
    case TokenType::kString: return "string";
    case TokenType::kInt: return "integer";
    case TokenType::kFloat: return "float";
    case TokenType::kOp: return "operator";
    case TokenType::kEof: return "end of template";
  }
  return "token";
}

}  // namespace mms::jinja
