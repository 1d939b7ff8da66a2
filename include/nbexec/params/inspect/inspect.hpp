#pragma once

#include <nbexec/notebook/notebook.hpp>
#include <nbexec/params/parameters.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nbexec::params {

// The JSON type a parameter holds, as far as the parameters cell tells.
enum class ValueKind {
  unknown,  // nothing declared and the default is not a literal: any value is accepted
  none,     // None / NULL / nothing
  boolean,
  integer,
  number,  // float; an integer is accepted where a number is declared
  string,
  list,
  dict,
};

// JSON Schema type names: "null", "boolean", "integer", "number", "string", "array",
// "object"; "unknown" for unknown.
std::string_view value_kind_name(ValueKind kind);

// One parameter of a parameters cell. The first four fields are papermill's Parameter tuple.
struct ParameterInfo {
  std::string name;
  std::string inferred_type_name;  // the annotation, else the `# type:` comment, else "None"
  std::string default_text;        // the default's source text, stripped
  std::string help;                // the trailing comment, stripped

  ValueKind declared_kind = ValueKind::unknown;  // from the annotation or type comment
  ValueKind default_kind = ValueKind::unknown;   // from the default's literal
  bool nullable = false;  // the declaration admits None (Optional[...], `| None`, None default)
  // The default's value when it is a literal nbexec can evaluate (numbers, strings, booleans,
  // None, lists and dicts of those).
  std::optional<nlohmann::ordered_json> default_value;

  // The kind a supplied value is checked against: declared, else the default's. A None default
  // alone says nothing (papermill's `msg = None` idiom takes any value): unknown.
  ValueKind kind() const {
    if (declared_kind != ValueKind::unknown) return declared_kind;
    return default_kind == ValueKind::none ? ValueKind::unknown : default_kind;
  }
};

// The parameters of one notebook.
struct NotebookParameters {
  bool has_parameters_cell = false;  // a cell tagged "parameters" exists
  std::string language;              // the language whose grammar was used
  std::vector<ParameterInfo> parameters;
  std::vector<std::string> warnings;  // lines the grammar could not read, with their line number
};

// Parses the source of a parameters cell with the grammar of `language` ("python", "R",
// "julia"; kernel names such as "ir" or "pysparkkernel" are mapped as papermill maps them).
// Throws ParameterError for a language nbexec cannot inspect.
std::vector<ParameterInfo> inspect_parameters_source(std::string_view source,
                                                     std::string_view kernel_name,
                                                     std::string_view language,
                                                     std::vector<std::string>* warnings = nullptr);

// papermill's _infer_parameters: the first cell tagged "parameters", read with the grammar of
// the kernel (override, else the notebook's) and language (override, else the notebook's).
NotebookParameters inspect_notebook_parameters(const notebook::Notebook& nb,
                                               std::string_view kernel_name = {},
                                               std::string_view language = {});

// A JSON Schema (draft 2020-12) of the parameters: one property per parameter with its type
// (nullable as ["integer", "null"]), default and description; additionalProperties false.
nlohmann::ordered_json parameters_json_schema(const NotebookParameters& parameters,
                                              std::string_view title = {});

}  // namespace nbexec::params
