// R's and Julia's string literals decoded.
#include "params/common/utf8.hpp"
#include "params/inspect/inspect_detail.hpp"
#include "params/inspect/string_escape.hpp"

namespace nbexec::params::detail {
namespace {

// Up to `max` hex digits at body[i] (R also takes them in braces: \u{e9}); advances i past them.
std::optional<char32_t> hex_digits(std::string_view body, std::size_t& i, std::size_t max,
                                   bool braces) {
  const bool braced = braces && i < body.size() && body[i] == '{';
  if (braced) ++i;
  char32_t code = 0;
  std::size_t n = 0;
  for (; n < max && i < body.size() && hex_value(body[i]) >= 0; ++n, ++i) {
    code = code * 16 + static_cast<char32_t>(hex_value(body[i]));
  }
  if (braced) {
    if (i >= body.size() || body[i] != '}') return std::nullopt;
    ++i;
  }
  if (n == 0) return std::nullopt;
  return code;
}

// Backslash escapes as both languages define them (C's set plus \u and \U); an escape the
// language rejects, or a code point UTF-8 cannot hold, gives nullopt. Julia strings may hold
// NUL ("\0", "\x00", or the byte itself); R's parser refuses it in every form.
std::optional<std::string> unescape(std::string_view body, Dialect dialect) {
  std::string out;
  for (std::size_t i = 0; i < body.size();) {
    const char c = body[i];
    if (dialect == Dialect::julia && c == '$') return std::nullopt;  // interpolation
    if (dialect == Dialect::r && c == '\0') return std::nullopt;
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (++i >= body.size()) return std::nullopt;
    const char e = body[i++];
    if (auto simple = c_escape(e)) {
      out += *simple;
      continue;
    }
    std::optional<char32_t> code;
    switch (e) {
      case '`':
        if (dialect == Dialect::r) {
          out += e;
          continue;
        }
        return std::nullopt;
      case '$':
        if (dialect == Dialect::julia) {
          out += e;
          continue;
        }
        return std::nullopt;
      case 'e':
        if (dialect == Dialect::julia) {
          out += '\x1b';
          continue;
        }
        return std::nullopt;
      case '\n':
        if (dialect == Dialect::julia) continue;
        return std::nullopt;
      case 'x':
        code = hex_digits(body, i, 2, false);
        break;
      case 'u':
        code = hex_digits(body, i, 4, dialect == Dialect::r);
        break;
      case 'U':
        code = hex_digits(body, i, 8, dialect == Dialect::r);
        break;
      default:
        if (e < '0' || e > '7') return std::nullopt;
        code = static_cast<char32_t>(e - '0');
        for (int k = 0; k < 2 && i < body.size() && body[i] >= '0' && body[i] <= '7'; ++k, ++i) {
          *code = *code * 8 + static_cast<char32_t>(body[i] - '0');
        }
        break;
    }
    if (!code || (*code == 0 && dialect == Dialect::r) || *code > 0x10FFFF ||
        (*code >= 0xD800 && *code <= 0xDFFF)) {
      return std::nullopt;
    }
    append_utf8(out, *code);
  }
  return out;
}

}  // namespace

std::optional<std::string> r_string_value(std::string_view token) {
  if (token.size() < 2) return std::nullopt;
  if (token[0] == 'r' || token[0] == 'R') {  // raw: r"(...)" with optional dashes
    const std::size_t open = token.find_first_of("([{");
    const std::size_t dashes = open - 2;
    const std::string_view body = token.substr(open + 1, token.size() - (open + 1) - dashes - 2);
    if (body.find('\0') != std::string_view::npos) return std::nullopt;
    return std::string(body);
  }
  return unescape(token.substr(1, token.size() - 2), Dialect::r);
}

std::optional<std::string> julia_string_value(std::string_view token) {
  const std::size_t quote = token.find_first_of("\"'");
  if (quote == std::string_view::npos) return std::nullopt;
  const std::string_view macro = token.substr(0, quote);
  std::string_view body = token.substr(quote);
  const std::size_t q = body.starts_with("\"\"\"") && body.size() >= 6 ? 3 : 1;
  body = body.substr(q, body.size() - 2 * q);
  // Triple-quoted strings lose their indentation by rules nbexec does not reproduce.
  if (q == 3 && body.find('\n') != std::string_view::npos) return std::nullopt;
  if (macro == "raw") {
    std::string out;
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == '"') continue;
      out += body[i];
    }
    return out;
  }
  if (!macro.empty()) return std::nullopt;
  return unescape(body, Dialect::julia);
}

}  // namespace nbexec::params::detail
