#include "params/translate/languages.hpp"

#include "params/common/python_number.hpp"
#include "params/common/utf8.hpp"

#include <nbexec/error.hpp>

#include <array>
#include <cstdint>

namespace nbexec::params {
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
  const auto decoded = detail::decode_utf8(utf8, &bad);
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

std::string strip(std::string_view utf8) {
  return detail::python_strip(utf8);
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
  unsupported("binary values");
}

std::string Translator::codify(const Parameters& parameters, std::string_view text) const {
  std::string content = comment(text) + "\n";
  if (parameters.is_null()) return content;
  for (const auto& [name, value] : parameters.items()) {
    std::string rendered;
    try {
      rendered = assign(name, translate(value));
    } catch (const ParameterError& error) {
      // The hooks know the value, not which parameter holds it.
      throw ParameterError("parameter '" + name + "': " + error.what());
    }
    content += rendered + "\n";
  }
  return content;
}

void Translator::unsupported(std::string_view what) const {
  throw ParameterError(std::string(what) + " cannot be expressed in " + language_name());
}

std::string Translator::translate_raw_str(std::string_view text) const {
  return std::string(text);
}

std::string Translator::translate_escaped_str(std::string_view text) const {
  return "\"" + detail::replace_all(unicode_escape(text), "\"", "\\\"") + "\"";
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
  return translate_raw_str(detail::python_float_repr(value));
}

std::string Translator::translate_bool(bool value) const {
  return value ? "true" : "false";
}

std::string Translator::translate_dict(const nlohmann::ordered_json& /*value*/) const {
  unsupported("dict values");
}

std::string Translator::translate_list(const nlohmann::ordered_json& /*value*/) const {
  unsupported("list values");
}

std::string Translator::comment(std::string_view /*text*/) const {
  throw ParameterError("the " + language_name() + " translator cannot write comments");
}

std::string Translator::assign(std::string_view name, std::string_view value) const {
  return std::string(name) + " = " + std::string(value);
}

namespace detail {

std::string join_items(const Translator& translator, const nlohmann::ordered_json& list,
                       std::string_view separator) {
  std::string out;
  bool first = true;
  for (const auto& item : list) {
    if (!first) out += separator;
    first = false;
    out += translator.translate(item);
  }
  return out;
}

std::string join_pairs(const Translator& translator, const nlohmann::ordered_json& dict,
                       std::string_view between, std::string_view separator) {
  std::string out;
  bool first = true;
  for (const auto& [key, item] : dict.items()) {
    if (!first) out += separator;
    first = false;
    out += translator.translate_str(key);
    out += between;
    out += translator.translate(item);
  }
  return out;
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  std::size_t start = 0;
  for (std::size_t at = text.find(from); at != std::string_view::npos;
       at = text.find(from, start)) {
    out.append(text.substr(start, at - start)).append(to);
    start = at + from.size();
  }
  return out.append(text.substr(start));
}

std::string reescape(std::string_view escaped, Reescape how) {
  const auto hex = [&](std::size_t at, std::size_t count) {
    return static_cast<char32_t>(std::stoul(std::string(escaped.substr(at, count)), nullptr, 16));
  };
  const auto u4 = [](char32_t unit) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(unit >> shift) & 0xF]);
    return out;
  };
  std::string out;
  out.reserve(escaped.size());
  for (std::size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != '\\' || i + 1 >= escaped.size()) {
      out.push_back(escaped[i]);
      continue;
    }
    const char kind = escaped[i + 1];
    if (kind == 'x') {
      const char32_t value = hex(i + 2, 2);
      if (how.all_x_as_u || (how.high_x_as_u && value >= 0x80)) {
        out += u4(value);
      } else {
        out.append(escaped.substr(i, 4));
      }
      i += 3;
    } else if (kind == 'U' && how.astral_as_surrogates) {
      const char32_t value = hex(i + 2, 8) - 0x10000;
      out += u4(0xD800 + (value >> 10)) + u4(0xDC00 + (value & 0x3FF));
      i += 9;
    } else {
      out.append(escaped.substr(i, 2));  // \\, \t, \n, \r; \u's digits follow as text
      ++i;
    }
  }
  return out;
}

bool outside_int32(const nlohmann::ordered_json& integer) {
  if (integer.is_number_unsigned()) return integer.get<std::uint64_t>() > 2147483647U;
  const auto value = integer.get<std::int64_t>();
  return value > 2147483647 || value < -2147483648LL;
}

bool above_int64(const nlohmann::ordered_json& integer) {
  return integer.is_number_unsigned() &&
         integer.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX);
}

}  // namespace detail
}  // namespace nbexec::params
