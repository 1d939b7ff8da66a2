#pragma once

#include <nbexec/notebook/notebook.hpp>
#include <nbexec/params/check/check.hpp>
#include <nbexec/params/inspect/inspect.hpp>
#include <nbexec/params/parameters.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

// The facade's jobs that read a notebook's parameters without starting a kernel: inspect them
// (papermill's inspect_notebook, plus a JSON Schema) and check supplied values against them.
namespace nbexec {

using params::NotebookParameters;
using params::ParameterInfo;
using params::ParameterProblem;
using params::value_kind_name;
using params::ValueKind;

struct InspectOptions {
  // Fill {names} in the notebook path, as a run does ("in-{region}.ipynb").
  params::Parameters parameters = params::Parameters::object();
  std::string kernel_name;  // empty: the notebook's metadata.kernelspec.name
  std::string language;     // empty: the notebook's language (papermill's order)
};

struct Inspection {
  std::string path;  // the notebook path with its {names} filled in; "<string>" for text
  NotebookParameters parameters;
  // A JSON Schema (draft 2020-12) of the parameters, titled with the path.
  nlohmann::ordered_json schema;
};

// Loads the notebook at `path` ("-" reads standard input) after filling in its {names}, and
// reads its parameters cell with the grammar of its kernel and language. Throws NotebookError,
// ParameterError (a {name} not given, a language nbexec cannot read).
Inspection inspect_notebook(const std::filesystem::path& path, const InspectOptions& options = {});

// The same for notebook JSON text the caller has read (a remote path, a string in memory).
Inspection inspect_notebook_text(std::string_view text, const InspectOptions& options = {},
                                 std::string_view title = {});

// What is wrong with `supplied` for the notebook in `text`: unknown names and contradicting
// types, in the order of `supplied` (see params::check_parameters). Nothing is thrown for
// problems; bad notebook text throws NotebookError.
std::vector<ParameterProblem> check_notebook_parameters_text(std::string_view text,
                                                             const params::Parameters& supplied,
                                                             const InspectOptions& options = {});

}  // namespace nbexec
