#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace nbexec::notebook::detail {

// True for outputs Jupyter shows as nothing: scrapbook scraps and papermill's record().
bool is_scrap_output(const nlohmann::json& output);

// One output of a code cell as HTML ("" when there is nothing to show): streams and
// tracebacks through render_ansi, rich outputs by nbconvert's mime priority (text/html,
// image/svg+xml, PNG, JPEG, GIF, text/markdown, text/latex, application/javascript as code,
// text/plain, application/json). text/html goes into a sandboxed iframe.
std::string render_output(const nlohmann::json& output);

// `html` (untrusted) as a sandboxed iframe: no scripts, an opaque origin, its own
// Content-Security-Policy, the markup attribute-escaped into srcdoc. Sized from the markup's
// rows and resizable.
std::string sandboxed_iframe(std::string_view html);

}  // namespace nbexec::notebook::detail
