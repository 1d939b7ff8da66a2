// Parameter sources as a command line supplies them: -y/-f YAML, -b base64 YAML, -p NAME VALUE,
// -r NAME VALUE, merged, then rendered into a parameters cell.
//
// Input: a mode byte, then fields separated by NUL. Mode % 4: 0 the rest is one YAML document;
// 1 the rest is -b text (and also raw bytes for a base64 round trip); 2 the fields are -p
// NAME, VALUE pairs; 3 field 0 is -y YAML, field 1 -b text, then NAME, VALUE pairs taken as -p
// and -r in turn.
//
// Asserts: only ParameterError escapes parsing and merging; base64 decodes what a standard
// encoder wrote back to the same bytes; a number -p inferred is inferred again from its Python
// rendering; whatever merged renders as Python without throwing, and reading that cell back
// with nbexec's own Python inspector finds the same names, with the same values wherever it
// can evaluate them. Other languages may refuse a value, with ParameterError only.

#include <nbexec/error.hpp>
#include <nbexec/params/inspect/inspect.hpp>
#include <nbexec/params/sources/sources.hpp>
#include <nbexec/params/translate/render.hpp>

#include <algorithm>
#include <array>
#include <cmath>

#include "fuzz_support.hpp"
#include "params/sources/base64.hpp"

namespace {

namespace params = nbexec::params;
using nlohmann::ordered_json;

std::string b64encode(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += alphabet[(n >> shift) & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    out += alphabet[(n >> 18) & 63], out += alphabet[(n >> 12) & 63], out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned n = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += alphabet[(n >> 18) & 63], out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63], out += '=';
  }
  return out;
}

void check_base64_round_trip(std::string_view bytes) {
  std::string error;
  const auto decoded = params::detail::python_b64decode(b64encode(bytes), &error);
  NBEXEC_FUZZ_CHECK(decoded && *decoded == bytes, error);
}

void check_inferred(std::string_view text) {
  ordered_json value;
  try {
    value = params::infer_value(text);
  } catch (const nbexec::ParameterError&) {
    return;
  }
  if (!value.is_number() || (value.is_number_float() && !std::isfinite(value.get<double>())))
    return;
  const std::string rendered = params::render_python_value(value);
  const ordered_json again = params::infer_value(rendered);
  NBEXEC_FUZZ_CHECK(nbexec::fuzz::same_json(again, value),
                    std::string(text) + " -> " + rendered + " -> " + again.dump());
}

// Names Python cannot assign. check_parameter_name is language-neutral and lets them through,
// as papermill does (it renders `lambda = 0.1`, and the kernel raises SyntaxError in the
// injected cell); nbexec keeps that behaviour, so the read-back below skips them. (__debug__
// cannot be assigned either, but nbexec's inspector reads it like any name, so it round-trips.)
bool python_cannot_assign(std::string_view name) {
  static constexpr std::array<std::string_view, 35> keywords{
      "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
      "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
      "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
      "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};
  return std::find(keywords.begin(), keywords.end(), name) != keywords.end();
}

void check_rendered(const params::Parameters& merged) {
  const std::string source = params::render_parameters_source(merged, "python3", "python");
  std::vector<std::string> warnings;
  const auto found = params::inspect_parameters_source(source, "python3", "python", &warnings);
  std::vector<std::string> names;
  for (const auto& info : found) names.push_back(info.name);
  std::vector<std::string> expected;
  for (const auto& [name, value] : merged.items())
    if (!python_cannot_assign(name)) expected.push_back(name);
  NBEXEC_FUZZ_CHECK(names == expected, source);
  for (const auto& info : found) {
    if (info.default_value)
      NBEXEC_FUZZ_CHECK(nbexec::fuzz::same_json(*info.default_value, merged.at(info.name)),
                        source + "\n" + info.name + " read back as " + info.default_value->dump() +
                            ", given " + merged.at(info.name).dump());
  }
  for (const char* language : {"R", "julia", "scala", "matlab", "bash"}) {
    try {
      (void)params::render_parameters_source(merged, "", language);
    } catch (const nbexec::ParameterError&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned mode = data[0] % 4;
  const std::string_view rest = nbexec::fuzz::as_text(data + 1, size - 1);

  params::ParameterSources sources;
  const auto add_pairs = [&](const std::vector<std::string_view>& fields, std::size_t first,
                             bool alternate) {
    for (std::size_t i = first; i + 1 < fields.size(); i += 2) {
      check_inferred(fields[i + 1]);
      auto& into = alternate && ((i - first) / 2) % 2 == 1 ? sources.raw : sources.inferred;
      into.emplace_back(fields[i], fields[i + 1]);
    }
  };
  switch (mode) {
    case 0:
      sources.yaml.emplace_back(rest);
      break;
    case 1:
      check_base64_round_trip(rest);
      sources.base64_yaml.emplace_back(rest);
      break;
    case 2:
      add_pairs(nbexec::fuzz::split_fields(rest, '\0'), 0, false);
      break;
    default: {
      const auto fields = nbexec::fuzz::split_fields(rest, '\0');
      sources.yaml.emplace_back(fields[0]);
      if (fields.size() > 1) sources.base64_yaml.emplace_back(fields[1]);
      add_pairs(fields, 2, true);
    }
  }

  params::Parameters merged;
  try {
    merged = params::merge_parameters(sources);
  } catch (const nbexec::ParameterError& error) {
    NBEXEC_FUZZ_CHECK(*error.what() != '\0', "empty ParameterError message");
    return 0;
  }
  NBEXEC_FUZZ_CHECK(merged.is_object(), merged.dump());
  check_rendered(merged);
  return 0;
}
