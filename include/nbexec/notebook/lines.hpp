#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace nbexec::notebook {

// Python's str.splitlines(keepends=True): breaks on \n, \r, \r\n, \v, \f, \x1c, \x1d, \x1e,
// U+0085, U+2028 and U+2029 (UTF-8 input), each piece keeping its line end.
std::vector<std::string> split_lines_keepends(std::string_view text);

// The same pieces as views into `text` (no copies; valid while `text` lives).
std::vector<std::string_view> split_line_views(std::string_view text);

// A multi-line field as nbformat stores it: a string, or a list of strings to concatenate.
// Throws std::invalid_argument when the value is neither.
std::string join_lines(const nlohmann::json& value);

// True when `value` is such a field (nbformat's multiline_string): what join_lines accepts.
bool is_multiline(const nlohmann::json& value);

}  // namespace nbexec::notebook
