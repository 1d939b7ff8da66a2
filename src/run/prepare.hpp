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

// Everything before the kernel: fills the paths in from the parameters (papermill's
// parameterize_path), loads the notebook into `nb`, checks the parameters against the
// notebook's parameters cell, injects them, applies report mode and records papermill's
// metadata. Throws (NotebookError, ParameterError, UsageError) before anything is written.
Prepared prepare_notebook(const RunOptions& options, notebook::Notebook& nb);

}  // namespace nbexec::run_detail
