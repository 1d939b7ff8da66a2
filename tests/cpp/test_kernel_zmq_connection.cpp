// ZmqConnection against an in-test fake kernel: bound ROUTER/PUB sockets speaking the wire
// protocol, so signing, verification, drops and routing are checked without a Python kernel.
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>

#include "kernel/connection_file.hpp"
#include "kernel/zmq_connection.hpp"
#include "protocol/wire.hpp"

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

using namespace nbexec;
using namespace nbexec::kernel;
using namespace std::chrono_literals;
using protocol::Channel;

namespace {

std::vector<std::string> recv_frames(zmq::socket_t& socket, std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, timeout) <= 0) return {};
  std::vector<zmq::message_t> parts;
  if (!zmq::recv_multipart(socket, std::back_inserter(parts))) return {};
  std::vector<std::string> frames;
  for (auto& part : parts) frames.push_back(part.to_string());
  return frames;
}

void send_frames(zmq::socket_t& socket, const std::vector<std::string>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    socket.send(zmq::buffer(frames[i]),
                i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

struct FakeKernel {
  protocol::ConnectionInfo info;
  zmq::context_t context;
  zmq::socket_t shell{context, zmq::socket_type::router};
  zmq::socket_t iopub{context, zmq::socket_type::pub};
  zmq::socket_t control{context, zmq::socket_type::router};
  zmq::socket_t stdin_socket{context, zmq::socket_type::router};
  zmq::socket_t hb{context, zmq::socket_type::rep};

  FakeKernel() {
    auto ports = detail::free_tcp_ports(5);
    info.shell_port = ports[0];
    info.iopub_port = ports[1];
    info.stdin_port = ports[2];
    info.control_port = ports[3];
    info.hb_port = ports[4];
    info.key = protocol::generate_key();
    for (auto* socket : {&shell, &iopub, &control, &stdin_socket, &hb}) {
      socket->set(zmq::sockopt::linger, 0);
    }
    // Unlimited on the kernel side (set before bind to take effect), so a flood test sees
    // only nbexec's losses.
    iopub.set(zmq::sockopt::sndhwm, 0);
    shell.bind(info.endpoint(Channel::shell));
    iopub.bind(info.endpoint(Channel::iopub));
    control.bind(info.endpoint(Channel::control));
    stdin_socket.bind(info.endpoint(Channel::stdin_channel));
    hb.bind(info.endpoint(Channel::heartbeat));
  }

  std::vector<std::string> reply_frames(const std::string& identity, const std::string& msg_type,
                                        const std::string& parent_id,
                                        const protocol::Signer& signer) {
    protocol::Message reply =
        protocol::make_message(msg_type, {{"status", "ok"}}, "kernel-session");
    reply.parent_header = {{"msg_id", parent_id}};
    reply.identities = {identity};
    return protocol::encode_message(reply, signer);
  }
};

}  // namespace

TEST_CASE("ZmqConnection signs requests and routes them with the session identity", "[kernel]") {
  FakeKernel kernel;
  detail::ZmqConnection connection(kernel.info);
  protocol::Signer signer(kernel.info.signature_scheme, kernel.info.key);

  std::string id = connection.send_request(Channel::shell, "kernel_info_request", {});
  auto frames = recv_frames(kernel.shell, 5s);
  REQUIRE(frames.size() >= 7);
  CHECK(frames[0] == connection.session_id());  // the DEALER's routing identity
  protocol::Message request = protocol::decode_message(frames, signer);  // verifies signature
  CHECK(request.msg_type() == "kernel_info_request");
  CHECK(request.msg_id() == id);
  CHECK(request.header.at("session") == connection.session_id());

  std::string control_id = connection.send_request(Channel::control, "interrupt_request", {});
  auto control_frames = recv_frames(kernel.control, 5s);
  REQUIRE_FALSE(control_frames.empty());
  CHECK(protocol::decode_message(control_frames, signer).msg_id() == control_id);

  CHECK_THROWS_AS(connection.send_request(Channel::iopub, "x", {}), KernelError);
  CHECK_THROWS_AS(connection.send_request(Channel::heartbeat, "x", {}), KernelError);
}

TEST_CASE("ZmqConnection hands out verified messages and drops the rest", "[kernel]") {
  FakeKernel kernel;
  detail::ZmqConnection connection(kernel.info);
  protocol::Signer signer(kernel.info.signature_scheme, kernel.info.key);
  protocol::Signer wrong_signer(kernel.info.signature_scheme, protocol::generate_key());
  const std::string identity = connection.session_id();
  // The ROUTER learns our identity from the first request.
  connection.send_request(Channel::shell, "kernel_info_request", {});
  REQUIRE_FALSE(recv_frames(kernel.shell, 5s).empty());

  SECTION("a good reply arrives on shell") {
    send_frames(kernel.shell, kernel.reply_frames(identity, "kernel_info_reply", "p1", signer));
    auto incoming = connection.receive(5s);
    REQUIRE(incoming);
    CHECK(incoming->channel == Channel::shell);
    CHECK(incoming->message.msg_type() == "kernel_info_reply");
    CHECK(incoming->message.parent_msg_id() == "p1");
    CHECK(connection.stats().received == 1);
  }
  SECTION("a wrong signature is dropped and counted") {
    send_frames(kernel.shell,
                kernel.reply_frames(identity, "kernel_info_reply", "p1", wrong_signer));
    CHECK_FALSE(connection.receive(300ms).has_value());
    auto stats = connection.stats();
    CHECK(stats.dropped_invalid == 1);
    CHECK(stats.received == 0);
    CHECK_THAT(stats.last_drop_reason, Catch::Contains("invalid signature"));
  }
  SECTION("garbage frames are dropped and a later good message still arrives") {
    send_frames(kernel.shell, {identity, "not a jupyter message"});
    send_frames(kernel.shell, kernel.reply_frames(identity, "kernel_info_reply", "p2", signer));
    auto incoming = connection.receive(5s);
    REQUIRE(incoming);
    CHECK(incoming->message.parent_msg_id() == "p2");
    CHECK(connection.stats().dropped_invalid == 1);
    CHECK_THAT(connection.stats().last_drop_reason, Catch::Contains("delimiter"));
  }
  SECTION("a replayed message is dropped") {
    auto frames = kernel.reply_frames(identity, "kernel_info_reply", "p3", signer);
    send_frames(kernel.shell, frames);
    send_frames(kernel.shell, frames);
    REQUIRE(connection.receive(5s));
    CHECK_FALSE(connection.receive(300ms).has_value());
    CHECK(connection.stats().dropped_replayed == 1);
    CHECK(connection.stats().received == 1);
  }
  SECTION("a malformed message that quotes the word 'replayed' counts as invalid") {
    // Signed, so it reaches the parser, whose error repeats the header frame's text.
    auto frames = kernel.reply_frames(identity, "kernel_info_reply", "p4", signer);
    const auto at = static_cast<std::size_t>(std::find(frames.begin(), frames.end(), "<IDS|MSG>") -
                                             frames.begin());
    frames[at + 2] = "\"replayed";
    frames[at + 1] = signer.sign({frames[at + 2], frames[at + 3], frames[at + 4], frames[at + 5]});
    send_frames(kernel.shell, frames);
    CHECK_FALSE(connection.receive(300ms).has_value());
    const auto stats = connection.stats();
    CHECK(stats.dropped_invalid == 1);
    CHECK(stats.dropped_replayed == 0);
    CHECK_THAT(stats.last_drop_reason, Catch::Contains("replayed"));
  }
  SECTION("iopub and control messages come with their channel") {
    // PUB drops messages until the subscription arrived: publish until one gets through.
    std::optional<protocol::Incoming> incoming;
    for (int i = 0; i < 100 && !incoming; ++i) {
      protocol::Message status =
          protocol::make_message("status", {{"execution_state", "idle"}}, "kernel-session");
      auto frames = protocol::encode_message(status, signer);
      frames.insert(frames.begin(), "kernel.fake.status");  // iopub topic
      send_frames(kernel.iopub, frames);
      incoming = connection.receive(50ms);
    }
    REQUIRE(incoming);
    CHECK(incoming->channel == Channel::iopub);
    CHECK(incoming->message.msg_type() == "status");

    connection.send_request(Channel::control, "interrupt_request", {});
    REQUIRE_FALSE(recv_frames(kernel.control, 5s).empty());
    send_frames(kernel.control, kernel.reply_frames(identity, "interrupt_reply", "c1", signer));
    std::optional<protocol::Incoming> control_reply;
    for (int i = 0; i < 100 && !(control_reply && control_reply->channel == Channel::control);
         ++i) {
      control_reply = connection.receive(50ms);  // may still see queued status messages first
    }
    REQUIRE(control_reply);
    CHECK(control_reply->channel == Channel::control);
    CHECK(control_reply->message.msg_type() == "interrupt_reply");
  }
}

TEST_CASE("ZmqConnection reports liveness and times out quietly", "[kernel]") {
  FakeKernel kernel;
  bool alive = true;
  detail::ZmqConnection connection(kernel.info, [&alive] { return alive; });
  CHECK(connection.kernel_alive());
  alive = false;
  CHECK_FALSE(connection.kernel_alive());

  auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(connection.receive(100ms).has_value());
  auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited >= 100ms);
  CHECK(waited < 1s);
  CHECK_FALSE(connection.receive(0ms).has_value());

  // A heartbeat nobody answers fails within its timeout; one that is echoed succeeds (the
  // stale first ping echoed late is told apart by its content).
  CHECK_FALSE(connection.heartbeat(100ms));
  std::atomic<bool> stop{false};
  std::thread echo([&kernel, &stop] {
    while (!stop) {
      auto frames = recv_frames(kernel.hb, 20ms);
      if (!frames.empty()) send_frames(kernel.hb, frames);
    }
  });
  CHECK(connection.heartbeat(2s));
  stop = true;
  echo.join();
}

TEST_CASE("ZmqConnection queues an iopub flood while the caller is busy without losing a message",
          "[kernel]") {
  FakeKernel kernel;
  detail::ZmqConnection connection(kernel.info);
  protocol::Signer signer(kernel.info.signature_scheme, kernel.info.key);

  auto publish = [&](int i) {
    protocol::Message stream = protocol::make_message(
        "stream", {{"name", "stdout"}, {"text", std::to_string(i)}}, "kernel-session");
    auto frames = protocol::encode_message(stream, signer);
    frames.insert(frames.begin(), "kernel.fake.stream");
    send_frames(kernel.iopub, frames);
  };
  // Wait for the subscription to take effect (PUB drops until then).
  std::optional<protocol::Incoming> first;
  for (int i = 0; i < 200 && !first; ++i) {
    publish(-1);
    first = connection.receive(20ms);
  }
  REQUIRE(first);
  while (connection.receive(50ms)) {
  }

  constexpr int n = 20000;  // far beyond ZeroMQ's default high-water mark of 1000
  for (int i = 0; i < n; ++i) publish(i);
  // The caller is busy elsewhere while the kernel floods.
  std::this_thread::sleep_for(300ms);
  int expected = 0;
  while (expected < n) {
    auto incoming = connection.receive(2s);
    REQUIRE(incoming);
    CHECK(incoming->channel == Channel::iopub);
    REQUIRE(incoming->message.content.at("text") == std::to_string(expected));
    ++expected;
  }
  CHECK(connection.stats().dropped_invalid == 0);
}

TEST_CASE("the heartbeat monitor declares a kernel dead once it stops echoing", "[kernel]") {
  FakeKernel kernel;
  detail::ZmqConnection connection(kernel.info);
  std::atomic<bool> echoing{true};
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    while (!stop) {
      auto frames = recv_frames(kernel.hb, 20ms);
      if (!frames.empty() && echoing) send_frames(kernel.hb, frames);
    }
  });
  connection.start_heartbeat_monitor(100ms, 500ms);
  std::this_thread::sleep_for(400ms);
  CHECK(connection.kernel_alive());
  echoing = false;
  const auto silent_since = std::chrono::steady_clock::now();
  while (connection.kernel_alive() && std::chrono::steady_clock::now() - silent_since < 5s) {
    std::this_thread::sleep_for(20ms);
  }
  const auto detected = std::chrono::steady_clock::now() - silent_since;
  CHECK_FALSE(connection.kernel_alive());
  CHECK(connection.heartbeat_lost());
  CHECK(detected >= 400ms);
  CHECK(detected < 2s);
  stop = true;
  echo.join();
}

TEST_CASE("a kernel that never echoed is not declared dead by the heartbeat", "[kernel]") {
  FakeKernel kernel;
  detail::ZmqConnection connection(kernel.info);
  connection.start_heartbeat_monitor(50ms, 200ms);
  std::this_thread::sleep_for(500ms);
  CHECK(connection.kernel_alive());
}

TEST_CASE("describe_rejections counts drops per reason", "[kernel]") {
  ConnectionStats stats;
  CHECK(describe_rejections(stats).empty());
  stats.dropped_invalid = 2;
  stats.dropped_replayed = 1;
  stats.drop_reasons = {{"bad signature", 2}, {"replayed", 1}};
  CHECK(describe_rejections(stats) ==
        "3 kernel messages rejected (2 invalid, 1 replayed): 2 x bad signature; 1 x replayed");
}
