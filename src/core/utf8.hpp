#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// UTF-8 as Python's strict "utf-8" codec sees it, shared by the notebook reader/writer and
// the parameter renderers: overlong forms, encoded surrogates and code points above
// U+10FFFF are invalid.
namespace nbexec::detail {

// Length of the well-formed multi-byte sequence starting at text[i], or 0 (also for ASCII).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// The code points of `text`; nullopt at the first invalid sequence, whose byte offset then
// goes to *error_offset.
std::optional<std::u32string> decode_utf8(std::string_view text,
                                          std::size_t* error_offset = nullptr);

void append_utf8(std::string& out, char32_t code_point);

// Python's str.isspace() (Unicode White_Space plus the ASCII separators \x1c-\x1f): the one
// definition of whitespace for parameter text, number parsing and blank-cell checks.
bool is_python_space(char32_t c);

// Python's str.strip() with no argument; text that is not valid UTF-8 comes back unchanged.
std::string python_strip(std::string_view text);

}  // namespace nbexec::detail
