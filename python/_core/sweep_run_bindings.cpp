// The facade's sweep job seen from Python: run_sweep on a worker thread with the GIL released,
// its records as dicts, and KeyboardInterrupt turned into the sweep's cancel flag, as a single
// run's binding does (run_bindings.cpp).
#include "bindings.hpp"
#include "convert.hpp"
#include "released_call.hpp"

#include <nbexec/error.hpp>
#include <nbexec/sweep.hpp>

#include <pybind11/stl.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace nbexec::python {
namespace {

py::dict record_dict(const SweepRecord& record) {
  py::dict out;
  out["index"] = record.index;
  out["parameters"] = to_python(record.parameters);
  out["status"] = record.status;
  out["exit_code"] = record.exit_code;
  out["seconds"] = record.seconds;
  out["output_path"] = record.output_path.string();
  out["scraps"] = to_python(record.scraps);
  out["error"] = record.error;
  return out;
}

py::dict result_dict(const SweepResult& result) {
  py::list records;
  for (const auto& record : result.records) records.append(record_dict(record));
  py::dict kernels;
  kernels["started"] = result.kernels.started;
  kernels["forked"] = result.kernels.forked;
  kernels["warm_hits"] = result.kernels.warm_hits;
  kernels["fork_fallback"] = result.kernels.fork_fallback;
  kernels["template_pids"] = result.kernels.template_pids;
  py::dict memory;
  memory["peak_rss_bytes"] = result.memory.peak_rss_bytes;
  memory["peak_pss_bytes"] = result.memory.peak_pss_bytes;
  py::dict out;
  out["records"] = std::move(records);
  out["total_runs"] = result.total_runs;
  out["shard"] = py::make_tuple(result.shard.index, result.shard.count);
  out["cancelled"] = result.cancelled;
  out["exit_code"] = result.exit_code();
  out["kernels"] = std::move(kernels);
  out["memory"] = std::move(memory);
  out["seconds"] = result.seconds;
  return out;
}

py::dict run_sweep(const RunOptions& run, std::string_view grid_text, const std::string& origin,
                   const std::string& output_template, std::optional<std::string> shard,
                   std::size_t jobs, bool fail_fast, bool fork, std::vector<std::string> preload,
                   py::object log, py::object run_log) {
  SweepOptions options;
  options.run = run;
  options.output_template = output_template;
  options.jobs = jobs;
  options.fail_fast = fail_fast;
  options.fork = fork;
  options.preload = std::move(preload);

  // Ctrl-C sets the cancel flag: the sweep stops every run, saves their notebooks and ends
  // every kernel. A log callback that raises stops it the same way; its exception is raised
  // once every kernel has ended.
  ReleasedCall call;
  options.cancel = &call.cancel();
  options.cancel_signal = [] { return SIGINT; };
  if (!log.is_none()) {
    options.log = [&](LogLevel level, const std::string& line) {
      call.call_back([&] { log(log_level_name(level), line); });
    };
  }
  if (!run_log.is_none()) {
    options.run_log = [&](std::size_t index, LogLevel level, const std::string& line) {
      call.call_back([&] { run_log(index, log_level_name(level), line); });
    };
  }
  SweepResult result;
  call.run([&] {
    // Parsing and planning are inside too: a grid of 100,000 runs takes a while.
    if (shard) options.shard = parse_sweep_shard(*shard);
    options.grid = parse_sweep_grid(grid_text, origin);
    result = nbexec::run_sweep(options);
  });
  py::dict out = result_dict(result);
  out["cancelled"] = result.cancelled || call.cancel().load();
  return out;
}

}  // namespace

void bind_sweep_run(py::module_& m) {
  m.def("run_sweep", &run_sweep, py::arg("options"), py::arg("grid_text"), py::arg("grid_origin"),
        py::arg("output_template"), py::arg("shard") = py::none(), py::arg("jobs") = 0,
        py::arg("fail_fast") = false, py::arg("fork") = true,
        py::arg("preload") = std::vector<std::string>{}, py::arg("log") = py::none(),
        py::arg("run_log") = py::none(),
        "Run a notebook over a sweep grid (YAML or JSON text), `jobs` at a time, each run on a "
        "fresh kernel; options is every run's RunOptions (output_path ignored). The GIL is "
        "released while it runs; a KeyboardInterrupt cancels it. Returns {'records', "
        "'total_runs', 'shard', 'cancelled', 'exit_code', 'kernels', 'memory', 'seconds'}. "
        "log(level, line) and run_log(run_index, level, line) are called as it goes.");
}

}  // namespace nbexec::python
