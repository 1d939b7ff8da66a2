#include "render_escape.hpp"

#include <nbexec/notebook/lines.hpp>

#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>

namespace nbexec::notebook::detail {

void append_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  append_escaped(out, text);
  return out;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16U |
                            static_cast<std::uint8_t>(bytes[i + 1]) << 8U |
                            static_cast<std::uint8_t>(bytes[i + 2]);
    out += alphabet[(n >> 18U) & 63U];
    out += alphabet[(n >> 12U) & 63U];
    out += alphabet[(n >> 6U) & 63U];
    out += alphabet[n & 63U];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16U;
    if (rest == 2) n |= static_cast<std::uint8_t>(bytes[i + 1]) << 8U;
    out += alphabet[(n >> 18U) & 63U];
    out += alphabet[(n >> 12U) & 63U];
    out += rest == 2 ? alphabet[(n >> 6U) & 63U] : '=';
    out += '=';
  }
  return out;
}

std::string clean_base64(std::string_view payload) {
  std::string out;
  out.reserve(payload.size());
  for (const char c : payload) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    const bool ok =
        std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/' || c == '=';
    if (!ok) return "";
    out += c;
  }
  return out;
}

std::string field_text(const nlohmann::json& value) {
  if (!is_multiline(value)) return "";
  return join_lines(value);
}

bool is_safe_link(std::string_view url) {
  // What a browser's URL parser does first: C0 controls and spaces trimmed at both ends, tabs
  // and line breaks removed everywhere.
  std::string cleaned;
  for (const char c : url) {
    if (c == '\t' || c == '\n' || c == '\r') continue;
    cleaned += c;
  }
  std::size_t begin = 0;
  std::size_t end = cleaned.size();
  while (begin < end && static_cast<unsigned char>(cleaned[begin]) <= 0x20) ++begin;
  while (end > begin && static_cast<unsigned char>(cleaned[end - 1]) <= 0x20) --end;
  const std::string_view text = std::string_view(cleaned).substr(begin, end - begin);
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return true;
  const std::string_view before = text.substr(0, colon);
  if (before.find_first_of("/?#") != std::string_view::npos) return true;  // a path, not a scheme
  // Not a valid scheme: the browser reads the whole as a relative path.
  if (before.empty() || std::isalpha(static_cast<unsigned char>(before[0])) == 0) return true;
  std::string scheme;
  for (const char c : before) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) == 0 && c != '+' && c != '-' && c != '.') return true;
    scheme += static_cast<char>(std::tolower(u));
  }
  return scheme == "http" || scheme == "https" || scheme == "mailto";
}

std::string decode_attribute(std::string_view value) {
  static constexpr std::array<std::pair<std::string_view, char>, 5> named = {
      {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}}};
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '&') {
      out += value[i];
      continue;
    }
    bool done = false;
    for (const auto& [name, c] : named) {
      if (value.substr(i, name.size()) == name) {
        out += c;
        i += name.size() - 1;
        done = true;
        break;
      }
    }
    if (done) continue;
    const std::size_t semi = value.find(';', i);
    if (value.substr(i, 2) == "&#" && semi != std::string_view::npos && semi - i < 12) {
      const bool hex = i + 2 < value.size() && (value[i + 2] == 'x' || value[i + 2] == 'X');
      const std::string digits(value.substr(i + (hex ? 3 : 2), semi - i - (hex ? 3 : 2)));
      char* stop = nullptr;
      const unsigned long code = std::strtoul(digits.c_str(), &stop, hex ? 16 : 10);
      // Only ASCII matters for reading a scheme; anything else stays a placeholder.
      out += (code > 0 && code < 0x80 && stop && *stop == '\0') ? static_cast<char>(code) : '?';
      i = semi;
      continue;
    }
    out += '&';
  }
  return out;
}

}  // namespace nbexec::notebook::detail
