#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kernel/stderr_collector.hpp"

namespace nbexec::kernel::detail {

struct SpawnRequest {
  std::vector<std::string> argv;           // argv[0] resolved on env's PATH if bare
  std::map<std::string, std::string> env;  // the complete environment of the child
  std::optional<std::filesystem::path> cwd;
  std::size_t stderr_tail_bytes = 64 * 1024;
  // The child's stdin: this descriptor (a kernel template's control socket) instead of
  // /dev/null. Stays the caller's.
  int stdin_fd = -1;
};

// What a kernel's Kernel object needs of its process, whoever started it: a child of ours
// (Process) or a child of a template that forked it (fork_template.hpp).
class KernelProcess {
 public:
  virtual ~KernelProcess() = default;
  virtual int pid() const noexcept = 0;
  // False once the process has exited.
  virtual bool running() = 0;
  // Waits up to `timeout` for the process to exit; true if it has.
  virtual bool wait_for_exit(std::chrono::milliseconds timeout) = 0;
  // Signals the whole process group; ESRCH and friends are ignored.
  virtual void signal_group(int signal) noexcept = 0;
  // Makes sure nothing of the group survives and the exit is collected. Idempotent.
  virtual void reap() noexcept = 0;
  // "exited with status 3", "was killed by signal 9 (Killed)", or "is running".
  virtual std::string describe_exit() = 0;
  // The last bytes the process wrote to stderr.
  virtual std::string stderr_tail() const = 0;
};

// A child process in its own session and process group (setsid), stdin from /dev/null,
// stdout and stderr captured together by a reader thread into a bounded tail (nothing a
// kernel writes reaches nbexec's own stdout, which may be the notebook).
//
// Exit is detected with waitid(WNOWAIT): the exited child stays a zombie until reap(), so
// its pid (and with it the process-group id) cannot be reused while we may still signal
// the group. Thread-safe.
class Process : public KernelProcess {
 public:
  // fork/exec; throws KernelError when the program cannot be found or executed (reported
  // back from the child through a close-on-exec pipe) or the cwd cannot be entered.
  static std::unique_ptr<Process> spawn(const SpawnRequest& request);

  // Kills the group and reaps if that has not happened yet.
  ~Process() override;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  int pid() const noexcept override { return pid_; }

  // False once the child has exited (or was reaped).
  bool running() override;

  // Waits up to `timeout` for the child to exit; true if it has.
  bool wait_for_exit(std::chrono::milliseconds timeout) override;

  // Signals the whole process group; ESRCH and friends are ignored.
  void signal_group(int signal) noexcept override;

  // Makes sure nothing of the group survives and the child is reaped: SIGKILL to the group
  // (the leader may already be a zombie; stragglers it left die too), then waitpid. Also
  // stops the stderr reader after draining what is buffered. Idempotent; never throws.
  void reap() noexcept override;

  // "exited with status 3", "was killed by signal 9 (Killed)", or "is running".
  std::string describe_exit() override;

  // The last bytes the child wrote to stderr (complete once the child has been reaped).
  std::string stderr_tail() const override;

 private:
  Process() = default;
  void poll_locked();

  int pid_ = -1;
  mutable std::mutex mutex_;
  bool exited_ = false;  // exit observed (child may still be a zombie)
  bool reaped_ = false;
  bool lost_ = false;    // waitid said ECHILD: someone else reaped it, do not signal
  int exit_code_ = 0;    // siginfo si_code (CLD_EXITED, CLD_KILLED, ...)
  int exit_status_ = 0;  // exit status or signal number

  std::unique_ptr<StderrCollector> stderr_;
};

}  // namespace nbexec::kernel::detail
