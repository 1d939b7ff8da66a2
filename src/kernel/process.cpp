#include "kernel/process.hpp"

#include <nbexec/error.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "kernel/env_util.hpp"

namespace nbexec::kernel::detail {

namespace {

// What the child reports through the close-on-exec pipe when it cannot exec.
struct ChildFailure {
  int stage;  // 1: chdir, 2: execve
  int error;
};

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string resolve_program(const SpawnRequest& request) {
  const std::string& program = request.argv.front();
  if (program.find('/') != std::string::npos) return program;
  // Like Python's subprocess (and unlike execvp), search the child's PATH.
  auto path = request.env.find("PATH");
  std::string path_value = path != request.env.end()
                               ? path->second
                               : get_env("PATH").value_or("/usr/local/bin:/usr/bin:/bin");
  auto found = find_on_path(program, path_value);
  if (!found) {
    throw KernelError("cannot start the kernel: '" + program + "' was not found on PATH (" +
                      path_value + ")");
  }
  return found->string();
}

// Runs in the forked child: only async-signal-safe calls from here to execve.
[[noreturn]] void exec_child(const char* program, char* const* argv, char* const* envp,
                             const char* cwd, int stdin_read, int stderr_write, int failure_write,
                             int max_fd) {
  ::setsid();
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Ignored dispositions survive exec; a kernel started from a background job would
  // otherwise ignore SIGINT and could never be interrupted.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);

  ::dup2(stdin_read, STDIN_FILENO);
  // The kernel's stdout joins its stderr in our collector: ipykernel echoes what is written
  // to fd 1 (os.system, C extensions) there besides sending it to the notebook, and nbexec's
  // own stdout may be the notebook itself (`-`), and must not carry an unmasked secret.
  ::dup2(stderr_write, STDOUT_FILENO);
  ::dup2(stderr_write, STDERR_FILENO);
  ChildFailure failure{0, 0};
  if (cwd != nullptr && ::chdir(cwd) != 0) {
    failure = {1, errno};
  } else {
    // Nothing of ours (ZeroMQ sockets, other kernels' pipes) may leak into the kernel.
    bool closed = false;
#ifdef CLOSE_RANGE_CLOEXEC
    closed = ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0;
#endif
    if (!closed) {
      for (int fd = 3; fd < max_fd; ++fd) {
        if (fd != failure_write) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      }
    }
    ::execve(program, argv, envp);
    failure = {2, errno};
  }
  [[maybe_unused]] ssize_t ignored = ::write(failure_write, &failure, sizeof failure);
  ::_exit(127);
}

}  // namespace

std::unique_ptr<Process> Process::spawn(const SpawnRequest& request) {
  if (request.argv.empty()) throw KernelError("cannot start the kernel: empty argv");
  const std::string program = resolve_program(request);

  // Everything the child needs is built before fork: it may not allocate afterwards.
  std::vector<char*> argv;
  for (const auto& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : request.env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::string cwd = request.cwd ? request.cwd->string() : std::string();
  rlimit limit{};
  int max_fd = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
                   ? static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 65536))
                   : 65536;

  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int stderr_pipe[2] = {-1, -1};
  int failure_pipe[2] = {-1, -1};
  if (devnull < 0 || ::pipe2(stderr_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(failure_pipe, O_CLOEXEC) != 0) {
    int error = errno;
    close_fd(devnull);
    for (int& fd : stderr_pipe) close_fd(fd);
    for (int& fd : failure_pipe) close_fd(fd);
    throw KernelError(std::string("cannot start the kernel: ") + std::strerror(error));
  }

  pid_t pid = ::fork();
  if (pid == 0) {
    exec_child(program.c_str(), argv.data(), envp.data(), request.cwd ? cwd.c_str() : nullptr,
               request.stdin_fd >= 0 ? request.stdin_fd : devnull, stderr_pipe[1], failure_pipe[1],
               max_fd);
  }
  int fork_error = errno;
  close_fd(devnull);
  close_fd(stderr_pipe[1]);
  close_fd(failure_pipe[1]);
  if (pid < 0) {
    close_fd(stderr_pipe[0]);
    close_fd(failure_pipe[0]);
    throw KernelError(std::string("cannot start the kernel: fork failed: ") +
                      std::strerror(fork_error));
  }

  ChildFailure failure{0, 0};
  ssize_t got = 0;
  do {
    got = ::read(failure_pipe[0], &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  close_fd(failure_pipe[0]);
  if (got > 0) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    close_fd(stderr_pipe[0]);
    if (failure.stage == 1) {
      throw KernelError("cannot start the kernel: cannot change directory to " + cwd + ": " +
                        std::strerror(failure.error));
    }
    throw KernelError("cannot start the kernel: cannot execute " + program + ": " +
                      std::strerror(failure.error));
  }

  std::unique_ptr<Process> process(new Process());
  process->pid_ = pid;
  process->stderr_ = std::make_unique<StderrCollector>(stderr_pipe[0], request.stderr_tail_bytes);
  return process;
}

Process::~Process() {
  reap();
}

void Process::poll_locked() {
  if (exited_) return;
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
    if (info.si_pid != 0) {
      exited_ = true;
      exit_code_ = info.si_code;
      exit_status_ = info.si_status;
    }
  } else if (errno == ECHILD) {
    // Reaped behind our back (SIGCHLD ignored, or a foreign waitpid(-1)): the pid may be
    // recycled already, so it must never be signalled again.
    exited_ = true;
    lost_ = true;
  }
}

bool Process::running() {
  std::lock_guard lock(mutex_);
  poll_locked();
  return !exited_;
}

bool Process::wait_for_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  while (true) {
    if (!running()) return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

void Process::signal_group(int signal) noexcept {
  std::lock_guard lock(mutex_);
  poll_locked();
  // Until reaped, the leader (even as a zombie) holds the group id, so it is still ours.
  if (reaped_ || lost_) return;
  ::killpg(pid_, signal);
}

void Process::reap() noexcept {
  {
    std::lock_guard lock(mutex_);
    if (!reaped_) {
      poll_locked();
      if (!lost_) {
        ::killpg(pid_, SIGKILL);
        int status = 0;
        pid_t done;
        while ((done = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
        }
        if (!exited_ && done == pid_) {
          exited_ = true;
          if (WIFEXITED(status)) {
            exit_code_ = CLD_EXITED;
            exit_status_ = WEXITSTATUS(status);
          } else if (WIFSIGNALED(status)) {
            exit_code_ = CLD_KILLED;
            exit_status_ = WTERMSIG(status);
          }
        }
      }
      exited_ = true;
      reaped_ = true;
    }
  }
  if (stderr_) stderr_->stop();
}

std::string Process::describe_exit() {
  std::lock_guard lock(mutex_);
  poll_locked();
  if (!exited_) return "is running";
  if (lost_) return "exited (status unknown)";
  if (exit_code_ == CLD_EXITED) return "exited with status " + std::to_string(exit_status_);
  return "was killed by signal " + std::to_string(exit_status_) + " (" +
         std::string(::strsignal(exit_status_)) + ")";
}

std::string Process::stderr_tail() const {
  return stderr_ ? stderr_->tail() : std::string();
}

}  // namespace nbexec::kernel::detail
