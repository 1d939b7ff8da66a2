#pragma once

#include <string>
#include <string_view>

namespace nbexec::notebook::detail {

// Terminal text (stream output, tracebacks) as escaped HTML: SGR colour codes (30-37, 90-97,
// 40-47, 100-107, 38;5;n, 48;5;n, 38;2;r;g;b, bold, underline, reset) become <span style=...>,
// every other escape sequence is dropped, and a carriage return lets the rest of its line
// overwrite what came before it, as a terminal shows a progress bar.
std::string render_ansi(std::string_view text);

}  // namespace nbexec::notebook::detail
