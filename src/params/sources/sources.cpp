#include <nbexec/params/sources/sources.hpp>

#include <nbexec/error.hpp>

#include "params/common/python_number.hpp"
#include "params/common/utf8.hpp"
#include "params/sources/base64.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace nbexec::params {
namespace {

// PyYAML reads bytes as UTF-16 when they start with a UTF-16 byte-order mark, else as UTF-8.
std::string yaml_bytes_to_utf8(const std::string& bytes, const std::string& origin) {
  const bool little = bytes.rfind("\xFF\xFE", 0) == 0;
  const bool big = bytes.rfind("\xFE\xFF", 0) == 0;
  if (!little && !big) return bytes;
  const auto unit = [&](std::size_t i) {
    const auto a = static_cast<unsigned char>(bytes[i]);
    const auto b = static_cast<unsigned char>(bytes[i + 1]);
    return static_cast<char32_t>(little ? (b << 8) | a : (a << 8) | b);
  };
  const auto bad = [&]() { return ParameterError(origin + ": the YAML text is not valid UTF-16"); };
  if (bytes.size() % 2 != 0) throw bad();
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 2) {
    char32_t c = unit(i);
    if (c >= 0xD800 && c <= 0xDBFF) {
      if (i + 3 >= bytes.size()) throw bad();
      const char32_t low = unit(i + 2);
      if (low < 0xDC00 || low > 0xDFFF) throw bad();
      c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
      i += 2;
    } else if (c >= 0xDC00 && c <= 0xDFFF) {
      throw bad();
    }
    detail::append_utf8(out, c);
  }
  return out;
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// Command-line values are bytes; refusing invalid UTF-8 here names the option, where rendering
// the cell later could only name the parameter (and every value merged must render).
void check_value_utf8(std::string_view value, const std::string& option, const std::string& name) {
  std::size_t bad = 0;
  if (!detail::decode_utf8(value, &bad)) {
    throw ParameterError(option + " " + name + ": the value is not valid UTF-8 (byte " +
                         std::to_string(bad) + ")");
  }
}

}  // namespace

void check_parameter_name(std::string_view name, std::string_view origin) {
  const auto refuse = [&](const std::string& why) {
    throw ParameterError(std::string(origin) + ": parameter name " + quoted(name) +
                         " is not an identifier (" + why + ")");
  };
  if (name.empty()) refuse("it is empty");
  std::size_t bad = 0;
  const auto decoded = detail::decode_utf8(name, &bad);
  if (!decoded) refuse("it is not valid UTF-8");
  bool first = true;
  for (const char32_t c : *decoded) {
    const bool ascii_letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    const bool other = c >= 0x80 && !detail::is_python_space(c);
    if (first && digit) refuse("it starts with a digit");
    if (!ascii_letter && !digit && !other) {
      refuse("use letters, digits and underscores; it holds " +
             (c < 0x80 && c > 0x20 && c != 0x7F ? "'" + std::string(1, static_cast<char>(c)) + "'"
                                                : std::string("a space or control character")));
    }
    first = false;
  }
}

nlohmann::ordered_json infer_value(std::string_view text) {
  // papermill's _resolve_type; the three names first, exactly as spelled.
  if (text == "True") return true;
  if (text == "False") return false;
  if (text == "None") return nullptr;
  if (const auto integer = detail::python_int(text)) {
    // Python would make an arbitrary-precision int; nbexec's values are JSON with 64-bit
    // integers, so a larger one is refused rather than silently turned into a float or string.
    if (auto json = detail::json_integer(*integer)) return *json;
    throw ParameterError("integer " + quoted(text) +
                         " does not fit in 64 bits (nbexec's limit); pass it with -r to keep it "
                         "as a string");
  }
  if (const auto real = detail::python_float(text)) return *real;
  return std::string(text);
}

Parameters load_parameters_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ParameterError("parameters file '" + path.string() + "' is a directory, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ParameterError("cannot read parameters file '" + path.string() +
                         "': " + std::strerror(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw ParameterError("error while reading parameters file '" + path.string() + "'");
  // papermill opens the file as UTF-8 text; only a PyYAML byte stream honours UTF-16.
  return parse_parameters_yaml(content.str(), path.string());
}

Parameters merge_parameters(const ParameterSources& sources) {
  Parameters merged = Parameters::object();
  const auto update = [&](const Parameters& more, const std::string& origin) {
    // dict.update: a later value wins and keeps the position the name first had.
    for (const auto& [name, value] : more.items()) {
      check_parameter_name(name, origin);
      merged[name] = value;
    }
  };
  for (std::size_t i = 0; i < sources.base64_yaml.size(); ++i) {
    const std::string origin = "-b #" + std::to_string(i + 1) + " (base64 YAML)";
    std::string error;
    const auto bytes = detail::python_b64decode(sources.base64_yaml[i], &error);
    if (!bytes) throw ParameterError(origin + ": not valid base64: " + error);
    update(parse_parameters_yaml(yaml_bytes_to_utf8(*bytes, origin), origin), origin);
  }
  for (const auto& file : sources.files) update(load_parameters_file(file), file.string());
  for (std::size_t i = 0; i < sources.yaml.size(); ++i) {
    const std::string origin = "-y #" + std::to_string(i + 1) + " (YAML)";
    update(parse_parameters_yaml(sources.yaml[i], origin), origin);
  }
  for (const auto& [name, value] : sources.inferred) {
    check_parameter_name(name, "-p");
    check_value_utf8(value, "-p", name);
    try {
      merged[name] = infer_value(value);
    } catch (const ParameterError& error) {
      throw ParameterError("-p " + name + ": " + error.what());
    }
  }
  for (const auto& [name, value] : sources.raw) {
    check_parameter_name(name, "-r");
    check_value_utf8(value, "-r", name);
    merged[name] = value;
  }
  return merged;
}

}  // namespace nbexec::params
