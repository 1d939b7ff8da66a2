#include "params/common/python_number.hpp"

#include "params/common/utf8.hpp"

#include <locale.h>
#include <array>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace nbexec::params::detail {
namespace {

// First code point (value 0) of every run of ten Unicode decimal digits (category Nd) outside
// ASCII, from Python 3.11's unicodedata (Unicode 14.0): int() and float() accept all of them.
constexpr std::array<char32_t, 65> kDecimalZeros = {
    0x660,   0x6f0,   0x7c0,   0x966,   0x9e6,   0xa66,   0xae6,   0xb66,   0xbe6,   0xc66,
    0xce6,   0xd66,   0xde6,   0xe50,   0xed0,   0xf20,   0x1040,  0x1090,  0x17e0,  0x1810,
    0x1946,  0x19d0,  0x1a80,  0x1a90,  0x1b50,  0x1bb0,  0x1c40,  0x1c50,  0xa620,  0xa8d0,
    0xa900,  0xa9d0,  0xa9f0,  0xaa50,  0xabf0,  0xff10,  0x104a0, 0x10d30, 0x11066, 0x110f0,
    0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950,
    0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec,
    0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0};

bool is_ascii_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

// CPython's _PyUnicode_TransformDecimalAndSpaceToASCII followed by the ASCII whitespace strip
// that int() and float() apply: Unicode spaces become ' ', Unicode digits their ASCII digit,
// anything else non-ASCII a character no number can contain.
std::optional<std::string> to_ascii_number_text(std::string_view text) {
  const auto decoded = decode_utf8(text);
  if (!decoded) return std::nullopt;
  std::string ascii;
  ascii.reserve(decoded->size());
  for (const char32_t c : *decoded) {
    if (c < 0x80) {
      ascii.push_back(static_cast<char>(c));
    } else if (is_python_space(c)) {
      ascii.push_back(' ');
    } else {
      char digit = '?';
      for (const char32_t zero : kDecimalZeros) {
        if (c >= zero && c < zero + 10) digit = static_cast<char>('0' + (c - zero));
      }
      ascii.push_back(digit);
    }
  }
  std::size_t begin = 0;
  std::size_t end = ascii.size();
  while (begin < end && is_ascii_space(ascii[begin])) ++begin;
  while (end > begin && is_ascii_space(ascii[end - 1])) --end;
  return ascii.substr(begin, end - begin);
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Underscores only between two digits, as PEP 515 allows in int() and float().
bool underscores_well_placed(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '_') continue;
    if (i == 0 || i + 1 == s.size() || !is_digit(s[i - 1]) || !is_digit(s[i + 1])) return false;
  }
  return true;
}

locale_t c_locale() {
  static const locale_t locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  return locale;
}

}  // namespace

std::optional<PythonInt> python_int(std::string_view text, int base) {
  const auto ascii = to_ascii_number_text(text);
  if (!ascii) return std::nullopt;
  std::string_view s = *ascii;
  PythonInt result;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    result.negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (base != 10 && s.size() >= 2 && s[0] == '0') {
    const char marker = static_cast<char>(s[1] | 0x20);
    if ((base == 16 && marker == 'x') || (base == 8 && marker == 'o') ||
        (base == 2 && marker == 'b')) {
      s.remove_prefix(2);
      // Python allows one underscore right after a base prefix ("0x_1f").
      if (!s.empty() && s[0] == '_') s.remove_prefix(1);
    }
  }
  if (s.empty()) return std::nullopt;
  std::uint64_t magnitude = 0;
  bool overflow = false;
  std::size_t digits = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (i == 0 || i + 1 == s.size() || s[i - 1] == '_' || s[i + 1] == '_') return std::nullopt;
      continue;
    }
    const int value = digit_value(s[i]);
    if (value >= base) return std::nullopt;
    ++digits;
    if (!overflow &&
        (__builtin_mul_overflow(magnitude, static_cast<std::uint64_t>(base), &magnitude) ||
         __builtin_add_overflow(magnitude, static_cast<std::uint64_t>(value), &magnitude))) {
      overflow = true;
    }
  }
  // CPython 3.11's int_max_str_digits guard (only for bases that are not powers of two).
  if (base == 10 && digits > 4300) return std::nullopt;
  if (!overflow) result.magnitude = magnitude;
  return result;
}

std::optional<double> python_float(std::string_view text) {
  const auto ascii = to_ascii_number_text(text);
  if (!ascii) return std::nullopt;
  std::string_view s = *ascii;
  if (!underscores_well_placed(s)) return std::nullopt;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  std::string lower;
  for (const char c : s) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  if (lower == "inf" || lower == "infinity") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();

  // digits [. digits] [e [sign] digits], at least one mantissa digit.
  std::string clean = negative ? "-" : "";
  std::size_t i = 0;
  std::size_t mantissa_digits = 0;
  const auto take_digits = [&]() {
    std::size_t count = 0;
    while (i < lower.size() && (is_digit(lower[i]) || lower[i] == '_')) {
      if (lower[i] != '_') clean.push_back(lower[i]), ++count;
      ++i;
    }
    return count;
  };
  mantissa_digits += take_digits();
  if (i < lower.size() && lower[i] == '.') {
    clean.push_back('.');
    ++i;
    mantissa_digits += take_digits();
  }
  if (mantissa_digits == 0) return std::nullopt;
  if (i < lower.size() && lower[i] == 'e') {
    clean.push_back('e');
    ++i;
    if (i < lower.size() && (lower[i] == '+' || lower[i] == '-')) clean.push_back(lower[i++]);
    if (take_digits() == 0) return std::nullopt;
  }
  if (i != lower.size()) return std::nullopt;
  // strtod_l: correctly rounded like Python's dtoa, overflow to inf, independent of the locale.
  return strtod_l(clean.c_str(), nullptr, c_locale());
}

std::optional<nlohmann::ordered_json> json_integer(const PythonInt& value) {
  if (!value.magnitude) return std::nullopt;
  const std::uint64_t magnitude = *value.magnitude;
  constexpr auto kInt64Max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (value.negative) {
    if (magnitude > kInt64Max + 1) return std::nullopt;
    if (magnitude == kInt64Max + 1) return std::numeric_limits<std::int64_t>::min();
    return -static_cast<std::int64_t>(magnitude);
  }
  if (magnitude > kInt64Max) return nlohmann::ordered_json(magnitude);
  return static_cast<std::int64_t>(magnitude);
}

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  if (value == 0.0) return std::signbit(value) ? "-0.0" : "0.0";

  // Shortest round-trip digits, the same digits Python's repr picks.
  std::array<char, 64> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                       std::chars_format::scientific);
  (void)ec;
  const std::string_view sci(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
  std::string out = value < 0 ? "-" : "";
  const std::size_t e_pos = sci.find('e');
  std::string digits;
  for (const char c : sci.substr(0, e_pos)) {
    if (is_digit(c)) digits.push_back(c);
  }
  int exponent = 0;
  std::from_chars(sci.data() + e_pos + (sci[e_pos + 1] == '+' ? 2 : 1), sci.data() + sci.size(),
                  exponent);
  const int decpt = exponent + 1;  // digits are d.ddd x 10^exponent
  const int ndigits = static_cast<int>(digits.size());

  if (decpt <= -4 || decpt > 16) {
    out += digits[0];
    if (ndigits > 1) out += "." + digits.substr(1);
    const int shown = decpt - 1;
    out += shown < 0 ? "e-" : "e+";
    const std::string magnitude = std::to_string(shown < 0 ? -shown : shown);
    if (magnitude.size() < 2) out += "0";
    out += magnitude;
  } else if (decpt <= 0) {
    out += "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
  } else if (decpt >= ndigits) {
    out += digits + std::string(static_cast<std::size_t>(decpt - ndigits), '0') + ".0";
  } else {
    out += digits.substr(0, static_cast<std::size_t>(decpt)) + "." +
           digits.substr(static_cast<std::size_t>(decpt));
  }
  return out;
}

}  // namespace nbexec::params::detail
