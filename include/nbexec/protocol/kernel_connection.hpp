#pragma once

#include <nbexec/protocol/channel.hpp>
#include <nbexec/protocol/message.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace nbexec::protocol {

// A message that arrived from the kernel, with the channel it came on.
struct Incoming {
  Channel channel;
  Message message;
};

// What the executor needs of a kernel, at message level. kernel/ implements it over ZeroMQ;
// tests implement it in memory. Keeping it here means the executor never sees a socket.
class KernelConnection {
 public:
  virtual ~KernelConnection() = default;

  // Sends a request on shell or control and returns its msg_id.
  virtual std::string send_request(Channel channel, std::string_view msg_type, json content) = 0;

  // The next verified message from shell, iopub or control, waiting at most `timeout`;
  // nullopt when nothing arrived in time. Messages that fail verification are dropped here.
  virtual std::optional<Incoming> receive(std::chrono::milliseconds timeout) = 0;

  // False once the kernel is known to be gone (its process exited).
  virtual bool kernel_alive() = 0;

  // The session id used in request headers.
  virtual std::string session_id() const = 0;
};

}  // namespace nbexec::protocol
