#include <nbexec/params/path/path_template.hpp>

#include "params/common/python_format.hpp"
#include "params/common/utf8.hpp"

#include <nbexec/error.hpp>

#include <cstdio>
#include <ctime>
#include <optional>
#include <random>

namespace nbexec::params {
namespace {

using json = nlohmann::ordered_json;
using detail::python_format;

// The error a str.format call would raise, before the path and `what` are added.
struct FormatError {
  std::string message;
};

[[noreturn]] void fail(std::string message) {
  throw FormatError{std::move(message)};
}

// A broken-down datetime, as Python's datetime holds it.
struct DateTime {
  std::tm fields{};
  long microsecond = 0;
  bool utc = false;  // aware (tzinfo=timezone.utc) rather than naive local time
};

DateTime make_datetime(std::chrono::system_clock::time_point now, bool utc) {
  const auto since_epoch = now.time_since_epoch();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  DateTime out;
  out.microsecond = static_cast<long>(
      std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count() % 1000000);
  if (out.microsecond < 0) out.microsecond += 1000000;
  out.utc = utc;
  if (utc) {
    gmtime_r(&seconds, &out.fields);
  } else {
    localtime_r(&seconds, &out.fields);
  }
  return out;
}

std::string datetime_str(const DateTime& dt) {
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &dt.fields);
  std::string out = buffer;
  if (dt.microsecond != 0) {
    std::snprintf(buffer, sizeof buffer, ".%06ld", dt.microsecond);
    out += buffer;
  }
  return dt.utc ? out + "+00:00" : out;
}

std::string datetime_repr(const DateTime& dt) {
  const std::tm& t = dt.fields;
  std::string out = "datetime.datetime(" + std::to_string(t.tm_year + 1900) + ", " +
                    std::to_string(t.tm_mon + 1) + ", " + std::to_string(t.tm_mday) + ", " +
                    std::to_string(t.tm_hour) + ", " + std::to_string(t.tm_min);
  if (t.tm_sec != 0 || dt.microsecond != 0) out += ", " + std::to_string(t.tm_sec);
  if (dt.microsecond != 0) out += ", " + std::to_string(dt.microsecond);
  if (dt.utc) out += ", tzinfo=datetime.timezone.utc";
  return out + ")";
}

// datetime.__format__: an empty spec is str(), anything else is strftime, where Python adds
// %f (microseconds) and gives %z/%Z for aware values only.
std::string datetime_format(const DateTime& dt, std::string_view spec) {
  if (spec.empty()) return datetime_str(dt);
  std::string expanded;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] != '%' || i + 1 == spec.size()) {
      expanded += spec[i];
      continue;
    }
    const char code = spec[++i];
    char buffer[16];
    if (code == 'f') {
      std::snprintf(buffer, sizeof buffer, "%06ld", dt.microsecond);
      expanded += buffer;
    } else if (code == 'z') {
      expanded += dt.utc ? "+0000" : "";
    } else if (code == 'Z') {
      expanded += dt.utc ? "UTC" : "";
    } else {
      expanded += '%';
      expanded += code;
    }
  }
  std::string out(expanded.size() * 4 + 64, '\0');
  const std::size_t n = std::strftime(out.data(), out.size(), expanded.c_str(), &dt.fields);
  out.resize(n);
  return out;
}

// One value a replacement field can name: a parameter value, a built-in datetime, or the
// built-in `pm` mapping itself.
struct Value {
  std::optional<json> data;
  std::optional<DateTime> datetime;
  bool builtins = false;
};

const char* python_type_name(const Value& value) {
  if (value.datetime) return "datetime.datetime";
  if (value.builtins) return "dict";
  const json& j = *value.data;
  if (j.is_null()) return "NoneType";
  if (j.is_boolean()) return "bool";
  if (j.is_number_integer()) return "int";
  if (j.is_number_float()) return "float";
  if (j.is_string()) return "str";
  if (j.is_array()) return "list";
  return "dict";
}

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

class Formatter {
 public:
  Formatter(const Parameters& parameters, const BuiltinParameters& builtins)
      : parameters_(parameters), builtins_(builtins) {}

  std::string format(std::string_view text, int depth) {
    if (depth > 1) fail("Max string recursion exceeded");
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '}') {
        if (i + 1 < text.size() && text[i + 1] == '}') {
          out += '}', i += 2;
          continue;
        }
        fail("Single '}' encountered in format string");
      }
      if (c != '{') {
        out += c, ++i;
        continue;
      }
      if (i + 1 < text.size() && text[i + 1] == '{') {
        out += '{', i += 2;
        continue;
      }
      if (i + 1 == text.size()) fail("Single '{' encountered in format string");
      out += replacement_field(text, ++i, depth);
    }
    return out;
  }

 private:
  // Reads "field_name[!conversion][:spec]}" from text[i] on and returns its formatted value.
  std::string replacement_field(std::string_view text, std::size_t& i, int depth) {
    const std::size_t name_start = i;
    while (i < text.size() && text[i] != '}' && text[i] != '!' && text[i] != ':') {
      if (text[i] == '{') fail("unexpected '{' in field name");
      if (text[i] == '[') {
        while (i < text.size() && text[i] != ']') ++i;
        if (i == text.size()) fail("expected '}' before end of string");
      }
      ++i;
    }
    if (i == text.size()) fail("expected '}' before end of string");
    const std::string_view field_name = text.substr(name_start, i - name_start);
    char conversion = 0;
    if (text[i] == '!') {
      if (i + 1 >= text.size()) fail("end of string while looking for conversion specifier");
      conversion = text[i + 1];
      i += 2;
      if (i >= text.size() || (text[i] != ':' && text[i] != '}')) {
        fail("expected ':' after conversion specifier");
      }
    }
    std::string spec;
    if (text[i] == ':') {
      const std::size_t spec_start = ++i;
      int nesting = 1;
      while (i < text.size()) {
        if (text[i] == '{') ++nesting;
        if (text[i] == '}' && --nesting == 0) break;
        ++i;
      }
      if (i == text.size()) fail("expected '}' before end of string");
      spec = format(text.substr(spec_start, i - spec_start), depth + 1);
    }
    ++i;  // the closing '}'
    Value value = resolve(field_name);
    return convert_and_format(value, conversion, spec);
  }

  Value resolve(std::string_view field_name) {
    std::size_t end = field_name.find_first_of(".[");
    const std::string_view first = field_name.substr(0, end);
    if (first.empty() || all_digits(first)) {
      fail("Replacement index " + std::string(first.empty() ? "0" : first) +
           " out of range for positional args tuple");
    }
    Value value;
    const std::string name(first);
    if (auto it = parameters_.find(name); it != parameters_.end()) {
      value.data = *it;
    } else if (name == "pm") {
      value.builtins = true;
    } else {
      std::string known;
      for (auto it = parameters_.begin(); it != parameters_.end(); ++it) {
        known += (known.empty() ? "" : ", ") + it.key();
      }
      throw ParameterError("missing parameter '" + name +
                           "' (given: " + (known.empty() ? "none" : known) + ")");
    }
    std::size_t i = end;
    while (i != std::string_view::npos && i < field_name.size()) {
      if (field_name[i] == '.') {
        std::size_t next = field_name.find_first_of(".[", i + 1);
        value = attribute(
            value, field_name.substr(i + 1, next == std::string_view::npos ? std::string_view::npos
                                                                           : next - i - 1));
        i = next;
      } else {
        const std::size_t close = field_name.find(']', i);
        value = item(value, field_name.substr(i + 1, close - i - 1));
        i = close + 1;
        if (i < field_name.size() && field_name[i] != '.' && field_name[i] != '[') {
          fail("Only '.' or '[' may follow ']' in format field specifier");
        }
      }
    }
    return value;
  }

  Value attribute(const Value& value, std::string_view name) {
    if (name.empty()) fail("Empty attribute in format string");
    if (value.datetime) {
      const std::tm& t = value.datetime->fields;
      const std::pair<const char*, long> fields[] = {{"year", t.tm_year + 1900L},
                                                     {"month", t.tm_mon + 1L},
                                                     {"day", t.tm_mday},
                                                     {"hour", t.tm_hour},
                                                     {"minute", t.tm_min},
                                                     {"second", t.tm_sec},
                                                     {"microsecond", value.datetime->microsecond}};
      for (const auto& [field, number] : fields) {
        if (name == field) return Value{json(number), std::nullopt, false};
      }
    }
    fail(std::string("'") + python_type_name(value) + "' object has no attribute '" +
         std::string(name) + "'");
  }

  Value item(const Value& value, std::string_view key) {
    if (key.empty()) fail("Empty attribute in format string");
    const bool numeric = all_digits(key);
    if (value.builtins) {
      if (key == "run_uuid") return Value{json(builtins_.run_uuid), std::nullopt, false};
      if (key == "current_datetime_local")
        return Value{std::nullopt, make_datetime(builtins_.now, false), false};
      if (key == "current_datetime_utc")
        return Value{std::nullopt, make_datetime(builtins_.now, true), false};
      fail(numeric ? std::string(key) : "'" + std::string(key) + "'");
    }
    if (!value.data) fail("'datetime.datetime' object is not subscriptable");
    const json& data = *value.data;
    if (data.is_object()) {
      // JSON keys are strings; Python would look a digit key up as an int and miss it.
      if (numeric) fail(std::string(key));
      auto it = data.find(std::string(key));
      if (it == data.end()) fail("'" + std::string(key) + "'");
      return Value{*it, std::nullopt, false};
    }
    if (data.is_array() || data.is_string()) {
      const char* type = data.is_array() ? "list" : "string";
      if (!numeric) {
        fail(data.is_array() ? "list indices must be integers or slices, not str"
                             : "string indices must be integers, not 'str'");
      }
      const std::size_t index = key.size() > 18 ? SIZE_MAX : std::stoull(std::string(key));
      if (data.is_array()) {
        if (index >= data.size()) fail(std::string(type) + " index out of range");
        return Value{data[index], std::nullopt, false};
      }
      auto chars = detail::decode_utf8(data.get_ref<const std::string&>());
      if (!chars || index >= chars->size()) fail(std::string(type) + " index out of range");
      std::string one;
      detail::append_utf8(one, (*chars)[index]);
      return Value{json(one), std::nullopt, false};
    }
    fail(std::string("'") + python_type_name(value) + "' object is not subscriptable");
  }

  std::string convert_and_format(const Value& value, char conversion, const std::string& spec) {
    if (value.builtins) {
      throw ParameterError(
          "{pm} names papermill's built-in parameters as a whole; use {pm[run_uuid]}, "
          "{pm[current_datetime_local]} or {pm[current_datetime_utc]}");
    }
    if (conversion != 0 && conversion != 's' && conversion != 'r' && conversion != 'a') {
      fail(std::string("Unknown conversion specifier ") + conversion);
    }
    if (value.datetime) {
      if (conversion == 0) return datetime_format(*value.datetime, spec);
      std::string text =
          conversion == 's' ? datetime_str(*value.datetime) : datetime_repr(*value.datetime);
      return python_format(json(text), spec);
    }
    const json& data = *value.data;
    switch (conversion) {
      case 's':
        return python_format(json(detail::python_str(data)), spec);
      case 'r':
        return python_format(json(detail::python_repr(data)), spec);
      case 'a':
        return python_format(json(detail::python_ascii(data)), spec);
      default:
        return python_format(data, spec);
    }
  }

  const Parameters& parameters_;
  const BuiltinParameters& builtins_;
};

}  // namespace

BuiltinParameters make_builtin_parameters() {
  std::random_device device;
  unsigned char bytes[16];
  for (auto& byte : bytes) byte = static_cast<unsigned char>(device() & 0xff);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string uuid;
  char hex[3];
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) uuid += '-';
    std::snprintf(hex, sizeof hex, "%02x", bytes[i]);
    uuid += hex;
  }
  return BuiltinParameters{uuid, std::chrono::system_clock::now()};
}

std::string parameterize_path(std::string_view path, const Parameters& parameters,
                              const BuiltinParameters& builtins, std::string_view what) {
  const std::string context = "cannot fill in the " + std::string(what) + " '" + std::string(path) +
                              "' from the parameters: ";
  try {
    return Formatter(parameters, builtins).format(path, 0);
  } catch (const FormatError& error) {
    throw ParameterError(context + error.message);
  } catch (const ParameterError& error) {
    throw ParameterError(context + error.what());
  }
}

}  // namespace nbexec::params
