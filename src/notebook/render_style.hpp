#pragma once

#include <string_view>

namespace nbexec::notebook::detail {

// The page's policy: no script anywhere, no fetch (images only as data: URIs), inline styles,
// no frames but the srcdoc ones the page makes itself, no forms, no <base>. A <meta> policy
// is the first element of <head>, before anything it governs.
std::string_view page_security_policy();

// The page's CSS (inline: the page fetches nothing).
std::string_view page_style();

}  // namespace nbexec::notebook::detail
