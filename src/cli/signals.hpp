#pragma once

#include <atomic>

namespace nbexec::cli {

// SIGINT and SIGTERM (a Kubernetes pod being stopped) set a flag the executor polls, so the
// run stops between kernel messages, the kernel is shut down and the notebook saved.
class SignalGuard {
 public:
  SignalGuard();
  ~SignalGuard();
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

  const std::atomic<bool>& cancelled() const;
  int signal_number() const;  // 0 when none arrived
};

}  // namespace nbexec::cli
