// Parameter inspection: which grammar reads a notebook's parameters cell, and the cell itself.
#include "params/inspect/inspect_detail.hpp"

#include <nbexec/error.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace nbexec::params {
namespace {

enum class Grammar { python, r, julia };

struct Entry {
  std::string_view name;
  std::optional<Grammar> grammar;  // nullopt: papermill knows the language, nbexec cannot read it
};

// papermill's translator registry (kernel names and languages in one table), with the grammar
// that reads each; papermill itself inspects only Python.
constexpr std::array<Entry, 12> kRegistry = {{
    {"python", Grammar::python},
    {"R", Grammar::r},
    {"scala", std::nullopt},
    {"julia", Grammar::julia},
    {"matlab", std::nullopt},
    {".net-csharp", std::nullopt},
    {".net-fsharp", std::nullopt},
    {".net-powershell", std::nullopt},
    {"pysparkkernel", Grammar::python},
    {"sparkkernel", std::nullopt},
    {"sparkrkernel", Grammar::r},
    {"bash", std::nullopt},
}};

const Entry* lookup(std::string_view name) {
  for (const Entry& entry : kRegistry) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Where papermill would find no translator at all, a few unambiguous spellings still name a
// language nbexec reads: "Python"/"r"/"Julia" in another case, and the usual kernel names
// ("python3", "ir", "julia-1.10").
std::optional<Grammar> by_convention(std::string_view kernel_name, std::string_view language) {
  const std::string lang = lower(language);
  if (lang == "python") return Grammar::python;
  if (lang == "r") return Grammar::r;
  if (lang == "julia") return Grammar::julia;
  if (!lang.empty()) return std::nullopt;
  const std::string kernel = lower(kernel_name);
  if (kernel.starts_with("python")) return Grammar::python;
  if (kernel == "ir") return Grammar::r;
  if (kernel.starts_with("julia")) return Grammar::julia;
  return std::nullopt;
}

Grammar find_grammar(std::string_view kernel_name, std::string_view language) {
  const Entry* entry = lookup(kernel_name);
  if (entry == nullptr) entry = lookup(language);
  if (entry != nullptr && entry->grammar) return *entry->grammar;
  if (entry == nullptr) {
    if (auto grammar = by_convention(kernel_name, language)) return *grammar;
  }
  const std::string what = entry != nullptr    ? std::string(entry->name)
                           : !language.empty() ? std::string(language)
                                               : std::string(kernel_name);
  if (what.empty()) {
    throw ParameterError(
        "cannot inspect parameters: the notebook names no kernel and no language (give one)");
  }
  throw ParameterError("cannot inspect parameters of a '" + what + "' notebook (kernel '" +
                       std::string(kernel_name) + "', language '" + std::string(language) +
                       "'): nbexec reads parameters cells in Python, R and Julia");
}

std::string_view grammar_name(Grammar grammar) {
  switch (grammar) {
    case Grammar::python:
      return "python";
    case Grammar::r:
      return "R";
    case Grammar::julia:
      return "julia";
  }
  return "python";
}

}  // namespace

std::string_view value_kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::unknown:
      return "unknown";
    case ValueKind::none:
      return "null";
    case ValueKind::boolean:
      return "boolean";
    case ValueKind::integer:
      return "integer";
    case ValueKind::number:
      return "number";
    case ValueKind::string:
      return "string";
    case ValueKind::list:
      return "array";
    case ValueKind::dict:
      return "object";
  }
  return "unknown";
}

std::vector<ParameterInfo> inspect_parameters_source(std::string_view source,
                                                     std::string_view kernel_name,
                                                     std::string_view language,
                                                     std::vector<std::string>* warnings) {
  std::vector<std::string> ignored;
  std::vector<std::string>& sink = warnings != nullptr ? *warnings : ignored;
  switch (find_grammar(kernel_name, language)) {
    case Grammar::python:
      return detail::inspect_python(source, sink);
    case Grammar::r:
      return detail::inspect_r(source, sink);
    case Grammar::julia:
      return detail::inspect_julia(source, sink);
  }
  return {};
}

NotebookParameters inspect_notebook_parameters(const notebook::Notebook& nb,
                                               std::string_view kernel_name,
                                               std::string_view language) {
  NotebookParameters out;
  const std::string kernel = !kernel_name.empty() ? std::string(kernel_name) : nb.kernel_name();
  const std::string lang = !language.empty() ? std::string(language) : nb.language();
  const long index = notebook::find_tagged_cell(nb, "parameters");
  if (index < 0) {
    // papermill stops here, before it looks for a translator: no error for any language.
    try {
      out.language = grammar_name(find_grammar(kernel, lang));
    } catch (const ParameterError&) {
      out.language = lang;
    }
    return out;
  }
  out.has_parameters_cell = true;
  const Grammar grammar = find_grammar(kernel, lang);
  out.language = grammar_name(grammar);
  const std::string source = notebook::cell_source(nb.cells().at(static_cast<std::size_t>(index)));
  out.parameters = inspect_parameters_source(source, grammar_name(grammar), grammar_name(grammar),
                                             &out.warnings);
  return out;
}

}  // namespace nbexec::params
