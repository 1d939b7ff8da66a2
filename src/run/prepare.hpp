#pragma once

#include <nbexec/run.hpp>

#include <filesystem>
#include <string>

namespace nbexec::run_detail {

// What a run works with once the notebook is loaded and parameterized.
struct Prepared {
  std::filesystem::path input_path;   // after filling in {parameters}
  std::filesystem::path output_path;  // after filling in {parameters}
  std::string kernel_name;            // the override, else the notebook's
  std::string language;               // the override, else the notebook's
};

class RunReporter;

// Everything before the kernel: fills the paths in from the parameters (papermill's
// parameterize_path), loads the notebook into `nb`, checks the parameters against the
// notebook's parameters cell, injects them, applies report mode and records papermill's
// metadata (papermill's load_notebook_node, parameterize_notebook, prepare_notebook_metadata
// and remove_error_markers). Warnings go to `reporter`. Throws (NotebookError, ParameterError,
// UsageError) before anything is written.
Prepared prepare_notebook(const RunOptions& options, notebook::Notebook& nb,
                          const RunReporter& reporter);

}  // namespace nbexec::run_detail
