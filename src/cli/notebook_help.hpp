#pragma once

#include <nbexec/inspect.hpp>

#include <iosfwd>
#include <string>

namespace nbexec::cli {

// papermill's --help-notebook text: "Parameters inferred for notebook 'PATH':" then one line
// per parameter ("  name: type (default value)", help aligned at column 34). Returns
// papermill's exit status: 1 when no cell is tagged "parameters", else 0.
int print_notebook_help(const std::string& display_path, const params::NotebookParameters& found,
                        std::ostream& out);

// `nbexec inspect`'s table: NAME, TYPE, DEFAULT, HELP, one row per parameter.
void print_parameter_table(const params::NotebookParameters& found, std::ostream& out);

}  // namespace nbexec::cli
