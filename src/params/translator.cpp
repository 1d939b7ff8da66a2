#include "params/translator.hpp"

#include "params/python_number.hpp"
#include "params/utf8.hpp"

#include <nbexec/error.hpp>

#include <array>

namespace nbexec::params::detail {
namespace {

void append_hex(std::string& out, char32_t value, int width) {
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  for (int shift = (width - 1) * 4; shift >= 0; shift -= 4) {
    out.push_back(kHex[(value >> shift) & 0xF]);
  }
}

}  // namespace

std::string unicode_escape(std::string_view utf8) {
  std::size_t bad = 0;
  const auto decoded = decode_utf8(utf8, &bad);
  if (!decoded) {
    throw ParameterError("string parameter value is not valid UTF-8 (byte " + std::to_string(bad) +
                         "): cannot render it");
  }
  // CPython's unicode_escape codec, case by case.
  std::string out;
  out.reserve(utf8.size());
  for (const char32_t c : *decoded) {
    if (c >= 0x10000) {
      out += "\\U", append_hex(out, c, 8);
    } else if (c >= 0x100) {
      out += "\\u", append_hex(out, c, 4);
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7F) {
      out += "\\x", append_hex(out, c, 2);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string Translator::translate(const nlohmann::ordered_json& value) const {
  using Type = nlohmann::ordered_json::value_t;
  switch (value.type()) {
    case Type::null:
      return translate_none();
    case Type::string:
      return translate_str(value.get_ref<const std::string&>());
    case Type::boolean:
      return translate_bool(value.get<bool>());
    case Type::number_integer:
    case Type::number_unsigned:
      return translate_int(value);
    case Type::number_float:
      return translate_float(value.get<double>());
    case Type::object:
      return translate_dict(value);
    case Type::array:
      return translate_list(value);
    case Type::binary:
    case Type::discarded:
      break;
  }
  throw ParameterError("a binary or discarded JSON value cannot be rendered as a " +
                       std::string(language_name()) + " parameter");
}

std::string Translator::codify(const Parameters& parameters, std::string_view text) const {
  std::string content = comment(text) + "\n";
  for (const auto& [name, value] : parameters.items()) {
    content += assign(name, translate(value)) + "\n";
  }
  return content;
}

std::string Translator::translate_raw_str(std::string_view text) const {
  return std::string(text);
}

std::string Translator::translate_escaped_str(std::string_view text) const {
  std::string out = "\"";
  for (const char c : unicode_escape(text)) {
    if (c == '"')
      out += "\\\"";
    else
      out.push_back(c);
  }
  return out + "\"";
}

std::string Translator::translate_str(std::string_view text) const {
  return translate_escaped_str(text);
}

std::string Translator::translate_none() const {
  return translate_raw_str("None");
}

std::string Translator::translate_int(const nlohmann::ordered_json& value) const {
  return translate_raw_str(value.dump());
}

std::string Translator::translate_float(double value) const {
  return translate_raw_str(python_float_repr(value));
}

std::string Translator::translate_bool(bool value) const {
  return value ? "true" : "false";
}

std::string Translator::translate_dict(const nlohmann::ordered_json& /*value*/) const {
  throw ParameterError("dict parameter values cannot be rendered for " +
                       std::string(language_name()));
}

std::string Translator::translate_list(const nlohmann::ordered_json& /*value*/) const {
  throw ParameterError("list parameter values cannot be rendered for " +
                       std::string(language_name()));
}

std::string Translator::comment(std::string_view /*text*/) const {
  throw ParameterError("comments cannot be rendered for " + std::string(language_name()));
}

std::string Translator::assign(std::string_view name, std::string_view value) const {
  return std::string(name) + " = " + std::string(value);
}

}  // namespace nbexec::params::detail
