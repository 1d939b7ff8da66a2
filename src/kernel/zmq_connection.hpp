#pragma once

#include <nbexec/kernel/kernel.hpp>
#include <nbexec/protocol/kernel_connection.hpp>

#include "protocol/connection_info.hpp"
#include "protocol/replay_guard.hpp"
#include "protocol/signer.hpp"

#include <zmq.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace nbexec::kernel::detail {

// The client side of a kernel's five channels over ZeroMQ: shell, control and stdin as
// DEALERs sharing the session id as routing identity (the kernel routes input_request to
// the stdin socket by the shell identity, as with jupyter_client), iopub as SUB to
// everything, heartbeat as REQ.
//
// The IOPub SUB socket has no high-water mark, so ZeroMQ's own I/O thread keeps queueing
// what a kernel floods while the caller is busy (saving, logging), and nothing is dropped.
// Shell, iopub and control are read by the caller under one mutex in short slices, so
// another thread may send (an interrupt_request, a shutdown_request) while one thread
// receives. An optional thread pings the heartbeat. (IOPub once had a reader thread of its
// own; handing each message over to the caller cost more per cell than it saved.)
class ZmqConnection final : public protocol::KernelConnection {
 public:
  // `alive` reports whether the kernel process still runs; without one the kernel is
  // assumed alive. When `info` holds curve keys, every socket is a CurveZMQ client of the
  // kernel's public key with a key pair of its own. Throws KernelError when a socket cannot
  // be set up.
  ZmqConnection(const protocol::ConnectionInfo& info, std::function<bool()> alive = {});
  ~ZmqConnection() override;

  // Sends on shell, control or stdin. Throws KernelError for iopub/heartbeat or when the
  // message cannot be queued, ProtocolError for content that cannot be encoded.
  std::string send_request(protocol::Channel channel, std::string_view msg_type,
                           protocol::json content) override;

  // The next message from shell, iopub or control, taken
  // round-robin; messages that fail framing, signature, JSON or replay checks are dropped
  // and counted.
  std::optional<protocol::Incoming> receive(std::chrono::milliseconds timeout) override;

  // False once the process has exited, or once the heartbeat monitor (if started) saw the
  // kernel answer and then stay silent for its whole limit.
  bool kernel_alive() override;
  std::string session_id() const override { return session_; }

  // One heartbeat round trip: true when the kernel echoed within `timeout`.
  bool heartbeat(std::chrono::milliseconds timeout);

  // Pings every `interval`; the kernel counts as dead after `limit` without an echo, but
  // only once it has echoed at least once (a kernel without a heartbeat is not killed).
  void start_heartbeat_monitor(std::chrono::milliseconds interval, std::chrono::milliseconds limit);

  // True once the heartbeat monitor declared the kernel dead.
  bool heartbeat_lost() const { return heartbeat_lost_.load(); }

  // The channel (shell or iopub) whose connection ZeroMQ dropped and did not make again
  // within link_grace, as kernel_alive() last found; nullopt while both hold.
  std::optional<protocol::Channel> dropped_channel() const;

  // How long a dropped shell or iopub connection may stay down before the kernel counts as
  // lost. A kernel that dies drops its connections a moment before its exit can be reaped;
  // within this grace its death is reported as an exit, not as a dropped connection.
  static constexpr std::chrono::milliseconds link_grace{1000};

  ConnectionStats stats() const;

  // Whether every socket speaks CurveZMQ (the connection info had the kernel's key pair).
  bool encrypted() const { return encrypted_; }

 private:
  // Verifies and decodes one multipart; nullopt (and a counted drop) when it fails.
  std::optional<protocol::Incoming> verify(const std::vector<std::string>& frames,
                                           protocol::Channel channel);
  // The next valid message waiting on shell, iopub or control, round-robin among the
  // sockets marked readable; never blocks. mutex_ is held by the caller.
  std::optional<protocol::Incoming> take_next();
  // Polls the three sockets for up to `timeout` (0: a look without waiting) and marks the
  // readable ones. mutex_ is held by the caller.
  void poll_readable(std::chrono::milliseconds timeout);
  void heartbeat_loop(std::chrono::milliseconds interval, std::chrono::milliseconds limit);
  // Reads the socket monitors' events and returns a link down for longer than link_grace.
  std::optional<protocol::Channel> find_dropped_link();
  void count_drop(const std::string& reason, bool replayed);

  std::string session_;
  bool encrypted_ = false;
  protocol::Signer signer_;
  std::function<bool()> alive_;
  zmq::context_t context_;

  // Shell, iopub, control and stdin: used by the caller threads under mutex_.
  mutable std::mutex mutex_;
  zmq::socket_t shell_;
  zmq::socket_t control_;
  zmq::socket_t stdin_;
  zmq::socket_t iopub_;
  std::size_t next_ = 0;  // round-robin start among shell, iopub, control
  // Shell, iopub, control: may hold a message. Cleared by a receive that finds nothing, set
  // by a poll. A receive on an empty ZeroMQ socket is not free (libzmq looks at its command
  // mailbox with a poll(2)), and most cells' messages come on one socket at a time.
  std::array<bool, 3> readable_{true, true, true};

  // ZeroMQ drops a connection for good on a protocol error, such as a frame over
  // max_frame_bytes, and tells only a socket monitor (a PAIR socket receiving connect and
  // disconnect events). Without it a kernel that sent one oversized message mid-cell, and
  // lives on, would leave the run waiting. Shell and iopub are watched: a cell needs both.
  // Read in kernel_alive() only, which the executor calls after a silent wait, under
  // link_mutex_.
  struct Link {
    protocol::Channel channel;
    zmq::socket_t events;
    std::optional<std::chrono::steady_clock::time_point> down_since;
  };
  mutable std::mutex link_mutex_;
  std::array<Link, 2> links_;
  std::optional<protocol::Channel> dropped_;

  // Heartbeat socket: heartbeat() and the monitor thread, under hb_mutex_.
  std::mutex hb_mutex_;
  zmq::socket_t heartbeat_;

  // Verification state, also read by stats().
  mutable std::mutex verify_mutex_;
  protocol::ReplayGuard replay_guard_;
  ConnectionStats stats_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> heartbeat_lost_{false};
  std::mutex hb_wait_mutex_;
  std::condition_variable hb_wait_;
  std::thread heartbeat_thread_;
};

}  // namespace nbexec::kernel::detail
