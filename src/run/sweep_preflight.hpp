#pragma once

#include <nbexec/kernel/kernelspec.hpp>
#include <nbexec/sweep.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace nbexec::run_detail {

// What a sweep knows before its first kernel starts.
struct SweepPreflight {
  SweepPlan plan;
  kernel::KernelSpec spec;  // the kernel of the first run (the one the pool warms up)
  // options.preload, then the notebook's metadata.nbexec.preload, each name once, in order.
  std::vector<std::string> preload;
};

// Plans the sweep and checks every run of this shard the way run_notebook would before its
// kernel starts: the notebook reads and is valid, the run's parameters pass
// options.run.parameter_check, its kernel exists. Throws with nothing started or written:
// UsageError, NotebookError, ParameterError (naming the run), KernelNotFoundError. Warnings of
// lenient checks are not said here: each run says them in its own log.
SweepPreflight preflight_sweep(const SweepOptions& options);

// metadata.nbexec.preload of a notebook: a list of module names, or nothing. Throws
// NotebookError naming `origin` for anything else.
std::vector<std::string> notebook_preload(const notebook::Notebook& nb, const std::string& origin);

}  // namespace nbexec::run_detail
