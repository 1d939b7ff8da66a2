#include "kernel/forked_process.hpp"

#include <signal.h>

#include <cerrno>
#include <cstring>

namespace nbexec::kernel::detail {

using namespace std::chrono_literals;

ForkedProcess::ForkedProcess(int pid, std::shared_ptr<ForkedExit> exit, int stderr_fd,
                             std::size_t stderr_tail_bytes)
    : pid_(pid),
      exit_(std::move(exit)),
      stderr_(std::make_unique<StderrCollector>(stderr_fd, stderr_tail_bytes)) {}

ForkedProcess::~ForkedProcess() {
  reap();
}

bool ForkedProcess::exited_locked(std::unique_lock<std::mutex>&) {
  if (!exit_->exited && exit_->orphaned && ::kill(pid_, 0) != 0 && errno == ESRCH) {
    exit_->exited = true;  // reaped by init: how it ended is not known
  }
  return exit_->exited;
}

bool ForkedProcess::running() {
  std::unique_lock lock(exit_->mutex);
  return !exited_locked(lock);
}

bool ForkedProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(exit_->mutex);
  while (!exited_locked(lock)) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    // Woken by the template's report; an orphan is polled.
    exit_->changed.wait_for(lock, std::min<std::chrono::steady_clock::duration>(
                                      deadline - now, exit_->orphaned ? 20ms : 200ms));
  }
  return true;
}

void ForkedProcess::signal_group(int signal) noexcept {
  std::unique_lock lock(exit_->mutex);
  // Once the template has reaped it the pid is free again: signal nobody else's group.
  if (exited_locked(lock)) return;
  ::kill(-pid_, signal);
}

void ForkedProcess::reap() noexcept {
  try {
    if (running()) {
      signal_group(SIGKILL);
      wait_for_exit(2000ms);
    }
  } catch (...) {
  }
  if (stderr_) stderr_->stop();
}

std::string ForkedProcess::describe_exit() {
  std::unique_lock lock(exit_->mutex);
  if (!exited_locked(lock)) return "is running";
  if (exit_->code) return "exited with status " + std::to_string(*exit_->code);
  if (exit_->signal) {
    return "was killed by signal " + std::to_string(*exit_->signal) + " (" +
           std::string(::strsignal(*exit_->signal)) + ")";
  }
  return "exited (status unknown)";
}

std::string ForkedProcess::stderr_tail() const {
  return stderr_ ? stderr_->tail() : std::string();
}

}  // namespace nbexec::kernel::detail
