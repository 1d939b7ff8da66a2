#pragma once

#include <nbexec/kernel/kernelspec.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nbexec::kernel {

struct TemplateOptions {
  // Modules imported before any fork, besides ipykernel ("numpy", "pandas").
  std::vector<std::string> preload;
  std::optional<std::filesystem::path> cwd;  // the template's (and its kernels') directory
  std::chrono::milliseconds start_timeout{60000};
  std::function<void(const std::string&)> log;  // one-line progress notes
};

// A warm Python process that ipykernel kernels are forked from: it has imported ipykernel and
// the preloads, so a forked kernel pays neither the interpreter's start nor those imports
// (docs/sweeps.md, "Warm kernels"). It runs the program python/nbexec/_kernel_template.py in
// the kernelspec's own Python, with the kernelspec's environment. Kernel::start forks from it
// when LaunchOptions::fork_from is set. Thread-safe.
class KernelTemplate {
 public:
  // Why kernels of `spec` cannot be forked (its argv is not `PYTHON [-X...] -m
  // ipykernel_launcher|ipykernel ...`, or it interrupts by message), or nullopt when they can.
  static std::optional<std::string> unforkable(const KernelSpec& spec);

  // Starts the template and waits until it is ready. Throws KernelError saying why when forking
  // would not be safe or possible: a preload failed to import or left threads running,
  // ipykernel is missing, the template died; TimeoutError past start_timeout. Nothing is left
  // behind on failure.
  static std::shared_ptr<KernelTemplate> start(const KernelSpec& spec,
                                               const TemplateOptions& options);

  // Ends the kernels still running that it forked, then the template; reaps it.
  ~KernelTemplate();
  KernelTemplate(const KernelTemplate&) = delete;
  KernelTemplate& operator=(const KernelTemplate&) = delete;

  int pid() const;
  bool alive() const;
  const KernelSpec& spec() const;
  const std::optional<std::filesystem::path>& cwd() const;

  struct Impl;
  Impl& impl() { return *impl_; }  // for Kernel::start

 private:
  explicit KernelTemplate(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nbexec::kernel
