#include "render_markdown.hpp"

#include "render_escape.hpp"

#include <md4c-html.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace nbexec::notebook::detail {
namespace {

void collect(const MD_CHAR* text, MD_SIZE size, void* userdata) {
  static_cast<std::string*>(userdata)->append(text, size);
}

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) != 0 &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2])) != 0) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string attachment_uri(std::string_view name, const nlohmann::json& attachments) {
  if (!attachments.is_object()) return "";
  for (const std::string& key : {std::string(name), percent_decode(name)}) {
    const auto found = attachments.find(key);
    if (found == attachments.end() || !found->is_object()) continue;
    for (const auto& [mime, payload] : found->items()) {
      std::string uri = image_data_uri(mime, payload);
      if (!uri.empty()) return uri;
    }
  }
  return "";
}

bool is_data_image(std::string_view url) {
  std::string head;
  for (const char c : url.substr(0, 32))
    head += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const std::string_view mime : {"image/png", "image/jpeg", "image/gif", "image/svg+xml"}) {
    if (head.starts_with(std::string("data:") + std::string(mime) + ";")) return true;
  }
  return false;
}

// The value an attribute of md4c's output should have instead of `value`, checked as the
// browser will read it.
std::string checked_url(std::string_view attribute, std::string_view value,
                        const nlohmann::json& attachments) {
  const std::string url = decode_attribute(value);
  if (attribute == "href") return is_safe_link(url) ? std::string(value) : "#";
  if (url.starts_with("attachment:")) {
    return html_escape(attachment_uri(std::string_view(url).substr(11), attachments));
  }
  if (is_data_image(url)) return std::string(value);
  // Other images stay only when they are plain links (the page's policy still blocks fetching
  // them: nothing leaves the page).
  return is_safe_link(url) && url.find(':') == std::string::npos ? std::string(value) : "";
}

// md4c passes link and image targets through, whatever their scheme. With raw HTML off, every
// tag in its output is its own and every `"` in text is written &quot;, so each ` href="` and
// ` src="` is one of its attributes and its value ends at the next `"`.
std::string filter_urls(const std::string& html, const nlohmann::json& attachments) {
  std::string out;
  out.reserve(html.size());
  std::size_t i = 0;
  while (i < html.size()) {
    const std::size_t href = html.find(" href=\"", i);
    const std::size_t src = html.find(" src=\"", i);
    const std::size_t at = std::min(href, src);
    if (at == std::string::npos) break;
    const bool is_href = at == href;
    const std::size_t value_start = at + (is_href ? 7 : 6);
    const std::size_t value_end = html.find('"', value_start);
    if (value_end == std::string::npos) break;
    out.append(html, i, value_start - i);
    out += checked_url(is_href ? "href" : "src",
                       std::string_view(html).substr(value_start, value_end - value_start),
                       attachments);
    i = value_end;
  }
  out.append(html, i, std::string::npos);
  return out;
}

}  // namespace

bool is_inline_image_mime(std::string_view mime) {
  return mime == "image/png" || mime == "image/jpeg" || mime == "image/gif" ||
         mime == "image/svg+xml";
}

std::string image_data_uri(std::string_view mime, const nlohmann::json& payload) {
  if (!is_inline_image_mime(mime)) return "";
  const std::string text = field_text(payload);
  const std::string encoded = mime == "image/svg+xml" ? base64_encode(text) : clean_base64(text);
  if (encoded.empty()) return "";
  return "data:" + std::string(mime) + ";base64," + encoded;
}

std::string render_markdown(std::string_view source, const nlohmann::json& attachments) {
  std::string html;
  html.reserve(source.size() * 5 / 4 + 64);
  const unsigned parser_flags = MD_DIALECT_GITHUB | MD_FLAG_NOHTML;
  if (md_html(source.data(), static_cast<MD_SIZE>(source.size()), collect, &html, parser_flags,
              MD_HTML_FLAG_SKIP_UTF8_BOM) != 0) {
    return "<pre>" + html_escape(source) + "</pre>";
  }
  return filter_urls(html, attachments);
}

}  // namespace nbexec::notebook::detail
