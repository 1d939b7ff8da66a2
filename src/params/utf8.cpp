#include "params/utf8.hpp"

namespace nbexec::params::detail {

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
