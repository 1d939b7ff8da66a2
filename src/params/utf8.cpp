#include "params/utf8.hpp"

namespace nbexec::params::detail {

std::optional<std::u32string> decode_utf8(std::string_view text, std::size_t* error_offset) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  const auto fail = [&]() -> std::optional<std::u32string> {
    if (error_offset != nullptr) *error_offset = i;
    return std::nullopt;
  };
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      out.push_back(lead);
      ++i;
      continue;
    }
    std::size_t length = 0;
    char32_t code = 0;
    char32_t minimum = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2, code = lead & 0x1F, minimum = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3, code = lead & 0x0F, minimum = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4, code = lead & 0x07, minimum = 0x10000;
    } else {
      return fail();
    }
    if (i + length > text.size()) return fail();
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return fail();
      code = (code << 6) | (next & 0x3F);
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return fail();
    out.push_back(code);
    i += length;
  }
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

bool is_python_space(char32_t c) {
  // The list Python 3.11 gives for [c for c in range(0x110000) if chr(c).isspace()].
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

std::string python_strip(std::string_view text) {
  const auto decoded = decode_utf8(text);
  if (!decoded) return std::string(text);
  std::size_t begin = 0;
  std::size_t end = decoded->size();
  while (begin < end && is_python_space((*decoded)[begin])) ++begin;
  while (end > begin && is_python_space((*decoded)[end - 1])) --end;
  std::string out;
  for (std::size_t i = begin; i < end; ++i) append_utf8(out, (*decoded)[i]);
  return out;
}

}  // namespace nbexec::params::detail
