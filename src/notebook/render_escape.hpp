#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

// Small text helpers of the HTML renderer (render*.cpp).
namespace nbexec::notebook::detail {

// Escapes &, <, >, " and ' so the text is safe as element content and as a quoted attribute
// value alike.
void append_escaped(std::string& out, std::string_view text);
std::string html_escape(std::string_view text);

// Standard base64 (RFC 4648, with padding).
std::string base64_encode(std::string_view bytes);

// A base64 payload as notebooks store it (line breaks allowed), with the whitespace removed;
// "" when it holds anything outside the base64 alphabet, so it can go into a data: URI as is.
std::string clean_base64(std::string_view payload);

// A multi-line field (string or list of strings) as one string; "" for anything else.
std::string field_text(const nlohmann::json& value);

// True when `url` (an attribute value as the browser reads it, entities already decoded) is
// safe to follow: no scheme (relative, fragment) or http, https, mailto. javascript:, data:,
// vbscript: and any other scheme are refused, whatever their case or the control characters
// and spaces a browser would strip from them.
bool is_safe_link(std::string_view url);

// Decodes the character references md4c writes in attribute values (&amp; &lt; &gt; &quot;
// &#NN; &#xHH;), enough to read a URL as the browser will.
std::string decode_attribute(std::string_view value);

}  // namespace nbexec::notebook::detail
