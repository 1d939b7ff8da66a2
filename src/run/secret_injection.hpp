#pragma once

#include <nbexec/notebook/notebook.hpp>
#include <nbexec/params/parameters.hpp>
#include <nbexec/run.hpp>

#include <cstddef>
#include <string>

namespace nbexec::run_detail {

struct Prepared;

// The parameters as the notebook records them: options.parameters, then every secret with
// secret_placeholder for its value (what is checked, injected and written).
params::Parameters parameters_with_placeholders(const RunOptions& options);

// The comment heading the injected cell: papermill's "Parameters", naming the secrets when
// there are any, so a reader of the notebook knows why their values are placeholders.
std::string injected_comment(const RunOptions& options);

// After the cell was injected at `cell_index` (with placeholders): its source as written and
// the same cell rendered with the secrets' values, for the kernel only.
void prepare_secret_source(const RunOptions& options, const notebook::Notebook& nb,
                           std::size_t cell_index, const std::string& kernel_name,
                           const std::string& language, Prepared& prepared);

}  // namespace nbexec::run_detail
