#pragma once

#include <nbexec/notebook/notebook.hpp>
#include <nbexec/params/parameters.hpp>

#include <cstddef>
#include <string_view>

namespace nbexec::params {

enum class InjectPlacement {
  replaced_injected,     // an existing injected-parameters cell was replaced in place
  after_parameters,      // inserted after the first cell tagged "parameters"
  at_top_no_parameters,  // no parameters cell: inserted first (the caller should warn)
};

struct InjectResult {
  std::size_t cell_index = 0;
  InjectPlacement placement = InjectPlacement::after_parameters;
};

// papermill's parameterize_notebook: renders the parameters for the kernel/language, makes a
// code cell tagged "injected-parameters" (source hidden in report mode) and places it; records
// the parameters in metadata.papermill.parameters. `comment` heads the cell ("# Parameters").
InjectResult inject_parameters(notebook::Notebook& nb, const Parameters& parameters,
                               std::string_view kernel_name, std::string_view language,
                               bool report_mode = false, std::string_view comment = "Parameters");

}  // namespace nbexec::params
