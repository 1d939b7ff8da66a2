#include "kernel/zmq_connection.hpp"

#include <nbexec/error.hpp>
#include <nbexec/protocol/wire.hpp>

#include <zmq_addon.hpp>

#include <algorithm>
#include <thread>

namespace nbexec::kernel::detail {

using protocol::Channel;

namespace {

// Upper bound of one wait inside receive(), so senders on other threads get the lock.
constexpr std::chrono::milliseconds receive_slice{20};
// A send blocks only when ZeroMQ's queue is full: the kernel stopped reading.
constexpr int send_timeout_ms = 10000;

void configure(zmq::socket_t& socket, const std::string& endpoint) {
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::sndtimeo, send_timeout_ms);
  socket.connect(endpoint);
}

}  // namespace

ZmqConnection::ZmqConnection(const protocol::ConnectionInfo& info, std::function<bool()> alive)
    : session_(protocol::new_msg_id()),
      signer_(info.signature_scheme, info.key),
      alive_(std::move(alive)) {
  try {
    shell_ = zmq::socket_t(context_, zmq::socket_type::dealer);
    control_ = zmq::socket_t(context_, zmq::socket_type::dealer);
    stdin_ = zmq::socket_t(context_, zmq::socket_type::dealer);
    iopub_ = zmq::socket_t(context_, zmq::socket_type::sub);
    heartbeat_ = zmq::socket_t(context_, zmq::socket_type::req);
    for (auto* socket : {&shell_, &control_, &stdin_}) {
      socket->set(zmq::sockopt::routing_id, session_);
    }
    iopub_.set(zmq::sockopt::subscribe, "");
    // A missed heartbeat must not wedge the REQ socket: allow a new ping before the pong.
    heartbeat_.set(zmq::sockopt::req_relaxed, 1);
    heartbeat_.set(zmq::sockopt::req_correlate, 1);
    configure(shell_, info.endpoint(Channel::shell));
    configure(iopub_, info.endpoint(Channel::iopub));
    configure(control_, info.endpoint(Channel::control));
    configure(stdin_, info.endpoint(Channel::stdin_channel));
    configure(heartbeat_, info.endpoint(Channel::heartbeat));
  } catch (const zmq::error_t& e) {
    throw KernelError(std::string("cannot connect to the kernel's ZeroMQ sockets: ") + e.what());
  }
}

ZmqConnection::~ZmqConnection() {
  std::lock_guard lock(mutex_);
  for (auto* socket : {&shell_, &iopub_, &control_, &stdin_, &heartbeat_}) socket->close();
  context_.close();
}

std::string ZmqConnection::send_request(Channel channel, std::string_view msg_type,
                                        protocol::json content) {
  protocol::Message message = protocol::make_message(msg_type, std::move(content), session_);
  std::vector<std::string> frames = protocol::encode_message(message, signer_);

  std::lock_guard lock(mutex_);
  zmq::socket_t* socket = nullptr;
  switch (channel) {
    case Channel::shell:
      socket = &shell_;
      break;
    case Channel::control:
      socket = &control_;
      break;
    case Channel::stdin_channel:
      socket = &stdin_;
      break;
    default:
      throw KernelError("cannot send a request on the " + std::string(channel_name(channel)) +
                        " channel");
  }
  try {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      if (!socket->send(zmq::buffer(frames[i]), flags)) {
        throw KernelError("cannot send " + std::string(msg_type) + " to the kernel: its " +
                          std::string(channel_name(channel)) + " queue has been full for " +
                          std::to_string(send_timeout_ms / 1000) + " s");
      }
    }
  } catch (const zmq::error_t& e) {
    throw KernelError("cannot send " + std::string(msg_type) + " to the kernel: " + e.what());
  }
  return message.msg_id();
}

std::optional<protocol::Incoming> ZmqConnection::take(zmq::socket_t& socket, Channel channel) {
  std::vector<zmq::message_t> parts;
  if (!zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
    return std::nullopt;
  }
  std::vector<std::string> frames;
  frames.reserve(parts.size());
  for (auto& part : parts) frames.push_back(part.to_string());
  try {
    protocol::Message message = protocol::decode_message(frames, signer_);
    // decode_message has verified the signature, so only genuine ones enter the history.
    auto delimiter = std::find(frames.begin(), frames.end(), protocol::wire_delimiter);
    if (!replay_guard_.check_and_remember(*(delimiter + 1))) {
      ++stats_.dropped_replayed;
      stats_.last_drop_reason = "rejected message: duplicate signature (a replayed message)";
      return std::nullopt;
    }
    ++stats_.received;
    return protocol::Incoming{channel, std::move(message)};
  } catch (const ProtocolError& e) {
    ++stats_.dropped_invalid;
    stats_.last_drop_reason = e.what();
    return std::nullopt;
  }
}

std::optional<protocol::Incoming> ZmqConnection::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      auto wait = std::clamp(remaining, std::chrono::milliseconds(0), receive_slice);
      std::array<zmq::pollitem_t, 3> items = {{
          {shell_.handle(), 0, ZMQ_POLLIN, 0},
          {iopub_.handle(), 0, ZMQ_POLLIN, 0},
          {control_.handle(), 0, ZMQ_POLLIN, 0},
      }};
      const std::array<std::pair<zmq::socket_t*, Channel>, 3> sockets = {{
          {&shell_, Channel::shell},
          {&iopub_, Channel::iopub},
          {&control_, Channel::control},
      }};
      int ready = 0;
      try {
        ready = zmq::poll(items.data(), items.size(), wait);
      } catch (const zmq::error_t& e) {
        // A signal for the embedding program; its handler decides what to do next.
        if (e.num() != EINTR) throw KernelError(std::string("ZeroMQ poll failed: ") + e.what());
      }
      if (ready > 0) {
        // Round-robin, so a flood on iopub cannot starve the shell reply.
        for (std::size_t k = 0; k < items.size(); ++k) {
          std::size_t i = (next_ + k) % items.size();
          if ((items[i].revents & ZMQ_POLLIN) == 0) continue;
          next_ = (i + 1) % items.size();
          if (auto incoming = take(*sockets[i].first, sockets[i].second)) return incoming;
        }
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
  }
}

bool ZmqConnection::kernel_alive() {
  return alive_ ? alive_() : true;
}

bool ZmqConnection::heartbeat(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string ping = protocol::new_msg_id();
  {
    std::lock_guard lock(mutex_);
    if (!heartbeat_.send(zmq::buffer(ping), zmq::send_flags::dontwait)) return false;
  }
  while (true) {
    {
      std::lock_guard lock(mutex_);
      zmq::message_t pong;
      while (heartbeat_.recv(pong, zmq::recv_flags::dontwait)) {
        if (pong.to_string_view() == ping) return true;
      }
      zmq::pollitem_t item{heartbeat_.handle(), 0, ZMQ_POLLIN, 0};
      auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      try {
        zmq::poll(&item, 1, std::clamp(remaining, std::chrono::milliseconds(0), receive_slice));
      } catch (const zmq::error_t&) {
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

ConnectionStats ZmqConnection::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace nbexec::kernel::detail
