#include <nbexec/kernel/kernel.hpp>

#include <nbexec/error.hpp>

#include <signal.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "core/json_fields.hpp"
#include "kernel/connection_file.hpp"
#include "kernel/env_util.hpp"
#include "kernel/fork_template_impl.hpp"
#include "kernel/process.hpp"
#include "kernel/zmq_connection.hpp"

namespace nbexec::kernel {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using protocol::Channel;

namespace {

// How long to wait for the iopub status of the kernel_info request before resending it:
// a SUB socket only receives once its subscription reached the kernel (jupyter_client #593).
constexpr auto iopub_retry = 200ms;
// After the handshake, how long to wait for the kernel to go idle before handing over.
constexpr auto settle_limit = 500ms;

std::string format_duration(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

std::string join_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    out += arg;
  }
  return out;
}

// The end of the kernel's stderr, short enough for an error message.
std::string quote_tail(const std::string& tail) {
  std::string text = strip_ansi(tail);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return " It wrote nothing to stderr.";
  constexpr std::size_t max_chars = 4000;
  constexpr int max_lines = 25;
  std::size_t start = text.size() > max_chars ? text.size() - max_chars : 0;
  int lines = 0;
  for (std::size_t i = text.size(); i > start; --i) {
    if (text[i - 1] == '\n' && ++lines == max_lines) {
      start = i;
      break;
    }
  }
  return " Its stderr ends with:\n" + text.substr(start);
}

}  // namespace

struct Kernel::Impl {
  KernelSpec spec;
  std::function<void(const std::string&)> log;
  detail::ConnectionFile connection_file;
  std::unique_ptr<detail::KernelProcess> process;
  std::unique_ptr<detail::ZmqConnection> connection;
  nlohmann::json kernel_info = nlohmann::json::object();
  std::vector<std::string> argv;
  bool ready = false;
  std::mutex shutdown_mutex;
  bool shut_down = false;

  ~Impl() {
    // A kernel that never became ready gets no shutdown_request: it may not be listening.
    shutdown(ready ? 5000ms : 0ms, ready);
    connection.reset();
    process.reset();
  }

  void note(const std::string& text) const {
    if (!log) return;
    try {
      log(text);
    } catch (...) {
      // A failing logger must not turn a clean start or shutdown into an error.
    }
  }

  const std::atomic<bool>* cancel = nullptr;
  std::chrono::milliseconds heartbeat_limit{0};

  static std::unique_ptr<Impl> launch(const KernelSpec& spec, const LaunchOptions& options);
  void shutdown(std::chrono::milliseconds grace, bool polite) noexcept;
  // Waits at most `timeout`; `configured` is the --start-timeout quoted in the message.
  void handshake(std::chrono::milliseconds timeout, std::chrono::milliseconds configured);
  [[noreturn]] void fail_died(const char* when);
};

void Kernel::Impl::shutdown(std::chrono::milliseconds grace, bool polite) noexcept {
  std::lock_guard lock(shutdown_mutex);
  if (shut_down) return;
  shut_down = true;
  try {
    if (process && process->running()) {
      if (polite && connection) {
        try {
          connection->send_request(Channel::control, "shutdown_request", {{"restart", false}});
        } catch (const std::exception&) {
          grace = 0ms;  // nobody to ask; go straight to the signals
        }
      }
      if (!process->wait_for_exit(polite ? grace : 0ms)) {
        process->signal_group(SIGTERM);
        auto term_wait = std::clamp<std::chrono::milliseconds>(grace, 200ms, 2000ms);
        if (!process->wait_for_exit(term_wait)) note("kernel ignored SIGTERM; killing it");
      }
    }
    if (process) {
      process->reap();
      note("kernel pid " + std::to_string(process->pid()) + " " + process->describe_exit());
    }
  } catch (...) {
  }
  detail::remove_connection_file(connection_file);
}

namespace {

// ipykernel, xeus and pyzmq all say this when a port was taken between picking and binding.
bool lost_port_race(const std::string& stderr_tail) {
  return stderr_tail.find("Address already in use") != std::string::npos ||
         stderr_tail.find("EADDRINUSE") != std::string::npos;
}

}  // namespace

void Kernel::Impl::fail_died(const char* when) {
  process->reap();  // completes the stderr tail
  throw KernelDiedError("kernel '" + spec.name + "' (pid " + std::to_string(process->pid()) + ") " +
                        process->describe_exit() + " " + when + ". Command: " + join_argv(argv) +
                        "." + quote_tail(process->stderr_tail()));
}

void Kernel::Impl::handshake(std::chrono::milliseconds timeout,
                             std::chrono::milliseconds configured) {
  const auto started = Clock::now();
  const auto deadline = started + timeout;
  std::set<std::string> requests;
  std::string last_request = connection->send_request(Channel::shell, "kernel_info_request", {});
  requests.insert(last_request);
  auto last_sent = Clock::now();
  bool replied = false;
  bool iopub_seen = false;
  bool last_busy = false;  // the last request's busy status arrived on iopub
  bool last_idle = false;
  std::string iopub_proof;

  while (!(replied && iopub_seen)) {
    if (cancel && cancel->load()) {
      note("kernel start cancelled");
      return;  // not ready: the caller shuts it down without asking
    }
    if (!process->running()) fail_died("before answering kernel_info");
    // ipykernel can stay alive after failing to bind a port (threads it already started keep
    // the process up), so a lost port race is read from stderr too, not only from an exit;
    // start() then retries it like a kernel that died binding.
    if (!replied && lost_port_race(process->stderr_tail())) {
      throw KernelDiedError("kernel '" + spec.name + "' (pid " + std::to_string(process->pid()) +
                            ") could not bind its ports. Command: " + join_argv(argv) + "." +
                            quote_tail(process->stderr_tail()));
    }
    auto now = Clock::now();
    if (now >= deadline) {
      throw TimeoutError("kernel '" + spec.name + "' did not " +
                             (replied ? "publish on iopub" : "answer kernel_info_request") +
                             " within " + format_duration(configured) + ". Command: " +
                             join_argv(argv) + "." + quote_tail(process->stderr_tail()),
                         Remedy::start_timeout);
    }
    auto wait = std::min<Clock::duration>(50ms, deadline - now);
    auto incoming = connection->receive(std::chrono::ceil<std::chrono::milliseconds>(wait));
    if (incoming) {
      const auto& message = incoming->message;
      if (incoming->channel == Channel::iopub) {
        // JEP 65 kernels greet each new subscriber; older ones prove the subscription by
        // publishing the status of a kernel_info_request sent after it took effect.
        if (!iopub_seen) iopub_proof = message.msg_type();
        iopub_seen = true;
        if (message.msg_type() == "status" && message.parent_msg_id() == last_request) {
          const std::string state =
              nbexec::detail::string_field(message.content, "execution_state");
          last_busy = last_busy || state == "busy";
          last_idle = last_idle || state == "idle";
        }
      } else if (incoming->channel == Channel::shell && !replied &&
                 message.msg_type() == "kernel_info_reply" &&
                 requests.count(message.parent_msg_id()) != 0) {
        replied = true;
        kernel_info = message.content;
      }
      continue;
    }
    if (replied && !iopub_seen && Clock::now() - last_sent >= iopub_retry) {
      last_request = connection->send_request(Channel::shell, "kernel_info_request", {});
      requests.insert(last_request);
      last_sent = Clock::now();
    }
  }

  // Let the kernel finish the busy/idle pair of the last request, then drop whatever is
  // queued, so the caller starts on a quiet connection. When its busy never arrived, the pair
  // went out before the subscription took effect (the proof was iopub_welcome or an earlier
  // request's status): there is nothing to wait for.
  const auto settle_deadline = std::min(deadline, Clock::now() + settle_limit);
  while (last_busy && !last_idle && Clock::now() < settle_deadline) {
    auto incoming = connection->receive(std::chrono::ceil<std::chrono::milliseconds>(
        std::max<Clock::duration>(Clock::duration::zero(), settle_deadline - Clock::now())));
    if (!incoming) break;
    const auto& message = incoming->message;
    last_idle = incoming->channel == Channel::iopub && message.msg_type() == "status" &&
                message.parent_msg_id() == last_request &&
                nbexec::detail::string_field(message.content, "execution_state") == "idle";
  }
  while (connection->receive(0ms)) {
  }

  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  const std::string language = nbexec::detail::string_field(
      nbexec::detail::any_field(kernel_info, "language_info"), "name", "unknown language");
  note("kernel '" + spec.name + "' ready (" + language + ", " +
       nbexec::detail::string_field(kernel_info, "implementation", "unknown implementation") +
       ") in " + std::to_string(elapsed.count()) + " ms; iopub proven by " + iopub_proof + ", " +
       std::to_string(requests.size()) + " kernel_info_request(s)");
  ready = true;
}

std::unique_ptr<Kernel::Impl> Kernel::Impl::launch(const KernelSpec& spec,
                                                   const LaunchOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->spec = spec;
  impl->log = options.log;
  impl->cancel = options.cancel;

  std::filesystem::path runtime_dir = detail::ensure_runtime_dir();
  impl->connection_file = detail::create_connection_file(runtime_dir, options.transport, spec.name);
  impl->argv = launch_argv(spec, impl->connection_file.path);
  // nbclient (and so papermill) keeps an ipykernel's history in memory: runs share no SQLite
  // history file, so parallel runs cannot lock each other out and a notebook sees only its
  // own history. jupyter_client's KernelManager.ipykernel names these kernels.
  if (spec.name == "python" || spec.name == "python2" || spec.name == "python3") {
    impl->argv.push_back("--HistoryManager.hist_file=:memory:");
  }

  detail::SpawnRequest request;
  request.argv = impl->argv;
  request.env = detail::kernel_environment(spec.env, spec.language, detail::current_environment());
  request.cwd = options.cwd;
  if (options.fork_from) {
    impl->note("forking kernel '" + spec.name + "' from its template (pid " +
               std::to_string(options.fork_from->pid()) + "): " + join_argv(impl->argv));
    impl->process = detail::fork_kernel(*options.fork_from, impl->argv, options.cwd, request.env,
                                        request.stderr_tail_bytes);
  } else {
    impl->note("starting kernel '" + spec.name + "': " + join_argv(impl->argv));
    impl->process = detail::Process::spawn(request);
  }
  impl->note("kernel started, pid " + std::to_string(impl->process->pid()));

  detail::KernelProcess* process = impl->process.get();
  impl->connection = std::make_unique<detail::ZmqConnection>(
      impl->connection_file.info, [process] { return process->running(); });
  return impl;
}

std::unique_ptr<Kernel> Kernel::start(const KernelSpec& spec, const LaunchOptions& options) {
  const auto started = Clock::now();
  for (int attempt = 0;; ++attempt) {
    auto impl = Impl::launch(spec, options);
    try {
      // Retries share the one start timeout.
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(options.start_timeout -
                                                                        (Clock::now() - started));
      impl->handshake(std::max(left, std::chrono::milliseconds(0)), options.start_timeout);
    } catch (const KernelDiedError&) {
      if (attempt >= options.bind_retries || !lost_port_race(impl->process->stderr_tail())) throw;
      impl->note("kernel '" + spec.name +
                 "' could not bind its ports (another process took one); retrying with new "
                 "ports");
      continue;  // ~Impl has reaped it and removed its connection file
    }
    impl->heartbeat_limit = options.heartbeat_limit;
    if (impl->ready) {
      impl->connection->start_heartbeat_monitor(options.heartbeat_interval,
                                                options.heartbeat_limit);
    }
    return std::unique_ptr<Kernel>(new Kernel(std::move(impl)));
  }
}

Kernel::Kernel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Kernel::~Kernel() = default;

protocol::KernelConnection& Kernel::connection() {
  return *impl_->connection;
}

const nlohmann::json& Kernel::kernel_info() const {
  return impl_->kernel_info;
}

const KernelSpec& Kernel::spec() const {
  return impl_->spec;
}

int Kernel::pid() const {
  return impl_->process->pid();
}

void Kernel::interrupt() {
  if (impl_->spec.interrupt_mode == "message") {
    impl_->connection->send_request(Channel::control, "interrupt_request", {});
  } else {
    impl_->process->signal_group(SIGINT);
  }
}

void Kernel::shutdown(std::chrono::milliseconds grace) {
  // A kernel that never completed the handshake may not be listening on control.
  impl_->shutdown(grace, impl_->ready);
}

std::string Kernel::death_reason() const {
  if (const auto channel = impl_->connection->dropped_channel();
      channel && impl_->process->running()) {
    return "ZeroMQ dropped its " + std::string(channel_name(*channel)) +
           " connection for good (a frame over the 1 GiB limit, or bytes that are not ZMTP) "
           "although its process (pid " +
           std::to_string(impl_->process->pid()) + ") still runs";
  }
  if (impl_->connection->heartbeat_lost() && impl_->process->running()) {
    return "it stopped answering heartbeats for " + format_duration(impl_->heartbeat_limit) +
           " although its process (pid " + std::to_string(impl_->process->pid()) + ") still runs";
  }
  return "its process (pid " + std::to_string(impl_->process->pid()) + ") " +
         impl_->process->describe_exit();
}

std::string Kernel::stderr_tail() const {
  return impl_->process->stderr_tail();
}

void Kernel::set_log(std::function<void(const std::string&)> log) {
  impl_->log = std::move(log);
}

ConnectionStats Kernel::connection_stats() const {
  return impl_->connection->stats();
}

std::string describe_rejections(const ConnectionStats& stats) {
  const auto total = stats.dropped_invalid + stats.dropped_replayed;
  if (total == 0) return {};
  std::string text = std::to_string(total) + " kernel message" + (total == 1 ? "" : "s") +
                     " rejected (" + std::to_string(stats.dropped_invalid) + " invalid, " +
                     std::to_string(stats.dropped_replayed) + " replayed)";
  std::uint64_t listed = 0;
  std::string sep = ": ";
  for (const auto& [reason, count] : stats.drop_reasons) {
    text += sep + std::to_string(count) + " x " + reason;
    sep = "; ";
    listed += count;
  }
  if (listed < total) text += sep + std::to_string(total - listed) + " x other reasons";
  return text;
}

const std::filesystem::path& Kernel::connection_file() const {
  return impl_->connection_file.path;
}

}  // namespace nbexec::kernel
