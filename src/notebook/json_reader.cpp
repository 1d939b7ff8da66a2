#include "json_reader.hpp"

#include "core/utf8.hpp"
#include "json_scan.hpp"
#include "prefault.hpp"

#include <nbexec/error.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <system_error>

namespace nbexec::notebook::detail {

using nbexec::detail::utf8_sequence_length;

namespace {

using nlohmann::json;

// Python's JSONDecodeError position: lines counted by '\n', columns in characters from 1.
class TextPosition {
 public:
  void feed(std::string_view bytes) {
    for (const char c : bytes) {
      if (c == '\n') {
        ++line_;
        column_ = 1;
      } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
        ++column_;
      }
    }
  }
  std::string describe() const { return std::to_string(line_) + ":" + std::to_string(column_); }

 private:
  std::size_t line_ = 1;
  std::size_t column_ = 1;
};

// The parser runs over a window [begin_, end_) of the input with a cursor p_. For text in
// memory the window is all of it; for a file it is a buffer refilled by more(), which keeps the
// bytes from the cursor on. Tokens that must be contiguous (numbers, literals, escapes) are
// checked with ensure() before the cursor moves past them; strings are copied run by run, so
// a string may span any number of refills. The file's text is never held whole.
class Reader {
 public:
  // Strings at least this long are allocated at their full length and prefaulted.
  static constexpr std::size_t long_string = std::size_t{1} << 16;

  Reader(std::string_view text, const std::string& origin)
      : whole_(text),
        begin_(text.data()),
        p_(begin_),
        end_(begin_ + text.size()),
        origin_(origin) {}

  Reader(int fd, const std::string& origin, std::size_t chunk)
      : fd_(fd),
        capacity_(std::max<std::size_t>(chunk, 1)),
        buffer_(new char[capacity_]),
        origin_(origin) {
    begin_ = p_ = end_ = buffer_.get();
  }

  json parse_document() {
    if (ensure(3) && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) p_ += 3;
    skip_whitespace();
    json value = parse_value(0);
    skip_whitespace();
    if (!at_end()) fail(offset(), "extra data after the JSON document");
    return value;
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& what) const {
    throw NotebookError(origin_ + ":" + position_of(at) + ": malformed JSON: " + what);
  }

  // Errors only: a file is read again from its start up to the error.
  std::string position_of(std::size_t at) const {
    TextPosition position;
    if (fd_ < 0) {
      position.feed(whole_.substr(0, at));
      return position.describe();
    }
    std::string block(std::size_t{1} << 16, '\0');
    for (std::size_t done = 0; done < at;) {
      const ssize_t n =
          ::pread(fd_, block.data(), std::min(block.size(), at - done), static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      position.feed(std::string_view(block.data(), static_cast<std::size_t>(n)));
      done += static_cast<std::size_t>(n);
    }
    return position.describe();
  }

  // Offset in the whole input of the cursor (or of `at`, a pointer into the window).
  std::size_t offset() const { return offset(p_); }
  std::size_t offset(const char* at) const { return base_ + static_cast<std::size_t>(at - begin_); }
  std::size_t available() const { return static_cast<std::size_t>(end_ - p_); }

  // Reads the next chunk of a file behind the bytes from the cursor on; false at the end of
  // the input (always for text in memory).
  bool more() {
    if (fd_ < 0 || eof_) return false;
    const std::size_t kept = available();
    if (kept == capacity_) {  // one token fills the buffer: make it larger
      std::unique_ptr<char[]> larger(new char[capacity_ * 2]);
      std::memcpy(larger.get(), p_, kept);
      buffer_ = std::move(larger);
      capacity_ *= 2;
    } else if (kept > 0) {
      std::memmove(buffer_.get(), p_, kept);
    }
    base_ += static_cast<std::size_t>(p_ - begin_);
    begin_ = p_ = buffer_.get();
    end_ = begin_ + kept;
    while (true) {
      const ssize_t n = ::read(fd_, buffer_.get() + kept, capacity_ - kept);
      if (n > 0) {
        end_ += n;
        return true;
      }
      if (n == 0) {
        eof_ = true;
        return false;
      }
      if (errno != EINTR)
        throw NotebookError("cannot read " + origin_ + ": " +
                            std::generic_category().message(errno));
    }
  }

  // At least `count` bytes from the cursor on are in the window, unless the input ends first.
  bool ensure(std::size_t count) {
    while (available() < count) {
      if (!more()) return false;
    }
    return true;
  }

  bool at_end() { return p_ == end_ && !more(); }
  char peek() { return at_end() ? '\0' : *p_; }

  void skip_whitespace() {
    while (true) {
      while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
      if (p_ < end_ || !more()) return;
    }
  }

  bool consume_literal(std::string_view word) {
    if (!ensure(word.size()) || std::memcmp(p_, word.data(), word.size()) != 0) return false;
    p_ += word.size();
    return true;
  }

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

  std::string_view whole_;  // text in memory, or empty for a file
  int fd_ = -1;             // the file, or -1 for text in memory
  bool eof_ = false;
  std::size_t capacity_ = 0;
  std::unique_ptr<char[]> buffer_;
  const char* begin_ = nullptr;  // the window: input bytes [base_, base_ + end_ - begin_)
  const char* p_ = nullptr;
  const char* end_ = nullptr;
  std::size_t base_ = 0;
  const std::string& origin_;
};

}  // namespace

nlohmann::json parse_python_json(std::string_view text, const std::string& origin) {
  return Reader(text, origin).parse_document();
}

nlohmann::json parse_python_json_file(int fd, const std::string& origin, std::size_t chunk) {
  return Reader(fd, origin, chunk).parse_document();
}

}  // namespace nbexec::notebook::detail
