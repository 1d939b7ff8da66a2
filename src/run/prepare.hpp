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
  // With secrets: the injected cell's source as written (placeholders) and as the kernel
  // gets it (values); both empty without secrets.
  std::string secret_cell_source;
  std::string secret_kernel_source;
};

class RunReporter;

// The input notebook as every run starts from it: read, refused when nbformat calls it invalid
// (NotebookError), brought to nbformat 4.5 with papermill's metadata keys.
notebook::Notebook load_input_notebook(const std::filesystem::path& input_path);

// The kernel to run: the override, else the notebook's metadata.kernelspec.name (UsageError
// when neither names one).
std::string resolve_kernel_name(const RunOptions& options, const notebook::Notebook& nb,
                                const std::filesystem::path& input_path);

// Checks options.parameters against the notebook's parameters cell with
// options.parameter_check, before any kernel starts: problems the check calls errors throw
// ParameterError (naming prepared.input_path), the others go to `reporter` as warnings. A
// language nbexec cannot inspect is not checked (with a warning), since nothing is known. A
// sweep calls it for every run before the first starts.
void check_supplied_parameters(const RunOptions& options, const notebook::Notebook& nb,
                               const Prepared& prepared, const RunReporter& reporter);

// Everything before the kernel: fills the paths in from the parameters (papermill's
// parameterize_path), loads the notebook into `nb`, checks the parameters against the
// notebook's parameters cell, injects them, applies report mode and records papermill's
// metadata (papermill's load_notebook_node, parameterize_notebook, prepare_notebook_metadata
// and remove_error_markers). Warnings go to `reporter`. Throws (NotebookError, ParameterError,
// UsageError) before anything is written.
Prepared prepare_notebook(const RunOptions& options, notebook::Notebook& nb,
                          const RunReporter& reporter);

}  // namespace nbexec::run_detail
