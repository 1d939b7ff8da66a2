#include "params/common/python_format.hpp"

#include "params/common/python_number.hpp"
#include "params/common/utf8.hpp"

#include <nbexec/error.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace nbexec::params::detail {
namespace {

using json = nlohmann::ordered_json;

std::u32string to_u32(std::string_view text) {
  auto decoded = decode_utf8(text);
  if (!decoded) throw ParameterError("a parameter used in a path is not valid UTF-8");
  return *decoded;
}

std::string to_utf8(const std::u32string& text) {
  std::string out;
  for (char32_t c : text) append_utf8(out, c);
  return out;
}

// repr() of a str: single quotes unless the text holds ' and no ", escapes for \, the quote,
// \t \n \r and other non-printable characters.
std::string repr_string(std::string_view text, bool ascii_only) {
  const std::u32string chars = to_u32(text);
  const bool has_single = chars.find(U'\'') != std::u32string::npos;
  const bool has_double = chars.find(U'"') != std::u32string::npos;
  const char32_t quote = has_single && !has_double ? U'"' : U'\'';
  std::string out(1, static_cast<char>(quote));
  char buffer[16];
  for (char32_t c : chars) {
    if (c == quote || c == U'\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == U'\t') {
      out += "\\t";
    } else if (c == U'\n') {
      out += "\\n";
    } else if (c == U'\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || (ascii_only && c >= 0x80)) {
      const char* pattern = c <= 0xff ? "\\x%02x" : c <= 0xffff ? "\\u%04x" : "\\U%08x";
      std::snprintf(buffer, sizeof buffer, pattern, static_cast<unsigned>(c));
      out += buffer;
    } else {
      append_utf8(out, c);
    }
  }
  out += static_cast<char>(quote);
  return out;
}

std::string integer_text(const json& value) {
  return value.is_number_unsigned() ? std::to_string(value.get<std::uint64_t>())
                                    : std::to_string(value.get<std::int64_t>());
}

std::string container_repr(const json& value, bool ascii_only) {
  std::string out = value.is_array() ? "[" : "{";
  bool first = true;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!first) out += ", ";
    first = false;
    if (value.is_object()) out += repr_string(it.key(), ascii_only) + ": ";
    out += ascii_only ? python_ascii(*it) : python_repr(*it);
  }
  return out + (value.is_array() ? "]" : "}");
}

struct Spec {
  char32_t fill = U' ';
  char align = 0;  // '<', '>', '^', '=' or 0 for the type's default
  char sign = '-';
  bool no_negative_zero = false;  // 'z'
  bool alternate = false;         // '#'
  std::size_t width = 0;
  char grouping = 0;  // ',' or '_'
  int precision = -1;
  char type = 0;
};

[[noreturn]] void value_error(const std::string& message) {
  throw ParameterError(message);
}

bool is_align(char32_t c) {
  return c == U'<' || c == U'>' || c == U'^' || c == U'=';
}

Spec parse_spec(std::string_view spec_text) {
  const std::u32string spec = to_u32(spec_text);
  Spec out;
  std::size_t i = 0;
  if (spec.size() >= 2 && is_align(spec[1])) {
    out.fill = spec[0];
    out.align = static_cast<char>(spec[1]);
    i = 2;
  } else if (!spec.empty() && is_align(spec[0])) {
    out.align = static_cast<char>(spec[0]);
    i = 1;
  }
  if (i < spec.size() && (spec[i] == U'+' || spec[i] == U'-' || spec[i] == U' ')) {
    out.sign = static_cast<char>(spec[i++]);
  }
  if (i < spec.size() && spec[i] == U'z') out.no_negative_zero = true, ++i;
  if (i < spec.size() && spec[i] == U'#') out.alternate = true, ++i;
  if (i < spec.size() && spec[i] == U'0') {
    // '0' before the width: zero padding after the sign, unless a fill/alignment was given.
    if (out.align == 0) out.fill = U'0', out.align = '=';
    ++i;
  }
  auto digits = [&](std::size_t& value) {
    std::size_t start = i;
    while (i < spec.size() && spec[i] >= U'0' && spec[i] <= U'9') {
      value = value * 10 + (spec[i++] - U'0');
      if (value > 1'000'000) value_error("Too many decimal digits in format string");
    }
    return i > start;
  };
  digits(out.width);
  if (i < spec.size() && (spec[i] == U',' || spec[i] == U'_'))
    out.grouping = static_cast<char>(spec[i++]);
  if (i < spec.size() && spec[i] == U'.') {
    ++i;
    std::size_t precision = 0;
    if (!digits(precision)) value_error("Format specifier missing precision");
    out.precision = static_cast<int>(precision);
  }
  if (i < spec.size()) out.type = static_cast<char>(spec[i++]);
  if (i < spec.size() || (out.type != 0 && static_cast<unsigned char>(out.type) > 0x7f)) {
    value_error("Invalid format specifier '" + std::string(spec_text) + "'");
  }
  return out;
}

std::string pad(std::string_view body_utf8, std::string_view prefix, const Spec& spec,
                char default_align) {
  const std::u32string body = to_u32(body_utf8);
  const std::size_t length = body.size() + prefix.size();
  if (length >= spec.width) return std::string(prefix) + std::string(body_utf8);
  const std::size_t missing = spec.width - length;
  const char align = spec.align ? spec.align : default_align;
  std::u32string fill_left, fill_right;
  if (align == '<') {
    fill_right.assign(missing, spec.fill);
  } else if (align == '^') {
    fill_left.assign(missing / 2, spec.fill);
    fill_right.assign(missing - missing / 2, spec.fill);
  } else {
    fill_left.assign(missing, spec.fill);
  }
  if (align == '=') return std::string(prefix) + to_utf8(fill_left) + std::string(body_utf8);
  return to_utf8(fill_left) + std::string(prefix) + std::string(body_utf8) + to_utf8(fill_right);
}

// Inserts the grouping character every `every` digits of the leading run of digits.
std::string group_digits(const std::string& text, char separator, int every) {
  std::size_t end = 0;
  while (end < text.size() && std::isxdigit(static_cast<unsigned char>(text[end]))) ++end;
  if (text.find_first_of("eE") < end) end = text.find_first_of("eE");
  std::string out;
  for (std::size_t i = 0; i < end; ++i) {
    if (i > 0 && (end - i) % every == 0) out += separator;
    out += text[i];
  }
  return out + text.substr(end);
}

std::string format_string(std::string_view text, const Spec& spec) {
  if (spec.type != 0 && spec.type != 's') {
    value_error(std::string("Unknown format code '") + spec.type + "' for object of type 'str'");
  }
  if (spec.sign != '-') value_error("Sign not allowed in string format specifier");
  if (spec.alternate) value_error("Alternate form (#) not allowed in string format specifier");
  if (spec.align == '=') value_error("'=' alignment not allowed in string format specifier");
  if (spec.grouping) value_error(std::string("Cannot specify '") + spec.grouping + "' with 's'.");
  std::string body(text);
  if (spec.precision >= 0) {
    std::u32string chars = to_u32(text);
    if (chars.size() > static_cast<std::size_t>(spec.precision)) chars.resize(spec.precision);
    body = to_utf8(chars);
  }
  return pad(body, "", spec, '<');
}

std::string sign_prefix(bool negative, const Spec& spec) {
  if (negative) return "-";
  if (spec.sign == '+') return "+";
  if (spec.sign == ' ') return " ";
  return "";
}

std::string format_float(double value, const Spec& spec);

std::string format_integer(const json& value, const Spec& spec) {
  const char type = spec.type;
  if (type == 'e' || type == 'E' || type == 'f' || type == 'F' || type == 'g' || type == 'G' ||
      type == '%') {
    return format_float(value.get<double>(), spec);
  }
  if (spec.precision >= 0) value_error("Precision not allowed in integer format specifier");
  if (spec.no_negative_zero)
    value_error("Negative zero coercion (z) not allowed in integer format specifier");
  const bool negative =
      value.is_number_integer() && !value.is_number_unsigned() && value.get<std::int64_t>() < 0;
  std::uint64_t magnitude =
      value.is_number_unsigned()
          ? value.get<std::uint64_t>()
          : (negative ? 0 - static_cast<std::uint64_t>(value.get<std::int64_t>())
                      : static_cast<std::uint64_t>(value.get<std::int64_t>()));
  std::string digits, prefix;
  int base = 10;
  switch (type) {
    case 0:
    case 'd':
    case 'n':
      break;
    case 'b':
      base = 2, prefix = "0b";
      break;
    case 'o':
      base = 8, prefix = "0o";
      break;
    case 'x':
      base = 16, prefix = "0x";
      break;
    case 'X':
      base = 16, prefix = "0X";
      break;
    case 'c': {
      if (spec.sign != '-') value_error("Sign not allowed with integer format specifier 'c'");
      if (negative || magnitude > 0x10ffff) value_error("%c arg not in range(0x110000)");
      std::string text;
      append_utf8(text, static_cast<char32_t>(magnitude));
      return pad(text, "", spec, '<');
    }
    default:
      value_error(std::string("Unknown format code '") + type + "' for object of type 'int'");
  }
  const char* alphabet = type == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    digits.insert(digits.begin(), alphabet[magnitude % base]);
    magnitude /= base;
  } while (magnitude > 0);
  if (spec.grouping == ',' && base != 10) {
    value_error(std::string("Cannot specify ',' with '") + type + "'.");
  }
  if (spec.grouping) digits = group_digits(digits, spec.grouping, base == 10 ? 3 : 4);
  return pad(digits, sign_prefix(negative, spec) + (spec.alternate ? prefix : ""), spec, '>');
}

std::string printf_double(const char* conversion, int precision, double value, bool alternate) {
  std::string format = alternate ? "%#." : "%.";
  format += "*";
  format += conversion;
  char buffer[512];
  int n = std::snprintf(buffer, sizeof buffer, format.c_str(), precision, value);
  if (n < 0) return "";
  if (static_cast<std::size_t>(n) < sizeof buffer) return std::string(buffer, n);
  std::string big(static_cast<std::size_t>(n) + 1, '\0');
  std::snprintf(big.data(), big.size(), format.c_str(), precision, value);
  big.resize(n);
  return big;
}

// Python's 'g' rules (also for no type with a precision, where fixed notation keeps a ".0"
// and switches to exponent notation one digit earlier).
std::string general_format(double magnitude, int precision, bool add_dot_zero, bool alternate) {
  if (precision == 0) precision = 1;
  std::string exponent_form = printf_double("e", precision - 1, magnitude, false);
  const int exponent = std::atoi(exponent_form.c_str() + exponent_form.find('e') + 1);
  const int limit = add_dot_zero ? precision - 1 : precision;
  std::string out;
  if (exponent < -4 || exponent >= limit) {
    out = printf_double("e", precision - 1, magnitude, alternate);
    if (!alternate) {
      std::size_t e = out.find('e');
      std::string mantissa = out.substr(0, e);
      if (mantissa.find('.') != std::string::npos) {
        while (mantissa.back() == '0') mantissa.pop_back();
        if (mantissa.back() == '.') mantissa.pop_back();
      }
      out = mantissa + out.substr(e);
    }
  } else {
    out = printf_double("f", precision - 1 - exponent, magnitude, alternate);
    if (!alternate && out.find('.') != std::string::npos) {
      while (out.back() == '0') out.pop_back();
      if (out.back() == '.') out.pop_back();
    }
    if (add_dot_zero && out.find('.') == std::string::npos) out += ".0";
  }
  return out;
}

std::string format_float(double value, const Spec& spec) {
  char type = spec.type;
  if (type == 'n') type = 'g';
  if (type != 0 && type != 'e' && type != 'E' && type != 'f' && type != 'F' && type != 'g' &&
      type != 'G' && type != '%') {
    value_error(std::string("Unknown format code '") + type + "' for object of type 'float'");
  }
  bool negative = std::signbit(value) && !std::isnan(value);
  const double magnitude = std::fabs(value);
  const int precision = spec.precision >= 0 ? spec.precision : 6;
  std::string body;
  if (std::isinf(magnitude) || std::isnan(magnitude)) {
    body = std::isnan(magnitude) ? "nan" : "inf";
    if (type == 'E' || type == 'F' || type == 'G') body = std::isnan(magnitude) ? "NAN" : "INF";
    if (type == '%') body += "%";
  } else if (type == 0 && spec.precision < 0) {
    body = python_float_repr(magnitude);
  } else if (type == 0) {
    body = general_format(magnitude, precision, true, spec.alternate);
  } else if (type == 'g' || type == 'G') {
    body = general_format(magnitude, precision, false, spec.alternate);
  } else if (type == '%') {
    body = printf_double("f", precision, magnitude * 100, spec.alternate) + "%";
  } else {
    body =
        printf_double(type == 'e' || type == 'E' ? "e" : "f", precision, magnitude, spec.alternate);
  }
  if (type == 'E' || type == 'G') {
    for (char& c : body) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (negative && spec.no_negative_zero && body.find_first_of("123456789") == std::string::npos) {
    negative = false;
  }
  if (spec.grouping) body = group_digits(body, spec.grouping, 3);
  return pad(body, sign_prefix(negative, spec), spec, '>');
}

const char* type_name(const json& value) {
  if (value.is_null()) return "NoneType";
  if (value.is_array()) return "list";
  if (value.is_object()) return "dict";
  return "object";
}

}  // namespace

std::string python_repr(const json& value) {
  if (value.is_string()) return repr_string(value.get_ref<const std::string&>(), false);
  if (value.is_array() || value.is_object()) return container_repr(value, false);
  return python_str(value);
}

std::string python_ascii(const json& value) {
  if (value.is_string()) return repr_string(value.get_ref<const std::string&>(), true);
  if (value.is_array() || value.is_object()) return container_repr(value, true);
  return python_str(value);
}

std::string python_str(const json& value) {
  if (value.is_null()) return "None";
  if (value.is_boolean()) return value.get<bool>() ? "True" : "False";
  if (value.is_number_integer()) return integer_text(value);
  if (value.is_number_float()) return python_float_repr(value.get<double>());
  if (value.is_string()) return value.get<std::string>();
  return container_repr(value, false);
}

std::string python_format(const json& value, std::string_view spec_text) {
  if (spec_text.empty()) return python_str(value);
  const Spec spec = parse_spec(spec_text);
  if (value.is_string()) return format_string(value.get_ref<const std::string&>(), spec);
  // bool is an int subclass: with a non-empty spec it formats as 1 or 0.
  if (value.is_boolean()) return format_integer(json(value.get<bool>() ? 1 : 0), spec);
  if (value.is_number_integer()) return format_integer(value, spec);
  if (value.is_number_float()) return format_float(value.get<double>(), spec);
  throw ParameterError(std::string("unsupported format string passed to ") + type_name(value) +
                       ".__format__");
}

}  // namespace nbexec::params::detail
