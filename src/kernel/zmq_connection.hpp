#pragma once

#include <nbexec/kernel/kernel.hpp>
#include <nbexec/protocol/connection_info.hpp>
#include <nbexec/protocol/kernel_connection.hpp>
#include <nbexec/protocol/replay_guard.hpp>
#include <nbexec/protocol/signer.hpp>

#include <zmq.hpp>

#include <array>
#include <functional>
#include <mutex>

namespace nbexec::kernel::detail {

// The client side of a kernel's five channels over ZeroMQ: shell, control and stdin as
// DEALERs sharing the session id as routing identity (the kernel routes input_request to
// the stdin socket by the shell identity, as with jupyter_client), iopub as SUB to
// everything, heartbeat as REQ.
//
// Every socket operation happens under one mutex, and receive() waits in short slices, so
// another thread may send (an interrupt_request, a shutdown_request) while one thread is
// receiving.
class ZmqConnection final : public protocol::KernelConnection {
 public:
  // `alive` reports whether the kernel process still runs; without one the kernel is
  // assumed alive. Throws KernelError when a socket cannot be set up.
  ZmqConnection(const protocol::ConnectionInfo& info, std::function<bool()> alive = {});
  ~ZmqConnection() override;

  // Sends on shell, control or stdin. Throws KernelError for iopub/heartbeat or when the
  // message cannot be queued, ProtocolError for content that cannot be encoded.
  std::string send_request(protocol::Channel channel, std::string_view msg_type,
                           protocol::json content) override;

  // Polls shell, iopub and control together; drops (and counts) messages that fail
  // framing, signature, JSON or replay checks.
  std::optional<protocol::Incoming> receive(std::chrono::milliseconds timeout) override;

  bool kernel_alive() override;
  std::string session_id() const override { return session_; }

  // One heartbeat round trip: true when the kernel echoed within `timeout`.
  bool heartbeat(std::chrono::milliseconds timeout);

  ConnectionStats stats() const;

 private:
  std::optional<protocol::Incoming> take(zmq::socket_t& socket, protocol::Channel channel);

  std::string session_;
  protocol::Signer signer_;
  std::function<bool()> alive_;
  mutable std::mutex mutex_;
  zmq::context_t context_;
  zmq::socket_t shell_;
  zmq::socket_t iopub_;
  zmq::socket_t control_;
  zmq::socket_t stdin_;
  zmq::socket_t heartbeat_;
  protocol::ReplayGuard replay_guard_;
  ConnectionStats stats_;
  std::size_t next_ = 0;  // round-robin start among ready sockets
};

}  // namespace nbexec::kernel::detail
