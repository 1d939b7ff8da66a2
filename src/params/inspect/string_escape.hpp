#pragma once

// The pieces of backslash-escape decoding that Python, R and Julia strings share (C's
// single-character escapes and hex digits), so the three decoders cannot drift apart on them.

#include <optional>

namespace nbexec::params::detail {

// The value of a hex digit, -1 for any other character.
inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The character `\e` stands for when `e` is one of C's escapes every one of the three languages
// accepts (\a \b \f \n \r \t \v \\ \' \"); nullopt for the others, which each language reads
// its own way.
inline std::optional<char> c_escape(char e) {
  switch (e) {
    case 'a':
      return '\a';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'v':
      return '\v';
    case '\\':
    case '\'':
    case '"':
      return e;
    default:
      return std::nullopt;
  }
}

}  // namespace nbexec::params::detail
