#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nbexec::params::detail {

// Decodes UTF-8 strictly, as Python's "utf-8" codec does: no overlong forms, no surrogates,
// nothing above U+10FFFF. nullopt on the first invalid sequence; *error_offset then holds its
// byte offset.
std::optional<std::u32string> decode_utf8(std::string_view text,
                                          std::size_t* error_offset = nullptr);

void append_utf8(std::string& out, char32_t code_point);

// Python's str.isspace() (Unicode White_Space plus the ASCII separators \x1c-\x1f).
bool is_python_space(char32_t c);

// Python's str.strip() with no argument; text must be valid UTF-8.
std::string python_strip(std::string_view text);

}  // namespace nbexec::params::detail
