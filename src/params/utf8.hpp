#pragma once

#include "core/utf8.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace nbexec::params::detail {

// Strict UTF-8 (Python's codec), shared with the notebook layer.
using nbexec::detail::append_utf8;
using nbexec::detail::decode_utf8;

// Python's str.isspace() (Unicode White_Space plus the ASCII separators \x1c-\x1f).
bool is_python_space(char32_t c);

// Python's str.strip() with no argument; text must be valid UTF-8.
std::string python_strip(std::string_view text);

}  // namespace nbexec::params::detail
