#pragma once

// The cursor the three parameters-cell tokenizers share: byte position, line and column
// bookkeeping, token emission and longest-match operators.

#include "params/inspect/inspect_tokens.hpp"

#include <initializer_list>
#include <string_view>

namespace nbexec::params::detail {

class Scanner {
 public:
  explicit Scanner(std::string_view source) : src_(source) {}

  bool done() const { return pos_ >= src_.size(); }
  std::size_t pos() const { return pos_; }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }
  bool starts_with(std::string_view text) const { return src_.substr(pos_).starts_with(text); }
  std::string_view rest() const { return src_.substr(pos_); }

  void advance(std::size_t n = 1) {
    for (; n > 0 && pos_ < src_.size(); --n, ++pos_) {
      if (src_[pos_] == '\n') {
        ++line_;
        line_start_ = pos_ + 1;
      }
    }
  }

  // Skips blanks (not line breaks); true when there were some.
  bool skip_blanks() {
    bool any = false;
    while (!done() && (peek() == ' ' || peek() == '\t' || peek() == '\f' || peek() == '\r' ||
                       peek() == '\v')) {
      advance();
      any = true;
    }
    if (any) spaced_ = true;
    return any;
  }

  void begin_token() {
    start_ = pos_;
    start_line_ = line_;
    start_column_ = static_cast<int>(pos_ - line_start_);
  }

  void emit(TokenKind kind) {
    Token token;
    token.kind = kind;
    token.text = src_.substr(start_, pos_ - start_);
    token.begin = start_;
    token.end = pos_;
    token.line = start_line_;
    token.column = start_column_;
    token.spaced = spaced_;
    out_.tokens.push_back(token);
    spaced_ = kind == TokenKind::newline || kind == TokenKind::comment;
  }

  // Records a problem at the current token's start; the caller stops tokenizing.
  void fail(std::string message) {
    out_.error = std::move(message);
    out_.error_line = start_line_;
  }
  bool failed() const { return !out_.error.empty(); }

  // Consumes the longest of `ops` found here (longest first in the list) and emits it.
  bool match_op(std::initializer_list<std::string_view> ops) {
    for (std::string_view op : ops) {
      if (starts_with(op)) {
        advance(op.size());
        emit(TokenKind::op);
        return true;
      }
    }
    return false;
  }

  void mark_spaced() { spaced_ = true; }
  const Token* last_token() const { return out_.tokens.empty() ? nullptr : &out_.tokens.back(); }
  Tokens take() { return std::move(out_); }

 private:
  std::string_view src_;
  std::size_t pos_ = 0;
  std::size_t start_ = 0;
  std::size_t line_start_ = 0;
  int line_ = 1;
  int start_line_ = 1;
  int start_column_ = 0;
  bool spaced_ = true;
  Tokens out_;
};

// Scans the rest of a number whose first character is at the cursor: digits, letters (base
// prefixes, suffixes), underscores, '.', and a sign right after an exponent letter.
// `exponents` lists the exponent letters; none apply after a 0x prefix.
inline void scan_number(Scanner& s, std::string_view exponents) {
  const bool hex = s.peek() == '0' && (s.peek(1) == 'x' || s.peek(1) == 'X');
  while (!s.done()) {
    const char c = s.peek();
    if (!hex && exponents.find(c) != std::string_view::npos &&
        (s.peek(1) == '+' || s.peek(1) == '-') && is_digit(s.peek(2))) {
      s.advance(2);
    } else if (is_name_char(c) || (c == '.' && s.peek(1) != '.')) {
      s.advance();
    } else {
      break;
    }
  }
}

// An opening or closing bracket, the same three pairs in all three languages; false when `c`
// is none.
inline bool brackets(Scanner& s, char c) {
  if (c == '(' || c == '[' || c == '{') {
    s.advance();
    s.emit(TokenKind::open);
    return true;
  }
  if (c == ')' || c == ']' || c == '}') {
    s.advance();
    s.emit(TokenKind::close);
    return true;
  }
  return false;
}

// A comment from '#' to the end of the line, in all three languages.
inline void line_comment(Scanner& s) {
  while (!s.done() && s.peek() != '\n') s.advance();
  s.emit(TokenKind::comment);
}

// The loop every tokenizer runs: blanks are skipped and line breaks emitted the same way in
// all three languages; `token(s, c)` reads one token starting with character `c` and returns
// false (after s.fail) to stop, the tokens read so far being kept.
template <class ReadToken>
Tokens scan_tokens(std::string_view source, ReadToken token) {
  Scanner s(source);
  while (!s.done()) {
    if (s.skip_blanks()) continue;
    s.begin_token();
    const char c = s.peek();
    if (c == '\n') {
      s.advance();
      s.emit(TokenKind::newline);
    } else if (!token(s, c)) {
      break;
    }
  }
  return s.take();
}

}  // namespace nbexec::params::detail
