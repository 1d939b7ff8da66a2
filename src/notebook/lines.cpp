#include <nbexec/notebook/lines.hpp>

#include <stdexcept>

namespace nbexec::notebook {

namespace {

// Length of the line break starting at text[i], or 0. UTF-8 is self-synchronising, so the
// multi-byte breaks (U+0085, U+2028, U+2029) cannot match inside another character.
std::size_t line_break_at(std::string_view text, std::size_t i) {
  const auto byte = static_cast<unsigned char>(text[i]);
  switch (byte) {
    case '\n':
    case '\v':
    case '\f':
    case 0x1c:
    case 0x1d:
    case 0x1e:
      return 1;
    case '\r':
      return (i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
    case 0xc2:
      return (i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x85) ? 2 : 0;
    case 0xe2:
      if (i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80) {
        const auto third = static_cast<unsigned char>(text[i + 2]);
        if (third == 0xa8 || third == 0xa9) return 3;
      }
      return 0;
    default:
      return 0;
  }
}

}  // namespace

std::vector<std::string_view> split_line_views(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t brk = line_break_at(text, i);
    if (brk == 0) {
      ++i;
      continue;
    }
    i += brk;
    lines.push_back(text.substr(start, i - start));
    start = i;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

std::vector<std::string> split_lines_keepends(std::string_view text) {
  std::vector<std::string> lines;
  for (std::string_view line : split_line_views(text)) lines.emplace_back(line);
  return lines;
}

bool is_multiline(const nlohmann::json& value) {
  if (value.is_string()) return true;
  if (!value.is_array()) return false;
  for (const auto& line : value)
    if (!line.is_string()) return false;
  return true;
}

std::string join_lines(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (!value.is_array()) throw std::invalid_argument("expected a string or a list of strings");
  std::size_t size = 0;
  for (const auto& line : value) {
    if (!line.is_string()) throw std::invalid_argument("expected a string or a list of strings");
    size += line.get_ref<const std::string&>().size();
  }
  std::string joined;
  joined.reserve(size);
  for (const auto& line : value) joined += line.get_ref<const std::string&>();
  return joined;
}

}  // namespace nbexec::notebook
