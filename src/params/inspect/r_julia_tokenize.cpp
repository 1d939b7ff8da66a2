// R's and Julia's lexical grammars as far as parameters cells need them.
#include "params/inspect/inspect_scanner.hpp"
#include "params/inspect/inspect_tokens.hpp"

#include <string>

namespace nbexec::params::detail {
namespace {

// A quoted string whose backslash escapes the next character; R and Julia strings may span
// lines. The cursor is on the opening quote(s), `closing` is what ends the string.
bool scan_quoted(Scanner& s, std::string_view closing) {
  s.advance(closing.size());
  while (!s.done()) {
    if (s.peek() == '\\') {
      s.advance(2);
    } else if (s.starts_with(closing)) {
      s.advance(closing.size());
      return true;
    } else {
      s.advance();
    }
  }
  s.fail("unterminated string");
  return false;
}

// R 4's raw strings: r"(...)", R'[...]', r"---{...}---".
bool scan_r_raw(Scanner& s) {
  const char quote = s.peek(1);
  std::size_t dashes = 0;
  while (s.peek(2 + dashes) == '-') ++dashes;
  const char open = s.peek(2 + dashes);
  const char close = open == '(' ? ')' : open == '[' ? ']' : '}';
  s.advance(3 + dashes);
  const std::string closing = close + std::string(dashes, '-') + quote;
  while (!s.done()) {
    if (s.starts_with(closing)) {
      s.advance(closing.size());
      return true;
    }
    s.advance();
  }
  s.fail("unterminated raw string");
  return false;
}

bool r_raw_start(const Scanner& s) {
  if (s.peek() != 'r' && s.peek() != 'R') return false;
  if (s.peek(1) != '"' && s.peek(1) != '\'') return false;
  std::size_t i = 2;
  while (s.peek(i) == '-') ++i;
  return s.peek(i) == '(' || s.peek(i) == '[' || s.peek(i) == '{';
}

}  // namespace

Tokens tokenize_r(std::string_view source) {
  return scan_tokens(source, [](Scanner& s, char c) {
    if (c == '#') {
      line_comment(s);
    } else if (r_raw_start(s)) {
      if (!scan_r_raw(s)) return false;
      s.emit(TokenKind::string);
    } else if (c == '"' || c == '\'') {
      if (!scan_quoted(s, std::string(1, c))) return false;
      s.emit(TokenKind::string);
    } else if (c == '`') {  // a quoted name
      if (!scan_quoted(s, "`")) return false;
      s.emit(TokenKind::name);
    } else if (is_digit(c) || (c == '.' && is_digit(s.peek(1)))) {
      scan_number(s, "eEpP");
      s.emit(TokenKind::number);
    } else if ((is_name_start(c) && c != '_') || c == '.') {  // R names never start with '_'
      while (!s.done() && (is_name_char(s.peek()) || s.peek() == '.')) s.advance();
      s.emit(TokenKind::name);
    } else if (brackets(s, c)) {
    } else if (c == '%') {  // %in%, %>%, %%
      s.advance();
      while (!s.done() && s.peek() != '%' && s.peek() != '\n') s.advance();
      if (s.peek() == '%') s.advance();
      s.emit(TokenKind::op);
    } else if (!s.match_op({"<<-", "->>", ":::", "<-", "->", "<=", ">=", "==", "!=", "&&", "||",
                            "::", "|>", "**"})) {
      s.advance();
      s.emit(TokenKind::op);
    }
    return true;
  });
}

Tokens tokenize_julia(std::string_view source) {
  return scan_tokens(source, [](Scanner& s, char c) {
    if (s.starts_with("#=")) {  // block comments nest
      int depth = 0;
      while (!s.done()) {
        if (s.starts_with("#=")) {
          ++depth;
          s.advance(2);
        } else if (s.starts_with("=#")) {
          s.advance(2);
          if (--depth == 0) break;
        } else {
          s.advance();
        }
      }
      if (depth != 0) {
        s.fail("unterminated #= comment");
        return false;
      }
      s.emit(TokenKind::comment);
    } else if (c == '#') {
      line_comment(s);
    } else if (c == '"') {
      if (!scan_quoted(s, s.starts_with("\"\"\"") ? "\"\"\"" : "\"")) return false;
      s.emit(TokenKind::string);
    } else if (c == '\'') {
      const Token* last = s.last_token();
      const bool adjoint = last != nullptr && !s.rest().empty() &&
                           (last->kind == TokenKind::name || last->kind == TokenKind::number ||
                            last->kind == TokenKind::close || last->is_op("'")) &&
                           last->end == s.pos();
      if (adjoint) {
        s.advance();
        s.emit(TokenKind::op);
      } else {
        if (!scan_quoted(s, "'")) return false;
        s.emit(TokenKind::string);  // a Char
      }
    } else if (is_digit(c) || (c == '.' && is_digit(s.peek(1)))) {
      scan_number(s, "eEf");
      s.emit(TokenKind::number);
    } else if (is_name_start(c)) {
      // `!` ends names (push!), except before `=` (`x!=y` is x != y).
      while (!s.done() && (is_name_char(s.peek()) || (s.peek() == '!' && s.peek(1) != '='))) {
        s.advance();
      }
      if (s.peek() == '"') {  // a string macro: raw"...", r"..."
        if (!scan_quoted(s, s.starts_with("\"\"\"") ? "\"\"\"" : "\"")) return false;
        s.emit(TokenKind::string);
      } else {
        s.emit(TokenKind::name);
      }
    } else if (brackets(s, c)) {
    } else if (!s.match_op({"===", "!==", "...", "::", "=>", "==", "!=", "<=", ">=", "->", "+=",
                            "-=",  "*=",  "/=",  ".=", "&&", "||", "|>", "..", "<:", ">:"})) {
      s.advance();
      s.emit(TokenKind::op);
    }
    return true;
  });
}

}  // namespace nbexec::params::detail
