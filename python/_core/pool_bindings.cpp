// The facade's KernelPool seen from Python: fresh kernels for many runs, started ahead of need
// and forked from a warm template. The pool's log lines arrive on its background threads, so
// the callback takes the GIL itself, and the pool is shut down with the GIL released: its
// threads may be waiting for the GIL to log while shutdown waits for them.
#include "bindings.hpp"
#include "released_call.hpp"

#include <nbexec/error.hpp>
#include <nbexec/kernel_pool.hpp>

#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace nbexec::python {
namespace {

bool interpreter_running() {
  // A background thread must not take the GIL while the interpreter finalizes: it would hang
  // or end the thread in the middle of a kernel shutdown.
  return Py_IsInitialized() != 0 && _Py_IsFinalizing() == 0;
}

// The Python log callback, shared by the pool (its background threads call it) and the
// pool's deleter (which closes it). `fn` is touched only with the GIL held; `closed` is read
// without it too, so a closed sink costs a line nothing.
struct LogSink {
  py::object fn;
  std::atomic<bool> closed{false};

  void call(LogLevel level, const std::string& line) {
    if (closed.load() || !interpreter_running()) return;
    py::gil_scoped_acquire gil;
    if (closed.load() || !fn) return;
    try {
      fn(log_level_name(level), line);
    } catch (py::error_already_set& error) {
      // No caller to raise to on a background thread: Python's unraisable hook reports it.
      error.discard_as_unraisable("nbexec.KernelPool log callback");
    }
  }

  // With the GIL held: no line reaches `fn` after this, and its reference is dropped here,
  // not in some C++ thread that holds no GIL.
  void close() {
    closed.store(true);
    if (fn) fn.release().dec_ref();
  }
};

// Destroys a pool wherever its last reference goes (the Python object, or a RunOptions that
// held it): the sink is closed first, so no callback outlives the Python side, and the shutdown
// (which joins the pool's threads and waits for kernels to exit) runs without the GIL.
struct PoolDeleter {
  std::shared_ptr<LogSink> sink;

  void operator()(KernelPool* pool) const {
    const bool holds_gil = interpreter_running() && PyGILState_Check() == 1;
    if (holds_gil) {
      sink->close();
      py::gil_scoped_release unlocked;
      delete pool;
      return;
    }
    if (interpreter_running()) {
      py::gil_scoped_acquire gil;
      sink->close();
    } else {
      sink->closed.store(true);
      // The interpreter is gone: leak the callback's reference rather than touch it.
      sink->fn.release();
    }
    delete pool;
  }
};

std::shared_ptr<KernelPool> make_pool(std::size_t size, bool fork, std::vector<std::string> preload,
                                      double start_timeout, std::optional<std::string> env_prefix,
                                      std::string transport, std::string encryption,
                                      py::object log) {
  if (!(start_timeout > 0)) throw py::value_error("start_timeout must be > 0");
  KernelPoolOptions options;
  options.size = size;
  options.fork = fork;
  options.preload = std::move(preload);
  options.start_timeout = std::chrono::milliseconds(static_cast<long long>(start_timeout * 1000));
  if (env_prefix) options.env_prefix = *env_prefix;
  options.transport = std::move(transport);
  options.encryption = std::move(encryption);
  auto sink = std::make_shared<LogSink>();
  if (!log.is_none()) {
    sink->fn = std::move(log);
    options.log = [sink](LogLevel level, const std::string& line) { sink->call(level, line); };
  }
  // Constructing starts nothing (kernels start on the first run), so the GIL can stay held.
  return std::shared_ptr<KernelPool>(new KernelPool(std::move(options)), PoolDeleter{sink});
}

// Starts kernels for runs of `kernel_name` in `cwd` before the first run asks.
void warm_up(KernelPool& pool, const std::string& kernel_name, std::optional<std::string> cwd,
             double start_timeout) {
  if (!(start_timeout > 0)) throw py::value_error("start_timeout must be > 0");
  std::optional<std::filesystem::path> folder;
  if (cwd) folder = *cwd;
  py::gil_scoped_release unlocked;
  pool.warm_up(kernel_name, folder,
               std::chrono::milliseconds(static_cast<long long>(start_timeout * 1000)));
}

py::dict stats_dict(const KernelPool& pool) {
  KernelPoolStats stats;
  {
    py::gil_scoped_release unlocked;  // waits for the pool's lock, held across kernel starts
    stats = pool.stats();
  }
  py::dict out;
  out["started"] = stats.started;
  out["forked"] = stats.forked;
  out["warm_hits"] = stats.warm_hits;
  out["fork_fallback"] = stats.fork_fallback;
  out["template_pids"] = stats.template_pids;
  return out;
}

}  // namespace

void bind_pool(py::module_& m) {
  py::class_<KernelPool, std::shared_ptr<KernelPool>>(
      m, "KernelPool",
      "Fresh kernels for many runs (RunOptions.kernels): started ahead of need, at most `size` "
      "alive at once, ipykernel kernels forked from a template that imported `preload`.")
      .def(py::init(&make_pool), py::arg("size") = 2, py::arg("fork") = true,
           py::arg("preload") = std::vector<std::string>{}, py::arg("start_timeout") = 60.0,
           py::arg("env_prefix") = py::none(), py::arg("transport") = "auto",
           py::arg("encryption") = "auto", py::arg("log") = py::none(),
           "log(level_name, line) is called from the pool's threads (with the GIL) until the "
           "pool is gone.")
      .def(
          "shutdown",
          [](KernelPool& pool) {
            py::gil_scoped_release unlocked;
            pool.shutdown();
          },
          "Stop every warm kernel and template and wait for kernels being shut down; "
          "idempotent. A run started afterwards raises KernelError.")
      .def("warm_up", &warm_up, py::arg("kernel_name"), py::arg("cwd") = py::none(),
           py::arg("start_timeout") = 60.0,
           "Start kernels for runs of kernel_name in cwd now, in the background (up to the "
           "free slots), on the pool's transport. Raises "
           "KernelNotFoundError for an unknown kernelspec.")
      .def("stats", &stats_dict,
           "{'started', 'forked', 'warm_hits', 'fork_fallback', 'template_pids'}: kernels "
           "started, how many were forked, takes served warm, why forking is off (or ''), and "
           "the templates alive now.");
}

}  // namespace nbexec::python
