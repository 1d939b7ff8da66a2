#pragma once

#include <nbexec/kernel/kernelspec.hpp>
#include <nbexec/protocol/kernel_connection.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace nbexec::kernel {

class KernelTemplate;  // kernel_template.hpp

struct LaunchOptions {
  std::optional<std::filesystem::path> cwd;  // the kernel's working directory
  std::chrono::milliseconds start_timeout{60000};
  // --- Transport and encryption (docs/security.md, "Transport") ---
  // "auto": ipc (Unix sockets in the kernel's private folder), or tcp on 127.0.0.1 for a
  // kernel that cannot use ipc (known from a failed start; ipykernel kernels can); "ipc": ipc
  // or fail; "tcp": tcp on 127.0.0.1.
  std::string transport = "auto";
  // CurveZMQ, as jupyter_client 8.10's transport_encryption: "off"; "auto": when the
  // kernelspec declares "curve" in metadata.supported_encryption; "required": that, and a
  // kernelspec without the declaration is refused (KernelError, Remedy::transport_encryption).
  std::string encryption = "auto";
  // Receives warnings (a kernel that fell back from ipc to tcp); unset: they go to `log`.
  std::function<void(const std::string&)> warn;
  // --- end of transport and encryption ---
  // Receives one-line progress notes ("kernel started, pid 123").
  std::function<void(const std::string&)> log;
  // Set (by a signal handler) to give up waiting for the handshake: start() then returns a
  // kernel that is not ready, which the caller shuts down.
  const std::atomic<bool>* cancel = nullptr;
  // Heartbeat: one ping per interval; a kernel that answered once and then stays silent for
  // the limit counts as dead (process polling catches an exited kernel much sooner).
  std::chrono::milliseconds heartbeat_interval{500};
  std::chrono::milliseconds heartbeat_limit{3000};
  // Launches that die with "Address already in use" (another process took a port between
  // picking and binding) are retried this many times with fresh ports.
  int bind_retries = 4;
  // Fork the kernel from this warm template instead of starting its argv as a new process.
  // The template must have been started for the same kernelspec and cwd.
  std::shared_ptr<KernelTemplate> fork_from;
};

// What the connection dropped instead of handing out, for logging.
struct ConnectionStats {
  std::uint64_t received = 0;          // verified messages handed to the caller
  std::uint64_t dropped_invalid = 0;   // bad framing, bad signature or bad JSON
  std::uint64_t dropped_replayed = 0;  // a signature seen before on this connection
  std::string last_drop_reason;        // the ProtocolError text of the latest drop
  // How many messages were dropped for each reason (the first 32 distinct reasons).
  std::map<std::string, std::uint64_t> drop_reasons;
};

// "3 kernel messages rejected: 2 x rejected message: invalid signature (...); 1 x ..." or
// "" when nothing was rejected. For the run's log.
std::string describe_rejections(const ConnectionStats& stats);

// Whether a kernelspec declares CurveZMQ support: metadata.supported_encryption is "curve" or a
// list holding it (case-insensitive, trimmed), as jupyter_client 8.10 reads it.
bool declares_curve(const KernelSpec& spec);

// Checks the transport and encryption options against the kernelspec before anything starts:
// UsageError for an unknown transport or policy; KernelError (Remedy::transport_encryption)
// when encryption is required and the kernelspec does not declare curve, or when libzmq has
// no CURVE. Returns whether the kernel's wire will be encrypted. Kernel::start calls it too.
bool check_transport_options(const KernelSpec& spec, const LaunchOptions& options);

// A running kernel process and its ZeroMQ connection. Starting writes a connection file
// (mode 0600, random key) into a private folder (0700) of its own in jupyter's runtime dir
// ($JUPYTER_RUNTIME_DIR, else <jupyter data dir>/runtime), launches the kernel in its own process
// group, connects the channels and completes the kernel_info handshake, making sure iopub is
// receiving before it returns. Destruction shuts the kernel down, reaps it and removes the
// connection file, whatever happened before.
//
// connection() is meant for one receiving thread; interrupt() and shutdown() may be called
// from another thread (a signal handler's) while it receives.
class Kernel {
 public:
  // Throws KernelError when it cannot start (KernelDiedError, quoting the end of its stderr,
  // when the process exits during start), TimeoutError when the handshake does not complete
  // within start_timeout. Nothing is left behind on failure.
  static std::unique_ptr<Kernel> start(const KernelSpec& spec, const LaunchOptions& options);

  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  protocol::KernelConnection& connection();

  // content of the kernel_info_reply received at start (holds language_info).
  const nlohmann::json& kernel_info() const;

  const KernelSpec& spec() const;
  int pid() const;

  // Interrupts the running cell: SIGINT to the process group, or an interrupt_request on
  // control when the spec's interrupt_mode is "message".
  void interrupt();

  // shutdown_request on control, then SIGTERM and SIGKILL to the process group if it does not
  // exit within `grace`; reaps the process and removes the connection file. Idempotent and
  // never throws. Afterwards kernel_alive() is false; replies already queued can still be
  // received.
  void shutdown(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

  // Why the kernel counts as dead, for the error message: "its process (pid 12) was killed
  // by signal 9 (Killed)" or "it stopped answering heartbeats ...". Call before shutdown().
  std::string death_reason() const;

  // Last lines the kernel wrote to stderr (bounded), for error messages.
  std::string stderr_tail() const;

  // Replaces the receiver of progress notes given at start (LaunchOptions::log). A kernel that
  // outlives whoever passed that callback (a pool shutting it down in the background after
  // its run ended) must not call it. Call while no other thread uses the kernel.
  void set_log(std::function<void(const std::string&)> log);

  // Counters of the ZeroMQ connection (messages received and dropped).
  ConnectionStats connection_stats() const;

  // The connection file (removed by shutdown, with its private folder).
  const std::filesystem::path& connection_file() const;

  // --- Transport and encryption ---
  // The transport the kernel's sockets use: "ipc" or "tcp" (after any fallback).
  const std::string& transport() const;
  // Whether every channel, the heartbeat included, is CurveZMQ-encrypted.
  bool wire_encrypted() const;
  // Whether what crosses the wire is out of other local users' reach: ipc sockets in a 0700
  // folder, or encrypted. Plain tcp on loopback is readable by anyone who can capture it.
  bool wire_private() const { return transport() == "ipc" || wire_encrypted(); }

 private:
  struct Impl;
  explicit Kernel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nbexec::kernel
