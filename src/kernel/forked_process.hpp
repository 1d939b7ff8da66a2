#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "kernel/process.hpp"
#include "kernel/stderr_collector.hpp"

namespace nbexec::kernel::detail {

// How a forked kernel ended, as its template reported it (the template is its parent and reaps
// it). Shared between the template's reader thread and the kernel's ForkedProcess.
struct ForkedExit {
  std::mutex mutex;
  std::condition_variable changed;
  bool exited = false;
  std::optional<int> code;    // exit status
  std::optional<int> signal;  // or the signal that killed it
  bool orphaned = false;      // the template is gone: only kill(pid, 0) can tell
};

// A kernel process forked by a KernelTemplate. It is the template's child, not ours: its exit
// comes from the template's report, and once the template is gone (its kernels are then
// orphans reaped by init), from kill(pid, 0). It leads its own process group, like a spawned
// kernel, so interrupts and kills go to the group.
class ForkedProcess : public KernelProcess {
 public:
  ForkedProcess(int pid, std::shared_ptr<ForkedExit> exit, int stderr_fd,
                std::size_t stderr_tail_bytes);
  ~ForkedProcess() override;

  int pid() const noexcept override { return pid_; }
  bool running() override;
  bool wait_for_exit(std::chrono::milliseconds timeout) override;
  void signal_group(int signal) noexcept override;
  void reap() noexcept override;
  std::string describe_exit() override;
  std::string stderr_tail() const override;

 private:
  bool exited_locked(std::unique_lock<std::mutex>& lock);

  int pid_;
  std::shared_ptr<ForkedExit> exit_;
  std::unique_ptr<StderrCollector> stderr_;
};

}  // namespace nbexec::kernel::detail
