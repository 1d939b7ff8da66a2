#include "json_reader.hpp"

#include "core/utf8.hpp"
#include "json_scan.hpp"
#include "json_window.hpp"
#include "prefault.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <system_error>

namespace nbexec::notebook::detail {

using nbexec::detail::utf8_sequence_length;

namespace {

using nlohmann::json;

// The JSON grammar over a JsonWindow (json_window.hpp): values, strings and numbers as
// Python's json module reads them.
class Reader : JsonWindow {
 public:
  // Strings at least this long are allocated at their full length and prefaulted.
  static constexpr std::size_t long_string = std::size_t{1} << 16;

  using JsonWindow::JsonWindow;

  json parse_document() {
    if (ensure(3) && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) p_ += 3;
    skip_whitespace();
    json value = parse_value(0);
    skip_whitespace();
    if (!at_end()) fail(offset(), "extra data after the JSON document");
    return value;
  }

 private:
  json parse_value(int depth) {
    if (at_end()) fail(offset(), "expecting a value, found the end of the text");
    const char c = *p_;
    switch (c) {
      case '{':
        return parse_object(depth + 1);
      case '[':
        return parse_array(depth + 1);
      case '"':
        return json(parse_string());
      default:
        break;
    }
    if (consume_literal("true")) return json(true);
    if (consume_literal("false")) return json(false);
    if (consume_literal("null")) return json(nullptr);
    if (consume_literal("NaN")) return json(std::numeric_limits<double>::quiet_NaN());
    if (consume_literal("Infinity")) return json(std::numeric_limits<double>::infinity());
    if (consume_literal("-Infinity")) return json(-std::numeric_limits<double>::infinity());
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    fail(offset(), "expecting a value");
  }

  void enter(int depth) const {
    if (depth > max_json_depth)
      fail(offset(), "nesting deeper than " + std::to_string(max_json_depth) + " levels");
  }

  json parse_object(int depth) {
    enter(depth);
    ++p_;  // '{'
    json object = json::object();
    skip_whitespace();
    if (peek() == '}') {
      ++p_;
      return object;
    }
    while (true) {
      if (peek() != '"') fail(offset(), "expecting a property name enclosed in double quotes");
      std::string key = parse_string();
      skip_whitespace();
      if (peek() != ':') fail(offset(), "expecting ':' after a property name");
      ++p_;
      skip_whitespace();
      // Python's dict keeps the last of duplicate keys; so does assignment.
      object[std::move(key)] = parse_value(depth);
      skip_whitespace();
      if (peek() == ',') {
        ++p_;
        skip_whitespace();
        continue;
      }
      if (peek() == '}') {
        ++p_;
        return object;
      }
      fail(offset(), "expecting ',' or '}' after an object member");
    }
  }

  json parse_array(int depth) {
    enter(depth);
    ++p_;  // '['
    json array = json::array();
    skip_whitespace();
    if (peek() == ']') {
      ++p_;
      return array;
    }
    while (true) {
      array.push_back(parse_value(depth));
      skip_whitespace();
      if (peek() == ',') {
        ++p_;
        skip_whitespace();
        continue;
      }
      if (peek() == ']') {
        ++p_;
        return array;
      }
      fail(offset(), "expecting ',' or ']' after an array element");
    }
  }

  std::uint32_t parse_hex4(std::size_t escape_start) {
    if (available() < 4) fail(escape_start, "invalid \\u escape");
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = *p_++;
      value <<= 4;
      if (c >= '0' && c <= '9')
        value |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        value |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        value |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        fail(escape_start, "invalid \\u escape");
    }
    return value;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    nbexec::detail::append_utf8(out, static_cast<char32_t>(cp));
  }

  void parse_escape(std::string& out) {
    ensure(12);  // the longest escape: a surrogate pair, \uD83D\uDE00
    const std::size_t escape_start = offset();
    ++p_;  // backslash
    if (p_ == end_) fail(escape_start, "unterminated string");
    const char c = *p_++;
    switch (c) {
      case '"':
        out.push_back('"');
        return;
      case '\\':
        out.push_back('\\');
        return;
      case '/':
        out.push_back('/');
        return;
      case 'b':
        out.push_back('\b');
        return;
      case 'f':
        out.push_back('\f');
        return;
      case 'n':
        out.push_back('\n');
        return;
      case 'r':
        out.push_back('\r');
        return;
      case 't':
        out.push_back('\t');
        return;
      case 'u':
        break;
      default:
        fail(escape_start, "invalid escape \\" + std::string(1, c));
    }
    std::uint32_t cp = parse_hex4(escape_start);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (available() >= 2 && p_[0] == '\\' && p_[1] == 'u') {
        const std::size_t low_start = offset();
        p_ += 2;
        const std::uint32_t low = parse_hex4(low_start);
        if (low >= 0xDC00 && low <= 0xDFFF) {
          append_utf8(out, 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00));
          return;
        }
      }
      fail(escape_start, "lone surrogate in a \\u escape (not a valid Unicode character)");
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF)
      fail(escape_start, "lone surrogate in a \\u escape (not a valid Unicode character)");
    append_utf8(out, cp);
  }

  std::string parse_string() {
    const std::size_t start = offset();
    ++p_;  // opening quote
    std::string out;
    while (true) {
      // Copy the run of plain ASCII in one go; strings in notebooks are mostly that.
      const std::size_t run = plain_run(p_, available());
      // A run cut by the end of the window stays in it across the refill, unless it fills the
      // window: a long string (base64 image data) is then allocated once at its full length
      // rather than grown and copied.
      if (p_ + run == end_ && run < capacity_ && more()) continue;
      if (out.empty() && run >= long_string) {
        // Allocate once at full length: a run that stops short of the closing quote (base64
        // ending in an escaped "\n", as nbformat writes images) would otherwise double the
        // buffer for the last byte.
        out.reserve(p_ + run < end_ && p_[run] != '"' ? raw_length(run) : run);
        prefault_for_write(out.data(), run);
      }
      out.append(p_, run);
      p_ += run;
      if (p_ == end_) {
        if (!more()) fail(start, "unterminated string");
        continue;
      }
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return out;
      }
      if (c == '\\') {
        parse_escape(out);
      } else if (c < 0x20) {
        fail(offset(), "invalid control character in a string (it must be escaped)");
      } else {
        ensure(4);
        const std::size_t length = utf8_sequence_length(std::string_view(p_, available()), 0);
        if (length == 0) fail(offset(), "invalid UTF-8 byte in a string");
        out.append(p_, length);
        p_ += length;
      }
    }
  }

  // Bytes from the cursor to the closing quote of the string it is in, when that quote is in
  // the window (else what the window holds): no string decodes to more bytes than it takes raw.
  std::size_t raw_length(std::size_t from) const {
    for (const char* q = p_ + from; q < end_;) {
      q = static_cast<const char*>(std::memchr(q, '"', static_cast<std::size_t>(end_ - q)));
      if (q == nullptr) break;
      const char* b = q;
      while (b > p_ && b[-1] == '\\') --b;
      if ((q - b) % 2 == 0) return static_cast<std::size_t>(q - p_);
      ++q;
    }
    return available();
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  static bool is_number_byte(char c) {
    return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
  }

  json parse_number() {
    const std::size_t start = offset();
    // Bring the whole token into the window; the grammar below never looks past it.
    std::size_t length = 0;
    while (true) {
      while (length < available() && is_number_byte(p_[length])) ++length;
      if (length < available() || !ensure(length + 1)) break;
    }
    const std::string_view token(p_, length);
    std::size_t i = 0;
    const auto digit_at = [&token](std::size_t k) {
      return k < token.size() && is_digit(token[k]);
    };
    if (token[0] == '-') ++i;
    if (!digit_at(i)) fail(start, "expecting a value");
    if (token[i] == '0') {
      ++i;
    } else {
      while (digit_at(i)) ++i;
    }
    bool integral = true;
    // Like Python's scanner, a '.' or 'e' not followed by digits ends the number there.
    if (i < token.size() && token[i] == '.' && digit_at(i + 1)) {
      integral = false;
      ++i;
      while (digit_at(i)) ++i;
    }
    if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
      std::size_t exponent = i + 1;
      if (exponent < token.size() && (token[exponent] == '+' || token[exponent] == '-')) ++exponent;
      if (digit_at(exponent)) {
        integral = false;
        i = exponent;
        while (digit_at(i)) ++i;
      }
    }
    const char* first = token.data();
    const char* last = first + i;
    p_ += i;
    if (integral) {
      if (*first == '-') {
        std::int64_t value = 0;
        if (std::from_chars(first, last, value).ec == std::errc()) return json(value);
      } else {
        std::uint64_t value = 0;
        if (std::from_chars(first, last, value).ec == std::errc()) return json(value);
      }
    }
    double value = 0;
    const auto result = std::from_chars(first, last, value);
    if (result.ec == std::errc::result_out_of_range) return json(out_of_range(first, last));
    if (result.ec != std::errc() || result.ptr != last) fail(start, "invalid number");
    return json(value);
  }

  // from_chars refuses magnitudes beyond double; Python's float() gives inf or 0.0 for them.
  // Which one follows from the decimal exponent of the leading significant digit.
  static double out_of_range(const char* first, const char* last) {
    const bool negative = *first == '-';
    const char* p = negative ? first + 1 : first;
    long long integer_digits = 0;  // counted from the first non-zero digit
    long long fraction_zeros = 0;  // zeros after the point before the first non-zero digit
    for (; p < last && *p != '.' && *p != 'e' && *p != 'E'; ++p) {
      if (integer_digits > 0 || *p != '0') ++integer_digits;
    }
    if (p < last && *p == '.') {
      for (++p; p < last && *p == '0'; ++p) ++fraction_zeros;
      while (p < last && *p != 'e' && *p != 'E') ++p;
    }
    long long exponent = 0;
    if (p < last) {
      ++p;
      bool negative_exponent = false;
      if (*p == '+' || *p == '-') negative_exponent = *p++ == '-';
      for (; p < last && exponent < 1000000; ++p) exponent = exponent * 10 + (*p - '0');
      if (negative_exponent) exponent = -exponent;
    }
    const long long magnitude =
        (integer_digits > 0 ? integer_digits - 1 : -(fraction_zeros + 1)) + exponent;
    const double size = magnitude > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    return negative ? -size : size;
  }
};

}  // namespace

nlohmann::json parse_python_json(std::string_view text, const std::string& origin) {
  return Reader(text, origin).parse_document();
}

nlohmann::json parse_python_json_file(int fd, const std::string& origin, std::size_t chunk) {
  return Reader(fd, origin, chunk).parse_document();
}

}  // namespace nbexec::notebook::detail
