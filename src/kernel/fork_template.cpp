#include <nbexec/kernel/kernel_template.hpp>

#include <nbexec/error.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "kernel/env_util.hpp"
#include "kernel/fork_template_impl.hpp"
#include "kernel/forked_process.hpp"

namespace nbexec::kernel {

namespace detail {
extern const char* const kernel_template_source;  // generated from _kernel_template.py
}

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

// How long the template may take to answer a fork request; a fork and a reply take
// milliseconds, so this only bounds a template that hangs.
constexpr auto fork_reply_limit = 10s;

// Interpreter options of a kernelspec's argv that take their value as the next argument.
bool option_takes_value(const std::string& option) {
  return option == "-X" || option == "-W" || option == "--check-hash-based-pycs";
}

struct SplitArgv {
  std::vector<std::string> interpreter;  // argv[0] and its options
  std::vector<std::string> app;          // what follows `-m ipykernel_launcher`
};

// `PYTHON [OPTIONS] -m ipykernel_launcher|ipykernel ARGS` split at the module, or nullopt.
std::optional<SplitArgv> split_ipykernel_argv(const std::vector<std::string>& argv) {
  if (argv.size() < 3) return std::nullopt;
  SplitArgv split;
  split.interpreter.push_back(argv[0]);
  std::size_t i = 1;
  while (i < argv.size() && argv[i] != "-m") {
    const std::string& option = argv[i];
    if (option.size() < 2 || option[0] != '-' || option == "-c" || option == "-") {
      return std::nullopt;  // a script or -c: not the launcher
    }
    split.interpreter.push_back(option);
    if (option_takes_value(option) && i + 1 < argv.size()) split.interpreter.push_back(argv[++i]);
    ++i;
  }
  if (i + 1 >= argv.size()) return std::nullopt;
  const std::string& module = argv[i + 1];
  if (module != "ipykernel_launcher" && module != "ipykernel") return std::nullopt;
  split.app.assign(argv.begin() + static_cast<std::ptrdiff_t>(i + 2), argv.end());
  return split;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : " ") + part;
  return out;
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

struct KernelTemplate::Impl {
  KernelSpec spec;
  TemplateOptions options;
  std::vector<std::string> interpreter;
  std::map<std::string, std::string> environment;
  std::unique_ptr<detail::Process> process;
  int control = -1;  // our end of the control socket
  std::thread reader;

  std::mutex mutex;
  std::condition_variable changed;
  bool gone = false;  // the template closed the socket (exited, or was killed)
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, json> replies;
  std::map<int, std::shared_ptr<detail::ForkedExit>> kernels;  // by pid, until they exit
  std::map<int, json> early_exits;  // exits reported before their fork reply was read
  std::mutex send_mutex;

  ~Impl() { stop(); }

  void note(const std::string& text) const {
    if (!options.log) return;
    try {
      options.log(text);
    } catch (...) {
    }
  }

  void stop() noexcept {
    // End of file on the control socket tells the template to end its kernels and exit.
    if (control >= 0) ::shutdown(control, SHUT_WR);
    if (process) {
      if (!process->wait_for_exit(3000ms)) process->signal_group(SIGKILL);
      process->reap();
    }
    if (reader.joinable()) reader.join();
    close_fd(control);
    mark_gone();
  }

  void mark_gone() {
    std::lock_guard lock(mutex);
    gone = true;
    for (auto& [pid, exit] : kernels) {
      std::lock_guard exit_lock(exit->mutex);
      exit->orphaned = true;
      exit->changed.notify_all();
    }
    changed.notify_all();
  }

  void on_message(const json& message) {
    std::lock_guard lock(mutex);
    if (message.contains("exited")) {
      const int pid = message.value("exited", 0);
      auto found = kernels.find(pid);
      if (found == kernels.end()) {
        early_exits[pid] = message;
        return;
      }
      record_exit(*found->second, message);
      kernels.erase(found);
    } else if (message.contains("forked") || message.contains("fork_failed")) {
      const auto id = message.contains("forked") ? message.value("forked", std::uint64_t{0})
                                                 : message.value("fork_failed", std::uint64_t{0});
      replies[id] = message;
      changed.notify_all();
    }
  }

  static void record_exit(detail::ForkedExit& exit, const json& message) {
    std::lock_guard lock(exit.mutex);
    exit.exited = true;
    if (message.contains("code")) exit.code = message.value("code", 0);
    if (message.contains("signal")) exit.signal = message.value("signal", 0);
    exit.changed.notify_all();
  }

  // One JSON object per line from the template, until end of file.
  void read_messages() {
    std::string buffer;
    char chunk[4096];
    for (;;) {
      const ssize_t got = ::recv(control, chunk, sizeof chunk, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(got));
      for (std::size_t end; (end = buffer.find('\n')) != std::string::npos;) {
        const std::string line = buffer.substr(0, end);
        buffer.erase(0, end + 1);
        try {
          on_message(json::parse(line));
        } catch (const json::exception&) {
          note("kernel template sent a line that is not JSON: " + line.substr(0, 200));
        }
      }
    }
    mark_gone();
  }

  // Reads the template's first line: ready, or why it will not fork.
  json await_ready(Clock::time_point deadline) {
    std::string buffer;
    char chunk[4096];
    while (buffer.find('\n') == std::string::npos) {
      if (!process->running()) {
        process->reap();
        throw KernelDiedError("the kernel template for '" + spec.name + "' " +
                              process->describe_exit() +
                              " before it was ready. Its stderr: " + process->stderr_tail());
      }
      const auto now = Clock::now();
      if (now >= deadline) {
        throw TimeoutError("the kernel template for '" + spec.name + "' was not ready within " +
                               std::to_string(options.start_timeout.count() / 1000.0) + " s",
                           Remedy::start_timeout);
      }
      pollfd poll_fd{control, POLLIN, 0};
      const int ready = ::poll(&poll_fd, 1, 50);
      if (ready <= 0) continue;
      const ssize_t got = ::recv(control, chunk, sizeof chunk, 0);
      if (got > 0) buffer.append(chunk, static_cast<std::size_t>(got));
      if (got == 0) process->wait_for_exit(1000ms);  // it closed: the next turn reports it
    }
    return json::parse(buffer.substr(0, buffer.find('\n')));
  }

  std::unique_ptr<detail::KernelProcess> fork(const std::vector<std::string>& app_argv,
                                              const std::optional<std::filesystem::path>& cwd,
                                              const std::map<std::string, std::string>& env,
                                              std::size_t stderr_tail_bytes) {
    int stderr_pipe[2] = {-1, -1};
    if (::pipe2(stderr_pipe, O_CLOEXEC) != 0) {
      throw KernelError(std::string("cannot fork a kernel: ") + std::strerror(errno));
    }
    std::uint64_t id = 0;
    {
      std::lock_guard lock(mutex);
      if (gone) {
        close_fd(stderr_pipe[0]);
        close_fd(stderr_pipe[1]);
        throw KernelDiedError("the kernel template for '" + spec.name + "' has exited");
      }
      id = next_id++;
    }
    json request = {{"op", "fork"}, {"id", id}, {"argv", app_argv}, {"env", env}};
    if (cwd) request["cwd"] = cwd->string();
    const std::string line = request.dump() + "\n";
    const bool sent = send_with_fd(line, stderr_pipe[1]);
    close_fd(stderr_pipe[1]);
    if (!sent) {
      close_fd(stderr_pipe[0]);
      throw KernelDiedError("the kernel template for '" + spec.name + "' stopped reading requests");
    }

    std::unique_lock lock(mutex);
    const bool answered =
        changed.wait_for(lock, fork_reply_limit, [&] { return gone || replies.count(id) != 0; });
    if (!answered || replies.count(id) == 0) {
      close_fd(stderr_pipe[0]);
      throw KernelDiedError("the kernel template for '" + spec.name + "' " +
                            (gone ? "exited" : "did not answer") + " while forking a kernel");
    }
    const json reply = replies[id];
    replies.erase(id);
    if (!reply.contains("forked")) {
      close_fd(stderr_pipe[0]);
      throw KernelError("the kernel template for '" + spec.name +
                        "' could not fork: " + reply.value("error", std::string("unknown")));
    }
    const int pid = reply.value("pid", -1);
    auto exit = std::make_shared<detail::ForkedExit>();
    if (auto early = early_exits.find(pid); early != early_exits.end()) {
      record_exit(*exit, early->second);
      early_exits.erase(early);
    } else {
      kernels[pid] = exit;
    }
    return std::make_unique<detail::ForkedProcess>(pid, exit, stderr_pipe[0], stderr_tail_bytes);
  }

  // The request line with the write end of the kernel's stderr pipe attached (SCM_RIGHTS).
  bool send_with_fd(const std::string& line, int fd) {
    std::lock_guard lock(send_mutex);
    std::size_t offset = 0;
    bool fd_sent = false;
    while (offset < line.size()) {
      iovec io{const_cast<char*>(line.data() + offset), line.size() - offset};
      msghdr header{};
      header.msg_iov = &io;
      header.msg_iovlen = 1;
      alignas(cmsghdr) char control_buffer[CMSG_SPACE(sizeof(int))] = {};
      if (!fd_sent) {
        header.msg_control = control_buffer;
        header.msg_controllen = sizeof control_buffer;
        cmsghdr* message = CMSG_FIRSTHDR(&header);
        message->cmsg_level = SOL_SOCKET;
        message->cmsg_type = SCM_RIGHTS;
        message->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(message), &fd, sizeof(int));
      }
      const ssize_t sent = ::sendmsg(control, &header, MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) return false;
      fd_sent = true;
      offset += static_cast<std::size_t>(sent);
    }
    return true;
  }
};

std::optional<std::string> KernelTemplate::unforkable(const KernelSpec& spec) {
  if (!split_ipykernel_argv(spec.argv)) {
    return "kernel '" + spec.name + "' is not started as `python -m ipykernel_launcher` (" +
           join(spec.argv) + ")";
  }
  return std::nullopt;
}

std::shared_ptr<KernelTemplate> KernelTemplate::start(const KernelSpec& spec,
                                                      const TemplateOptions& options) {
  if (auto reason = unforkable(spec)) throw KernelError(*reason);
  auto impl = std::make_unique<Impl>();
  impl->spec = spec;
  impl->options = options;
  // The interpreter as Kernel::start would run it (a bare "python" resolved the same way).
  impl->interpreter = split_ipykernel_argv(launch_argv(spec, "{connection_file}"))->interpreter;
  impl->environment =
      detail::kernel_environment(spec.env, spec.language, detail::current_environment());

  int sockets[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
    throw KernelError(std::string("cannot start a kernel template: ") + std::strerror(errno));
  }
  impl->control = sockets[0];
  json config = {{"preload", options.preload}};
  detail::SpawnRequest request;
  request.argv = impl->interpreter;
  request.argv.push_back("-c");
  request.argv.push_back(detail::kernel_template_source);
  request.argv.push_back(config.dump());
  request.env = impl->environment;
  request.cwd = options.cwd;
  request.stdin_fd = sockets[1];
  const auto started = Clock::now();
  try {
    impl->process = detail::Process::spawn(request);
  } catch (...) {
    ::close(sockets[1]);
    throw;
  }
  ::close(sockets[1]);
  impl->note("kernel template for '" + spec.name + "' started, pid " +
             std::to_string(impl->process->pid()));

  const json ready = impl->await_ready(started + options.start_timeout);
  if (!ready.value("ready", false)) {
    throw KernelError("cannot fork kernels of '" + spec.name +
                      "': " + ready.value("unsafe", std::string("the template refused")));
  }
  impl->note(
      "kernel template for '" + spec.name + "' ready in " +
      std::to_string(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count()) +
      " ms (Python " + ready.value("python", std::string("?")) + ", imports " +
      std::to_string(ready.value("import_seconds", 0.0)) + " s, " +
      std::to_string(ready.value("native_threads", 0)) + " native threads)");
  Impl* raw = impl.get();
  impl->reader = std::thread([raw] { raw->read_messages(); });
  return std::shared_ptr<KernelTemplate>(new KernelTemplate(std::move(impl)));
}

KernelTemplate::KernelTemplate(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KernelTemplate::~KernelTemplate() = default;

int KernelTemplate::pid() const {
  return impl_->process->pid();
}

bool KernelTemplate::alive() const {
  std::lock_guard lock(impl_->mutex);
  return !impl_->gone;
}

const KernelSpec& KernelTemplate::spec() const {
  return impl_->spec;
}

const std::optional<std::filesystem::path>& KernelTemplate::cwd() const {
  return impl_->options.cwd;
}

namespace detail {

std::unique_ptr<KernelProcess> fork_kernel(KernelTemplate& from,
                                           const std::vector<std::string>& argv,
                                           const std::optional<std::filesystem::path>& cwd,
                                           const std::map<std::string, std::string>& env,
                                           std::size_t stderr_tail_bytes) {
  auto split = split_ipykernel_argv(argv);
  if (!split) throw KernelError("cannot fork this kernel command: " + join(argv));
  return from.impl().fork(split->app, cwd, env, stderr_tail_bytes);
}

}  // namespace detail

}  // namespace nbexec::kernel
