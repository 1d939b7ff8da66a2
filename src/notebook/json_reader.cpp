#include "json_reader.hpp"

#include "core/utf8.hpp"

#include <nbexec/error.hpp>

#include <charconv>
#include <cstdint>
#include <limits>

namespace nbexec::notebook::detail {

using nbexec::detail::utf8_sequence_length;

namespace {

using nlohmann::json;

class Reader {
 public:
  Reader(std::string_view text, const std::string& origin) : text_(text), origin_(origin) {}

  json parse_document() {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    skip_whitespace();
    json value = parse_value(0);
    skip_whitespace();
    if (pos_ != text_.size()) fail(pos_, "extra data after the JSON document");
    return value;
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    // Python's JSONDecodeError counts lines by '\n' and columns in characters from 1.
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    std::size_t column = 1;
    for (std::size_t i = line_start; i < at && i < text_.size(); ++i) {
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
    }
    throw NotebookError(origin_ + ":" + std::to_string(line) + ":" + std::to_string(column) +
                        ": malformed JSON: " + what);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_whitespace() {
    while (!at_end()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool consume_literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  json parse_value(int depth) {
    if (at_end()) fail(pos_, "expecting a value, found the end of the text");
    const char c = text_[pos_];
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
    fail(pos_, "expecting a value");
  }

  void enter(int depth) const {
    if (depth > max_json_depth)
      fail(pos_, "nesting deeper than " + std::to_string(max_json_depth) + " levels");
  }

  json parse_object(int depth) {
    enter(depth);
    ++pos_;  // '{'
    json object = json::object();
    skip_whitespace();
    if (peek() == '}') {
      ++pos_;
      return object;
    }
    while (true) {
      if (peek() != '"') fail(pos_, "expecting a property name enclosed in double quotes");
      std::string key = parse_string();
      skip_whitespace();
      if (peek() != ':') fail(pos_, "expecting ':' after a property name");
      ++pos_;
      skip_whitespace();
      // Python's dict keeps the last of duplicate keys; so does assignment.
      object[std::move(key)] = parse_value(depth);
      skip_whitespace();
      if (peek() == ',') {
        ++pos_;
        skip_whitespace();
        continue;
      }
      if (peek() == '}') {
        ++pos_;
        return object;
      }
      fail(pos_, "expecting ',' or '}' after an object member");
    }
  }

  json parse_array(int depth) {
    enter(depth);
    ++pos_;  // '['
    json array = json::array();
    skip_whitespace();
    if (peek() == ']') {
      ++pos_;
      return array;
    }
    while (true) {
      array.push_back(parse_value(depth));
      skip_whitespace();
      if (peek() == ',') {
        ++pos_;
        skip_whitespace();
        continue;
      }
      if (peek() == ']') {
        ++pos_;
        return array;
      }
      fail(pos_, "expecting ',' or ']' after an array element");
    }
  }

  std::uint32_t parse_hex4(std::size_t escape_start) {
    if (pos_ + 4 > text_.size()) fail(escape_start, "invalid \\u escape");
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
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
    const std::size_t escape_start = pos_;
    ++pos_;  // backslash
    if (at_end()) fail(escape_start, "unterminated string");
    const char c = text_[pos_++];
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
      if (text_.substr(pos_, 2) == "\\u") {
        const std::size_t low_start = pos_;
        pos_ += 2;
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
    const std::size_t start = pos_;
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      // Copy the run of plain ASCII in one go; strings in notebooks are mostly that.
      const std::size_t run_start = pos_;
      while (!at_end()) {
        const auto c = static_cast<unsigned char>(text_[pos_]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++pos_;
      }
      out.append(text_.data() + run_start, pos_ - run_start);
      if (at_end()) fail(start, "unterminated string");
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        parse_escape(out);
      } else if (c < 0x20) {
        fail(pos_, "invalid control character in a string (it must be escaped)");
      } else {
        const std::size_t length = utf8_sequence_length(text_, pos_);
        if (length == 0) fail(pos_, "invalid UTF-8 byte in a string");
        out.append(text_.data() + pos_, length);
        pos_ += length;
      }
    }
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  json parse_number() {
    const std::size_t start = pos_;
    if (peek() == '-') ++pos_;
    if (!is_digit(peek())) fail(start, "expecting a value");
    if (peek() == '0') {
      ++pos_;
    } else {
      while (is_digit(peek())) ++pos_;
    }
    bool integral = true;
    // Like Python's scanner, a '.' or 'e' not followed by digits ends the number there.
    if (peek() == '.' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1])) {
      integral = false;
      ++pos_;
      while (is_digit(peek())) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      std::size_t exponent = pos_ + 1;
      if (exponent < text_.size() && (text_[exponent] == '+' || text_[exponent] == '-')) ++exponent;
      if (exponent < text_.size() && is_digit(text_[exponent])) {
        integral = false;
        pos_ = exponent;
        while (is_digit(peek())) ++pos_;
      }
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
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

  std::string_view text_;
  const std::string& origin_;
  std::size_t pos_ = 0;
};

}  // namespace

nlohmann::json parse_python_json(std::string_view text, const std::string& origin) {
  return Reader(text, origin).parse_document();
}

}  // namespace nbexec::notebook::detail
