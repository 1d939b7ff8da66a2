#include "kernel/zmq_connection.hpp"

#include <nbexec/error.hpp>

#include "protocol/wire.hpp"

#include <zmq_addon.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "kernel/connection_file.hpp"
#include "protocol/replay_error.hpp"

namespace nbexec::kernel::detail {

using protocol::Channel;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// Upper bound of one wait inside receive(), so senders on other threads get the lock.
constexpr milliseconds receive_slice{20};
// Invalid messages skipped on one channel in one take before the next channel gets its turn.
constexpr int max_drops_per_take = 64;
// A send blocks only when ZeroMQ's queue is full: the kernel stopped reading.
constexpr int send_timeout_ms = 10000;
// Distinct drop reasons kept with their counts; later new reasons only count.
constexpr std::size_t max_drop_reasons = 32;

// We connect before the kernel has bound its ports; ZeroMQ's default first retry after 100 ms
// would then be most of a fast kernel's start-up. Later retries back off to 1 s.
constexpr int reconnect_ms = 10;
constexpr int reconnect_max_ms = 1000;

// A frame header may claim any size up to 2^64; without a cap ZeroMQ allocates what it claims
// and fills it from the peer, so a hostile or broken kernel could make us hold gigabytes. A
// frame over the cap drops that connection instead (for good: ZeroMQ does not reconnect after a
// protocol error): at start-up the start timeout ends the run; during a cell the connection
// monitor sees the link stay down (kernel_alive). 1 GiB leaves room for real
// outputs: decode_message refuses dict frames over 512 MiB anyway, and buffers and the largest
// outputs seen (images, 100 MB+ HTML) are far below it.
constexpr std::int64_t max_frame_bytes = std::int64_t{1} << 30;

// The client's half of CurveZMQ: its own key pair, and the server's public key, which
// authenticates the kernel (a peer without the matching secret key fails the handshake).
struct CurveClient {
  std::string server_key;
  std::pair<std::string, std::string> own;  // {public, secret}, Z85
};

void set_key(zmq::socket_t& socket, int option, const std::string& z85) {
  // A Z85 key is passed as 41 bytes: the 40 characters and their NUL.
  if (zmq_setsockopt(socket.handle(), option, z85.c_str(), z85.size() + 1) != 0) {
    throw zmq::error_t();
  }
}

void configure(zmq::socket_t& socket, const std::string& endpoint,
               const std::optional<CurveClient>& curve) {
  if (curve) {
    set_key(socket, ZMQ_CURVE_SERVERKEY, curve->server_key);
    set_key(socket, ZMQ_CURVE_PUBLICKEY, curve->own.first);
    set_key(socket, ZMQ_CURVE_SECRETKEY, curve->own.second);
  }
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::maxmsgsize, max_frame_bytes);
  socket.set(zmq::sockopt::sndtimeo, send_timeout_ms);
  socket.set(zmq::sockopt::reconnect_ivl, reconnect_ms);
  socket.set(zmq::sockopt::reconnect_ivl_max, reconnect_max_ms);
  socket.connect(endpoint);
}

// Starts a monitor of `socket`'s connect and disconnect events and returns the socket that
// receives them. Called before the socket connects, so that no event is missed.
zmq::socket_t watch_connections(zmq::context_t& context, zmq::socket_t& socket,
                                const std::string& name) {
  const std::string endpoint = "inproc://nbexec-monitor-" + name;
  if (zmq_socket_monitor(socket.handle(), endpoint.c_str(),
                         ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) != 0) {
    throw zmq::error_t();
  }
  zmq::socket_t events(context, zmq::socket_type::pair);
  events.set(zmq::sockopt::linger, 0);
  events.connect(endpoint);
  return events;
}

std::vector<std::string> to_strings(std::vector<zmq::message_t>& parts) {
  std::vector<std::string> frames;
  frames.reserve(parts.size());
  for (auto& part : parts) frames.push_back(part.to_string());
  return frames;
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
    // A SUB socket drops messages beyond its high-water mark; ours has none: ZeroMQ's I/O
    // thread keeps moving what the kernel publishes into the socket's queue while the caller
    // is busy elsewhere (saving, logging), so nothing is lost and the kernel never waits. The
    // queue holds only what is about to become outputs anyway.
    iopub_.set(zmq::sockopt::rcvhwm, 0);
    iopub_.set(zmq::sockopt::subscribe, "");
    // A missed heartbeat must not wedge the REQ socket: allow a new ping before the pong.
    heartbeat_.set(zmq::sockopt::req_relaxed, 1);
    heartbeat_.set(zmq::sockopt::req_correlate, 1);
    links_[0] = Link{Channel::shell, watch_connections(context_, shell_, "shell"), {}};
    links_[1] = Link{Channel::iopub, watch_connections(context_, iopub_, "iopub"), {}};
    // Every channel, the heartbeat included, is encrypted when the kernel has a key pair; one
    // ephemeral client key pair serves the five sockets of this connection.
    std::optional<CurveClient> curve;
    if (info.curve()) curve = CurveClient{info.curve_publickey, curve_keypair()};
    configure(shell_, info.endpoint(Channel::shell), curve);
    configure(iopub_, info.endpoint(Channel::iopub), curve);
    configure(control_, info.endpoint(Channel::control), curve);
    configure(stdin_, info.endpoint(Channel::stdin_channel), curve);
    configure(heartbeat_, info.endpoint(Channel::heartbeat), curve);
    if (curve) std::fill(curve->own.second.begin(), curve->own.second.end(), '\0');
    encrypted_ = curve.has_value();
  } catch (const zmq::error_t& e) {
    throw KernelError(std::string("cannot connect to the kernel's ZeroMQ sockets: ") + e.what());
  }
}

ZmqConnection::~ZmqConnection() {
  stopping_.store(true);
  hb_wait_.notify_all();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  {
    std::lock_guard lock(link_mutex_);
    for (auto& link : links_) link.events.close();
  }
  {
    std::lock_guard lock(mutex_);
    for (auto* socket : {&shell_, &iopub_, &control_, &stdin_}) socket->close();
  }
  {
    std::lock_guard lock(hb_mutex_);
    heartbeat_.close();
  }
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

void ZmqConnection::count_drop(const std::string& reason, bool replayed) {
  // verify_mutex_ is held by the caller.
  ++(replayed ? stats_.dropped_replayed : stats_.dropped_invalid);
  stats_.last_drop_reason = reason;
  auto it = stats_.drop_reasons.find(reason);
  if (it != stats_.drop_reasons.end()) {
    ++it->second;
  } else if (stats_.drop_reasons.size() < max_drop_reasons) {
    stats_.drop_reasons.emplace(reason, 1);
  }
}

std::optional<protocol::Incoming> ZmqConnection::verify(const std::vector<std::string>& frames,
                                                        Channel channel) {
  // The replay history and counters are read by stats() from other threads.
  std::lock_guard lock(verify_mutex_);
  try {
    protocol::Message message = protocol::decode_message(frames, signer_, replay_guard_);
    ++stats_.received;
    return protocol::Incoming{channel, std::move(message)};
  } catch (const protocol::ReplayError& e) {
    count_drop(e.what(), true);
    return std::nullopt;
  } catch (const ProtocolError& e) {
    count_drop(e.what(), false);
    return std::nullopt;
  }
}

std::optional<protocol::Incoming> ZmqConnection::take_next() {
  // Round-robin, so a flood on one channel cannot starve the others (the shell reply above
  // all). A message that fails verification is counted and skipped; the next one is tried.
  std::array<std::pair<zmq::socket_t*, Channel>, 3> sources = {{
      {&shell_, Channel::shell},
      {&iopub_, Channel::iopub},
      {&control_, Channel::control},
  }};
  for (std::size_t k = 0; k < sources.size(); ++k) {
    const std::size_t i = (next_ + k) % sources.size();
    if (!readable_[i]) continue;
    std::vector<zmq::message_t> parts;
    // Bounded, so a stream of forged messages cannot hold mutex_ (and the senders) forever.
    for (int tries = 0; tries < max_drops_per_take; ++tries) {
      if (!zmq::recv_multipart(*sources[i].first, std::back_inserter(parts),
                               zmq::recv_flags::dontwait)) {
        readable_[i] = false;
        break;
      }
      if (auto incoming = verify(to_strings(parts), sources[i].second)) {
        next_ = (i + 1) % sources.size();
        return incoming;
      }
      parts.clear();
    }
  }
  return std::nullopt;
}

void ZmqConnection::poll_readable(milliseconds timeout) {
  std::array<zmq::pollitem_t, 3> items = {{
      {shell_.handle(), 0, ZMQ_POLLIN, 0},
      {iopub_.handle(), 0, ZMQ_POLLIN, 0},
      {control_.handle(), 0, ZMQ_POLLIN, 0},
  }};
  try {
    zmq::poll(items.data(), items.size(), timeout);
  } catch (const zmq::error_t& e) {
    // A signal for the embedding program; its handler decides what to do next.
    if (e.num() != EINTR) throw KernelError(std::string("ZeroMQ poll failed: ") + e.what());
  }
  for (std::size_t i = 0; i < items.size(); ++i)
    readable_[i] = readable_[i] || (items[i].revents & ZMQ_POLLIN) != 0;
}

std::optional<protocol::Incoming> ZmqConnection::receive(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      // What is already there is taken without a poll: during a cell the messages come in
      // bursts (busy, execute_input, outputs, reply, idle).
      if (auto incoming = take_next()) return incoming;
      // Rounded up, so that a wait never ends before its deadline; a wait already over still
      // looks once at every socket, since take_next skipped those not marked readable.
      const auto remaining =
          std::max(std::chrono::ceil<milliseconds>(deadline - Clock::now()), milliseconds(0));
      poll_readable(std::min(remaining, receive_slice));
      if (auto incoming = take_next()) return incoming;
    }
    if (Clock::now() >= deadline) return std::nullopt;
  }
}

bool ZmqConnection::kernel_alive() {
  if (heartbeat_lost_.load()) return false;
  if (alive_ && !alive_()) return false;
  return !find_dropped_link();
}

std::optional<Channel> ZmqConnection::find_dropped_link() {
  std::lock_guard lock(link_mutex_);
  if (dropped_) return dropped_;
  const auto now = Clock::now();
  for (auto& link : links_) {
    if (!link.events) continue;
    // An event is two frames: 2 bytes of event number and 4 of value, then the endpoint.
    std::vector<zmq::message_t> parts;
    try {
      while (
          zmq::recv_multipart(link.events, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
        std::uint16_t event = 0;
        if (!parts.empty() && parts[0].size() >= sizeof event) {
          std::memcpy(&event, parts[0].data(), sizeof event);
          if (event == ZMQ_EVENT_DISCONNECTED && !link.down_since) link.down_since = now;
          if (event == ZMQ_EVENT_CONNECTED) link.down_since.reset();
        }
        parts.clear();
      }
    } catch (const zmq::error_t&) {
      continue;  // a monitor that fails only stops watching
    }
    if (link.down_since && now - *link.down_since >= link_grace) {
      dropped_ = link.channel;
      return dropped_;
    }
  }
  return std::nullopt;
}

std::optional<Channel> ZmqConnection::dropped_channel() const {
  std::lock_guard lock(link_mutex_);
  return dropped_;
}

bool ZmqConnection::heartbeat(milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string ping = protocol::new_msg_id();
  std::lock_guard lock(hb_mutex_);
  try {
    if (!heartbeat_.send(zmq::buffer(ping), zmq::send_flags::dontwait)) return false;
    while (true) {
      zmq::message_t pong;
      while (heartbeat_.recv(pong, zmq::recv_flags::dontwait)) {
        if (pong.to_string_view() == ping) return true;
      }
      auto remaining = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (remaining <= milliseconds(0)) return false;
      zmq::pollitem_t item{heartbeat_.handle(), 0, ZMQ_POLLIN, 0};
      try {
        zmq::poll(&item, 1, std::min(remaining, receive_slice));
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) return false;
      }
      if (stopping_.load()) return false;
    }
  } catch (const zmq::error_t&) {
    return false;
  }
}

void ZmqConnection::start_heartbeat_monitor(milliseconds interval, milliseconds limit) {
  if (heartbeat_thread_.joinable() || interval <= milliseconds(0)) return;
  heartbeat_thread_ = std::thread([this, interval, limit] { heartbeat_loop(interval, limit); });
}

void ZmqConnection::heartbeat_loop(milliseconds interval, milliseconds limit) {
  std::optional<Clock::time_point> last_echo;
  while (!stopping_.load()) {
    const auto sent = Clock::now();
    if (heartbeat(interval)) {
      last_echo = Clock::now();
    } else if (last_echo && Clock::now() - *last_echo >= limit) {
      heartbeat_lost_.store(true);
      return;
    }
    std::unique_lock lock(hb_wait_mutex_);
    hb_wait_.wait_until(lock, sent + interval, [this] { return stopping_.load(); });
  }
}

ConnectionStats ZmqConnection::stats() const {
  std::lock_guard lock(verify_mutex_);
  return stats_;
}

}  // namespace nbexec::kernel::detail
