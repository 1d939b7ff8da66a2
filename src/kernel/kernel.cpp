#include <nbexec/kernel/kernel.hpp>

#include <nbexec/error.hpp>
#include <nbexec/kernel/kernel_template.hpp>

#include <signal.h>

#include <algorithm>
#include <cctype>
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

// "; its stderr ends: LINE" for the last line the kernel wrote, or "".
std::string last_line(const std::string& tail) {
  std::string text = strip_ansi(tail);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.pop_back();
  }
  if (text.empty()) return {};
  const auto start = text.find_last_of('\n');
  std::string line = start == std::string::npos ? text : text.substr(start + 1);
  if (line.size() > 300) line = line.substr(0, 300) + "...";
  return "; its stderr ends: " + line;
}

// A kernel not known to take ipc that, this long into an ipc start, has bound no socket in
// its folder (it runs, but listens elsewhere or nowhere) is given up on for tcp.
constexpr auto ipc_probe_limit = 10s;

// The ipc attempt of a kernel that turned out not to use ipc.
struct IpcUnsupported : KernelError {
  using KernelError::KernelError;
};

std::string lower_trimmed(std::string text) {
  const auto not_space = [](unsigned char c) { return std::isspace(c) == 0; };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Kernelspecs (by folder and argv) that could not start over ipc in this process: later
// starts of them go straight to tcp instead of failing once more.
std::mutex ipc_refusers_mutex;
std::set<std::string> ipc_refusers;

std::string spec_identity(const KernelSpec& spec) {
  return spec.resource_dir.string() + '\n' + join_argv(spec.argv);
}

bool refused_ipc_before(const KernelSpec& spec) {
  std::lock_guard lock(ipc_refusers_mutex);
  return ipc_refusers.count(spec_identity(spec)) != 0;
}

void remember_ipc_refusal(const KernelSpec& spec) {
  std::lock_guard lock(ipc_refusers_mutex);
  ipc_refusers.insert(spec_identity(spec));
}

// A kernelspec that runs `python -m ipykernel_launcher|ipykernel` (the forkable ones). Such
// a kernel binds ipc sockets (jupyter_client's own transport choice; for any other kernel only
// a start shows it) and takes IPython's options.
bool is_ipykernel(const KernelSpec& spec) {
  return !KernelTemplate::unforkable(spec).has_value();
}

}  // namespace

bool declares_curve(const KernelSpec& spec) {
  if (!spec.metadata.is_object()) return false;
  const auto found = spec.metadata.find("supported_encryption");
  if (found == spec.metadata.end()) return false;
  if (found->is_string()) return lower_trimmed(found->get<std::string>()) == "curve";
  if (!found->is_array()) return false;
  return std::any_of(found->begin(), found->end(), [](const nlohmann::json& item) {
    return lower_trimmed(item.is_string() ? item.get<std::string>() : item.dump()) == "curve";
  });
}

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
  // An ipc start of a kernel not known to take ipc: give up when no socket appears.
  bool probe_ipc = false;

  static std::unique_ptr<Impl> launch(const KernelSpec& spec, const LaunchOptions& options,
                                      const std::string& transport, bool curve);
  // What the kernel has bound in its private folder so far.
  enum class IpcState { nothing, expected, foreign };
  IpcState ipc_state() const;
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
    if (probe_ipc && !replied) {
      // A kernel that binds sockets of other names (it read the ip as a host) or, given the
      // time a start takes, none at all, is not going to answer on ipc.
      const IpcState state = ipc_state();
      const bool waited = now - started >= std::min<Clock::duration>(ipc_probe_limit, timeout / 2);
      if (state == IpcState::foreign || (waited && state == IpcState::nothing)) {
        throw IpcUnsupported(
            "kernel '" + spec.name + "' (pid " + std::to_string(process->pid()) + ") " +
            (state == IpcState::foreign
                 ? "bound sockets under other names than ipc-N"
                 : "bound no ipc socket within " +
                       format_duration(
                           std::chrono::duration_cast<std::chrono::milliseconds>(now - started))));
      }
    }
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

Kernel::Impl::IpcState Kernel::Impl::ipc_state() const {
  const auto& info = connection_file.info;
  std::set<std::string> expected;
  for (int port :
       {info.shell_port, info.iopub_port, info.stdin_port, info.control_port, info.hb_port}) {
    expected.insert(info.ip + "-" + std::to_string(port));
  }
  IpcState state = IpcState::nothing;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(connection_file.folder, ec)) {
    if (entry.path() == connection_file.path) continue;
    if (expected.count(entry.path().string()) == 0) return IpcState::foreign;
    state = IpcState::expected;
  }
  return state;
}

std::unique_ptr<Kernel::Impl> Kernel::Impl::launch(const KernelSpec& spec,
                                                   const LaunchOptions& options,
                                                   const std::string& transport, bool curve) {
  auto impl = std::make_unique<Impl>();
  impl->spec = spec;
  impl->log = options.log;
  impl->cancel = options.cancel;

  std::filesystem::path runtime_dir = detail::ensure_runtime_dir();
  impl->connection_file = detail::create_connection_file(runtime_dir, transport, spec.name, curve);
  impl->argv = launch_argv(spec, impl->connection_file.path);
  // nbclient (and so papermill) keeps an ipykernel's history in memory: runs share no SQLite
  // history file, so parallel runs cannot lock each other out and a notebook sees only its
  // own history. jupyter_client's KernelManager.ipykernel knows these kernels by name; nbexec
  // also by their argv (`python -m ipykernel_launcher`), so a kernelspec installed under
  // another name (`ipykernel install --name myenv`) does not write the cells it ran, secrets'
  // values included, to $IPYTHONDIR's history.sqlite either (docs/security.md).
  if (spec.name == "python" || spec.name == "python2" || spec.name == "python3" ||
      is_ipykernel(spec)) {
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
  const auto& info = impl->connection_file.info;
  impl->note("kernel wire: " + transport + (curve ? " with CurveZMQ" : " without encryption") +
             (transport == "tcp"
                  ? " on 127.0.0.1 ports " + std::to_string(info.shell_port) + "," +
                        std::to_string(info.iopub_port) + "," + std::to_string(info.stdin_port) +
                        "," + std::to_string(info.control_port) + "," + std::to_string(info.hb_port)
                  : std::string()) +
             ", connection file " + impl->connection_file.path.string());

  detail::KernelProcess* process = impl->process.get();
  impl->connection = std::make_unique<detail::ZmqConnection>(
      impl->connection_file.info, [process] { return process->running(); });
  return impl;
}

bool check_transport_options(const KernelSpec& spec, const LaunchOptions& options) {
  const std::string& requested = options.transport;
  if (requested != "auto" && requested != "ipc" && requested != "tcp") {
    throw UsageError("unknown kernel transport '" + requested + "' (expected auto, ipc or tcp)");
  }
  const std::string& policy = options.encryption;
  if (policy != "off" && policy != "auto" && policy != "required") {
    throw UsageError("unknown transport encryption '" + policy +
                     "' (expected off, auto or required)");
  }
  if (policy == "off") return false;
  const bool declared = declares_curve(spec);
  if (policy == "required") {
    if (!declared) {
      throw KernelError("kernel '" + spec.name +
                            "' does not declare CurveZMQ support and transport encryption is "
                            "required: its kernelspec (" +
                            (spec.resource_dir / "kernel.json").string() +
                            ") has no \"curve\" in metadata.supported_encryption. Add "
                            "\"metadata\": {\"supported_encryption\": [\"curve\"]} to that "
                            "kernel.json if the kernel reads curve_publickey/curve_secretkey from "
                            "its connection file (ipykernel 7.4 does), or use a kernel that does",
                        Remedy::transport_encryption);
    }
    detail::require_curve();
    return true;
  }
  return declared && detail::curve_available();
}

std::unique_ptr<Kernel> Kernel::start(const KernelSpec& spec, const LaunchOptions& options) {
  const std::string& requested = options.transport;
  const bool curve = check_transport_options(spec, options);
  if (options.encryption == "auto" && !curve && declares_curve(spec) && options.log) {
    options.log("kernel '" + spec.name +
                "' declares CurveZMQ support, but this libzmq has none: the wire is not encrypted");
  }
  std::string transport = requested == "tcp" ? "tcp" : "ipc";
  const bool may_fall_back = requested == "auto" && !is_ipykernel(spec);
  if (may_fall_back && refused_ipc_before(spec)) transport = "tcp";
  const auto started = Clock::now();
  for (int attempt = 0;; ++attempt) {
    auto impl = Impl::launch(spec, options, transport, curve);
    impl->probe_ipc = may_fall_back && transport == "ipc" && !options.fork_from;
    try {
      // Retries share the one start timeout.
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(options.start_timeout -
                                                                        (Clock::now() - started));
      impl->handshake(std::max(left, std::chrono::milliseconds(0)), options.start_timeout);
    } catch (const KernelError& error) {
      const bool port_race = impl->process && lost_port_race(impl->process->stderr_tail());
      const bool died = dynamic_cast<const KernelDiedError*>(&error) != nullptr;
      const bool no_ipc = dynamic_cast<const IpcUnsupported*>(&error) != nullptr;
      // A kernel that died before binding its ipc sockets may not take ipc at all: worth one
      // tcp start (a kernel broken either way dies again and reports its own error).
      const bool died_unbound = died && !port_race && impl->ipc_state() != Impl::IpcState::expected;
      if (may_fall_back && transport == "ipc" && (no_ipc || died_unbound)) {
        remember_ipc_refusal(spec);
        const std::string why = no_ipc ? std::string(error.what())
                                       : "it " + impl->process->describe_exit() +
                                             last_line(impl->process->stderr_tail());
        const std::string line = "kernel '" + spec.name +
                                 "' could not start with the ipc transport; falling back to tcp "
                                 "on 127.0.0.1 (" +
                                 why + ")";
        if (options.warn) {
          options.warn(line);
        } else if (options.log) {
          options.log(line);
        }
        transport = "tcp";
        continue;  // ~Impl has reaped it and removed its folder
      }
      if (!died || attempt >= options.bind_retries || !port_race) throw;
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

const std::string& Kernel::transport() const {
  return impl_->connection_file.info.transport;
}

bool Kernel::wire_encrypted() const {
  return impl_->connection->encrypted();
}

}  // namespace nbexec::kernel
