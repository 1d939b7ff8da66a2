#pragma once

#include <nbexec/kernel/kernel.hpp>
#include <nbexec/kernel_pool.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace nbexec::pool_detail {

// How the pool starts one kernel: forked from a warm template for ipykernel kernelspecs (one
// template per kernelspec, started on first need), else as its own process like `nbexec run`.
// When a template cannot be made safe (a preload fails to import or starts threads, the
// template dies), it says why once, as a warning, and every later start of that kernelspec is
// a plain one. Thread-safe.
class KernelStarter {
 public:
  explicit KernelStarter(const KernelPoolOptions& options);
  ~KernelStarter();
  KernelStarter(const KernelStarter&) = delete;
  KernelStarter& operator=(const KernelStarter&) = delete;

  std::unique_ptr<kernel::Kernel> start(const kernel::KernelSpec& spec,
                                        const kernel::LaunchOptions& launch, bool& forked);

  // Ends every template (their kernels were ended by the pool before).
  void stop_templates();

  std::string fork_fallback() const;
  std::vector<int> template_pids() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nbexec::pool_detail
