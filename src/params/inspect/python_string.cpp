// Python string literals decoded the way the compiler decodes them.
#include "params/common/utf8.hpp"
#include "params/inspect/inspect_detail.hpp"
#include "params/inspect/string_escape.hpp"

#include <cctype>

namespace nbexec::params::detail {
namespace {

// Exactly `digits` hex digits at body[i]; nullopt when fewer (Python's SyntaxError).
std::optional<char32_t> hex_code(std::string_view body, std::size_t i, std::size_t digits) {
  if (i + digits > body.size()) return std::nullopt;
  char32_t code = 0;
  for (std::size_t k = 0; k < digits; ++k) {
    const int v = hex_value(body[i + k]);
    if (v < 0) return std::nullopt;
    code = code * 16 + static_cast<char32_t>(v);
  }
  return code;
}

}  // namespace

std::optional<std::string> python_string_value(std::string_view token) {
  const std::size_t quote = token.find_first_of("'\"");
  if (quote == std::string_view::npos) return std::nullopt;
  bool raw = false;
  for (char c : token.substr(0, quote)) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == 'b') return std::nullopt;  // bytes have no JSON counterpart
    if (lower == 'r') raw = true;
  }
  std::string_view body = token.substr(quote);
  const std::size_t q =
      body.size() >= 6 && body[0] == body[1] && body[1] == body[2] ? std::size_t{3} : 1;
  if (body.size() < 2 * q) return std::nullopt;
  body = body.substr(q, body.size() - 2 * q);
  const bool fstring = token.substr(0, quote).find_first_of("fF") != std::string_view::npos;
  if (fstring && body.find_first_of("{}") != std::string_view::npos) return std::nullopt;
  if (raw) return std::string(body);

  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\' || i + 1 >= body.size()) {
      out += body[i];
      continue;
    }
    const char e = body[++i];
    if (auto simple = c_escape(e)) {
      out += *simple;
      continue;
    }
    std::optional<char32_t> code;
    switch (e) {
      case '\n':
        continue;
      case '\r':
        if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
        continue;
      case 'x':
        code = hex_code(body, i + 1, 2);
        i += 2;
        break;
      case 'u':
        code = hex_code(body, i + 1, 4);
        i += 4;
        break;
      case 'U':
        code = hex_code(body, i + 1, 8);
        i += 8;
        break;
      case 'N':
        return std::nullopt;  // \N{NAME}: nbexec carries no Unicode name table
      default:
        if (e >= '0' && e <= '7') {
          char32_t octal = 0;
          std::size_t k = 0;
          for (; k < 3 && i + k < body.size() && body[i + k] >= '0' && body[i + k] <= '7'; ++k) {
            octal = octal * 8 + static_cast<char32_t>(body[i + k] - '0');
          }
          i += k - 1;
          code = octal;
          break;
        }
        out += '\\';  // an unknown escape keeps its backslash
        out += e;
        continue;
    }
    // Lone surrogates are valid in a Python str but not in UTF-8 (nor in JSON text).
    if (!code || *code > 0x10FFFF || (*code >= 0xD800 && *code <= 0xDFFF)) return std::nullopt;
    append_utf8(out, *code);
  }
  return out;
}

}  // namespace nbexec::params::detail
