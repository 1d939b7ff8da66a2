// Checks on a YAML parameter file's text and names for its nodes, shared by the loader
// (yaml_parameters.cpp) and the converter (yaml_converter.cpp).
#include "params/sources/yaml_checks.hpp"

#include <nbexec/error.hpp>

#include "params/common/utf8.hpp"

#include <algorithm>
#include <cstdio>

namespace nbexec::params::detail {

std::string yaml_place(const std::string& origin, const YAML::Mark& mark) {
  if (mark.is_null()) return origin;
  return origin + ": line " + std::to_string(mark.line + 1) + ", column " +
         std::to_string(mark.column + 1);
}

void check_yaml_characters(std::string_view text, const std::string& origin) {
  std::size_t bad = 0;
  const auto decoded = decode_utf8(text, &bad);
  const auto where = [&](std::size_t byte_offset) {
    const std::string_view before = text.substr(0, byte_offset);
    const auto line = std::count(before.begin(), before.end(), '\n') + 1;
    const auto line_start = before.rfind('\n');
    const auto column =
        (line_start == std::string_view::npos ? byte_offset : byte_offset - line_start - 1) + 1;
    return origin + ": line " + std::to_string(line) + ", column " + std::to_string(column);
  };
  if (!decoded) throw ParameterError(where(bad) + ": the YAML text is not valid UTF-8");
  std::size_t offset = 0;
  for (const char32_t c : *decoded) {
    const bool printable = c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E) ||
                           c == 0x85 || (c >= 0xA0 && c <= 0xD7FF) ||
                           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
    if (!printable) {
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
      throw ParameterError(where(offset) + ": character " + code +
                           " is not allowed in YAML (control characters must be escaped in a "
                           "double-quoted string)");
    }
    offset += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
}

// yaml-cpp's scanner queues every token of a flow collection before its parser sees the
// first (any '[' may open a mapping key), so a deep flow nesting costs hundreds of bytes per
// bracket before yaml-cpp's own depth guard speaks. Brackets are counted first, in strings and
// comments too (so quoting cannot hide them); the bound is far above kMaxYamlDepth, so that only
// nesting that would be refused anyway, or a thousand unclosed brackets in text, stops here.
constexpr int kMaxOpenBrackets = 1000;

void check_yaml_flow_depth(std::string_view text, const std::string& origin) {
  int depth = 0;
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxOpenBrackets) {
        throw ParameterError(origin + ": line " + std::to_string(line) + ", column " +
                             std::to_string(i - line_start + 1) + ": more than " +
                             std::to_string(kMaxOpenBrackets) +
                             " '[' or '{' open at once (values may nest at most " +
                             std::to_string(kMaxYamlDepth) + " levels deep)");
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

const char* yaml_kind_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "null";
  }
}

}  // namespace nbexec::params::detail
