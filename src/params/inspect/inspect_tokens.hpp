#pragma once

// A small tokenizer for parameters cells (Python, R, Julia): enough of each language's lexical
// grammar (strings, comments, brackets, operators) to find statements and their parts
// reliably, which papermill's line-and-regex reading cannot.

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nbexec::params::detail {

enum class Dialect { python, r, julia };

enum class TokenKind { name, number, string, op, open, close, comment, newline };

struct Token {
  TokenKind kind = TokenKind::op;
  std::string_view text;  // the token's source text (a string token keeps prefix and quotes)
  std::size_t begin = 0;  // byte offsets into the source
  std::size_t end = 0;
  int line = 1;        // 1-based line of the first character
  int column = 0;      // bytes from the start of that line
  bool spaced = true;  // preceded by whitespace or a line start (Julia's ' needs to know)

  bool is(TokenKind k, std::string_view t) const { return kind == k && text == t; }
  bool is_op(std::string_view t) const { return kind == TokenKind::op && text == t; }
};

struct Tokens {
  std::vector<Token> tokens;
  // The first thing the tokenizer could not read (an unterminated string or comment); the
  // tokens stop before it.
  std::string error;
  int error_line = 0;
};

Tokens tokenize_python(std::string_view source);
Tokens tokenize_r(std::string_view source);
Tokens tokenize_julia(std::string_view source);

// One statement: a logical line, or a part of one between top-level semicolons.
struct Statement {
  std::vector<Token> tokens;    // significant tokens: no comments, no line breaks
  std::vector<Token> comments;  // comments met while reading it, interior and trailing
  int first_line = 0;
  int last_line = 0;      // line of its last significant token
  int indent = 0;         // column of its first token
  bool unclosed = false;  // a bracket (or Julia block) is still open at the end of the cell
};

// Splits tokens into statements. Python ends a statement at a line break outside brackets
// (backslash continuations never reach here); R and Julia also continue after a trailing
// binary operator, and Julia counts keyword blocks (function ... end) as brackets.
std::vector<Statement> split_statements(const std::vector<Token>& tokens, Dialect dialect);

// The source of tokens [first, last) flattened to one line the way papermill flattens a
// multi-line definition: comments dropped, each line break (with the indentation around it)
// removed, or replaced by one space where gluing would merge two words. Text inside tokens
// (a triple-quoted string's newlines) is kept.
std::string join_tokens(std::string_view source, const Token* first, const Token* last);

// The comment that documents a statement: the comment ending its last line, else (for a
// statement over several lines) the one ending its first line. Without the '#'.
std::optional<std::string_view> documenting_comment(const Statement& statement);

// Index of the first token in [from, tokens.size()) outside brackets that is `op`, or npos.
std::size_t find_top_level(const std::vector<Token>& tokens, std::size_t from, std::string_view op);

// The first token from `p` that is, outside brackets, one of the `stops` operators or a closing
// bracket (the end of a container element); `end` when none is.
const Token* skip_element(const Token* p, const Token* end,
                          std::initializer_list<std::string_view> stops);

// Python's str.strip() for valid UTF-8, ASCII whitespace otherwise.
std::string strip_text(std::string_view text);

// Character classes shared by the tokenizers. Bytes from 0x80 on count as letters so that
// non-ASCII identifiers stay whole.
inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
inline bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
inline bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

}  // namespace nbexec::params::detail
