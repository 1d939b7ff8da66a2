// Python's lexical grammar as far as parameters cells need it: string literals with every
// prefix and quote form, comments, backslash continuations, brackets and operators.
#include "params/inspect/inspect_scanner.hpp"
#include "params/inspect/inspect_tokens.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace nbexec::params::detail {
namespace {

// r, u, b, f and their two-letter combinations, in any case (u combines with nothing).
bool is_string_prefix(std::string_view word) {
  if (word.empty() || word.size() > 2) return false;
  std::string lower(word);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "r" || lower == "u" || lower == "b" || lower == "f" || lower == "br" ||
         lower == "rb" || lower == "fr" || lower == "rf";
}

// The cursor is on the opening quote. A backslash always protects the next character, even in
// a raw string (r"\"" is a complete literal).
bool scan_string(Scanner& s) {
  const char quote = s.peek();
  const bool triple = s.peek(1) == quote && s.peek(2) == quote;
  s.advance(triple ? 3 : 1);
  const std::string closing(triple ? 3 : 1, quote);
  while (!s.done()) {
    const char c = s.peek();
    if (c == '\\') {
      s.advance(2);
    } else if (s.starts_with(closing)) {
      s.advance(closing.size());
      return true;
    } else if (c == '\n' && !triple) {
      break;
    } else {
      s.advance();
    }
  }
  s.fail(triple ? "unterminated triple-quoted string" : "unterminated string");
  return false;
}

}  // namespace

Tokens tokenize_python(std::string_view source) {
  return scan_tokens(source, [](Scanner& s, char c) {
    if (c == '\\' && (s.peek(1) == '\n' || (s.peek(1) == '\r' && s.peek(2) == '\n'))) {
      s.advance(s.peek(1) == '\n' ? 2 : 3);  // an explicit line joining: no line break
      s.mark_spaced();
    } else if (c == '#') {
      line_comment(s);
    } else if (is_name_start(c)) {
      std::size_t n = 0;
      while (is_name_char(s.peek(n))) ++n;
      const char next = s.peek(n);
      const bool string = (next == '\'' || next == '"') && is_string_prefix(s.rest().substr(0, n));
      s.advance(n);
      if (string && !scan_string(s)) return false;
      s.emit(string ? TokenKind::string : TokenKind::name);
    } else if (c == '\'' || c == '"') {
      if (!scan_string(s)) return false;
      s.emit(TokenKind::string);
    } else if (is_digit(c) || (c == '.' && is_digit(s.peek(1)))) {
      scan_number(s, "eE");
      s.emit(TokenKind::number);
    } else if (brackets(s, c)) {
    } else if (!s.match_op(
                   {"**=", "//=", ">>=", "<<=", "...", "->", ":=", "==", "!=", "<=", ">=", "**",
                    "//",  "<<",  ">>",  "+=",  "-=",  "*=", "/=", "%=", "&=", "|=", "^=", "@="})) {
      s.advance();
      s.emit(TokenKind::op);
    }
    return true;
  });
}

}  // namespace nbexec::params::detail
