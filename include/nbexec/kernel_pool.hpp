#pragma once

#include <nbexec/kernel/kernel.hpp>
#include <nbexec/kernel/kernelspec.hpp>
#include <nbexec/log_level.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// Kernels for many runs: a source a runner draws fresh kernels from, started ahead of need and
// shut down in the background, with Python kernels forked from a warm template process
// (docs/sweeps.md, "Warm kernels"). A kernel is never handed out twice: every run gets a process
// no cell has run in.
namespace nbexec {

struct KernelPoolOptions {
  // Kernels alive at once: running a notebook, warm (started, waiting for a run) or shutting
  // down. At least 1.
  std::size_t size = 2;
  // Fork ipykernel kernels from a template that has imported ipykernel (and `preload`);
  // false starts every kernel as its own process, as `nbexec run` does.
  bool fork = true;
  // Modules the template imports before it forks ("numpy", "pandas"); opt-in, because a module
  // imported once is shared state every run starts from (docs/sweeps.md).
  std::vector<std::string> preload;
  // --- Transport and encryption: the defaults of the pool's runs (kernel::LaunchOptions) ---
  std::string transport = "auto";   // "auto", "ipc" or "tcp"
  std::string encryption = "auto";  // "off", "auto" or "required"
  // --- end of transport and encryption ---
  std::chrono::milliseconds start_timeout{60000};  // kernel starts and the template's
  // Prefix of the Python environment the caller runs in (kernelspec search).
  std::optional<std::filesystem::path> env_prefix;
  // One-line notes: debug progress, and a warning when forking is not possible and the pool
  // falls back to plain starts (a preload that failed to import or started threads).
  std::function<void(LogLevel, const std::string&)> log;
};

struct KernelPoolStats {
  std::size_t started = 0;    // kernels started, forked or not
  std::size_t forked = 0;     // of them, forked from a template
  std::size_t warm_hits = 0;  // takes served by a kernel that was already ready
  // Why forking is off for some kernel ("preload 'x' failed to import: ..."); empty if not.
  std::string fork_fallback;
  std::vector<int> template_pids;  // templates alive now (for memory reports and tests)
};

// Thread-safe: any number of runners may take and give back at once.
class KernelPool {
 public:
  explicit KernelPool(KernelPoolOptions options);
  // Shuts every kernel and template down and waits for them (shutdown()).
  ~KernelPool();
  KernelPool(const KernelPool&) = delete;
  KernelPool& operator=(const KernelPool&) = delete;

  // Starts kernels for runs like this one before they are asked for, up to the free slots:
  // a sweep calls it once before its first run. take() does the same for the next run.
  void warm_up(const kernel::KernelSpec& spec, const kernel::LaunchOptions& launch);
  // The same for runs of the kernelspec named `kernel_name` (looked up as a run looks it up,
  // with options.env_prefix) in `cwd`, on the pool's transport: a front that has no spec yet
  // (the pytest plugin, before its first notebook). Throws KernelNotFoundError.
  void warm_up(const std::string& kernel_name, const std::optional<std::filesystem::path>& cwd,
               std::chrono::milliseconds start_timeout = std::chrono::milliseconds(60000));

  // At most `takes` more kernels will be taken (a sweep knows how many runs are left): the
  // pool starts none ahead of need beyond that. Unlimited until called.
  void limit_ahead(std::size_t takes);

  // A fresh kernel for one run: a warm one started with the same spec, cwd and transport if
  // there is one, else one started now (after waiting for a free slot). Throws what
  // Kernel::start throws; TimeoutError when no slot frees within launch.start_timeout;
  // CancelledError-like KernelError when launch.cancel is set while waiting.
  std::unique_ptr<kernel::Kernel> take(const kernel::KernelSpec& spec,
                                       const kernel::LaunchOptions& launch);

  // Hands a used kernel back: it is shut down in the background (within `grace`) and its slot
  // frees once it has exited. Never throws.
  void give_back(std::unique_ptr<kernel::Kernel> kernel,
                 std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

  // Stops warm kernels and templates, waits for kernels being shut down. Kernels taken and not
  // given back stay the caller's. Idempotent.
  void shutdown();

  KernelPoolStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nbexec
