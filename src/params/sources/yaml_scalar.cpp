#include "params/sources/yaml_scalar.hpp"

#include "params/common/python_number.hpp"

#include <algorithm>
#include <limits>
#include <regex>
#include <stdexcept>
#include <vector>

namespace nbexec::params::detail {
namespace {

// PyYAML 6's implicit resolver expressions (resolver.py), verbatim apart from the whitespace
// re.X ignores. All are matched against the whole scalar.
const std::regex& bool_pattern() {
  static const std::regex re(
      "yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF");
  return re;
}

const std::regex& float_pattern() {
  static const std::regex re(R"([-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?)"
                             R"(|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?)"
                             R"(|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*)"
                             R"(|[-+]?\.(?:inf|Inf|INF))"
                             R"(|\.(?:nan|NaN|NAN))");
  return re;
}

const std::regex& int_pattern() {
  static const std::regex re(R"([-+]?0b[0-1_]+)"
                             R"(|[-+]?0[0-7_]+)"
                             R"(|[-+]?(?:0|[1-9][0-9_]*))"
                             R"(|[-+]?0x[0-9a-fA-F_]+)"
                             R"(|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)");
  return re;
}

std::string without_underscores(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c != '_') out.push_back(c);
  }
  return out;
}

std::vector<std::string> split_colons(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t pos = text.find(':'); pos != std::string::npos; pos = text.find(':', start)) {
    parts.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
  parts.push_back(text.substr(start));
  return parts;
}

PythonInt python_int_or_throw(std::string_view text, int base) {
  const auto parsed = python_int(text, base);
  if (!parsed) {
    throw std::invalid_argument("invalid literal for int() with base " + std::to_string(base) +
                                ": '" + std::string(text) + "'");
  }
  return *parsed;
}

nlohmann::ordered_json to_json_or_throw(PythonInt value) {
  const auto json = json_integer(value);
  if (!json) throw std::out_of_range("integer beyond 64 bits");
  return *json;
}

}  // namespace

ScalarKind resolve_plain_scalar(std::string_view text) {
  // Python's `$` also matches before a final newline, which a block scalar tagged "!" can have.
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return ScalarKind::null;
  }
  if (text == "<<") return ScalarKind::merge;
  if (text == "=") return ScalarKind::value;
  const std::string s(text);
  if (std::regex_match(s, bool_pattern())) return ScalarKind::boolean;
  if (std::regex_match(s, float_pattern())) return ScalarKind::floating;
  if (std::regex_match(s, int_pattern())) return ScalarKind::integer;
  return ScalarKind::string;
}

bool construct_yaml_bool(std::string_view text) {
  std::string lower;
  for (const char c : text) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  if (lower == "yes" || lower == "true" || lower == "on") return true;
  if (lower == "no" || lower == "false" || lower == "off") return false;
  throw std::invalid_argument("'" + std::string(text) + "' is not a YAML boolean");
}

nlohmann::ordered_json construct_yaml_int(std::string_view text) {
  std::string value = without_underscores(text);
  if (value.empty()) throw std::invalid_argument("an empty scalar is not an integer");
  bool negative = false;
  if (value[0] == '-') negative = true;
  if (value[0] == '+' || value[0] == '-') value.erase(0, 1);
  const auto signed_int = [&](PythonInt parsed) {
    parsed.negative = parsed.negative != negative;
    if (parsed.magnitude == 0u) parsed.negative = false;
    return to_json_or_throw(parsed);
  };
  if (value == "0") return 0;
  if (value.rfind("0b", 0) == 0) return signed_int(python_int_or_throw(value.substr(2), 2));
  if (value.rfind("0x", 0) == 0) return signed_int(python_int_or_throw(value.substr(2), 16));
  if (!value.empty() && value[0] == '0') return signed_int(python_int_or_throw(value, 8));
  if (value.find(':') != std::string::npos) {
    // Sexagesimal: the last part counts ones, the one before sixties, and so on.
    auto parts = split_colons(value);
    std::reverse(parts.begin(), parts.end());
    std::uint64_t total = 0;
    std::uint64_t base = 1;
    bool overflow = false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const PythonInt part = python_int_or_throw(parts[i], 10);
      if (!part.magnitude) throw std::out_of_range("integer beyond 64 bits");
      // Python sums signed parts; a signed part inside a sexagesimal is too odd to support.
      if (part.negative && *part.magnitude != 0) {
        throw std::invalid_argument("signed sexagesimal part '" + parts[i] + "'");
      }
      std::uint64_t term = 0;
      overflow = overflow || __builtin_mul_overflow(*part.magnitude, base, &term) ||
                 __builtin_add_overflow(total, term, &total);
      if (i + 1 < parts.size()) overflow = overflow || __builtin_mul_overflow(base, 60u, &base);
    }
    if (overflow) throw std::out_of_range("integer beyond 64 bits");
    return signed_int(PythonInt{false, total});
  }
  return signed_int(python_int_or_throw(value, 10));
}

double construct_yaml_float(std::string_view text) {
  std::string value = without_underscores(text);
  for (char& c : value) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (value.empty()) throw std::invalid_argument("an empty scalar is not a float");
  double sign = 1.0;
  if (value[0] == '-') sign = -1.0;
  if (value[0] == '+' || value[0] == '-') value.erase(0, 1);
  if (value == ".inf") return sign * std::numeric_limits<double>::infinity();
  if (value == ".nan") return std::numeric_limits<double>::quiet_NaN();
  const auto python_float_or_throw = [](const std::string& part) {
    const auto parsed = python_float(part);
    if (!parsed) throw std::invalid_argument("could not convert string to float: '" + part + "'");
    return *parsed;
  };
  if (value.find(':') != std::string::npos) {
    auto parts = split_colons(value);
    std::reverse(parts.begin(), parts.end());
    double base = 1.0;
    double total = 0.0;
    for (const auto& part : parts) {
      total += python_float_or_throw(part) * base;
      base *= 60.0;
    }
    return sign * total;
  }
  return sign * python_float_or_throw(value);
}

}  // namespace nbexec::params::detail
