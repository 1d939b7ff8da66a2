// A raw TCP peer on the kernel's shell and iopub ports that speaks the ZMTP 3.0 greeting and
// NULL handshake itself, then sends a frame header claiming 2^31 or 2^62 bytes. ZmqConnection
// must drop such a connection at once (ZMQ_MAXMSGSIZE, 1 GiB) rather than allocate what the
// header claims and wait for the peer to fill it.
#include <catch2/catch.hpp>

#include "kernel/connection_file.hpp"
#include "kernel/zmq_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

using namespace nbexec;
using namespace std::chrono_literals;

namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

int listen_on(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  return fd;
}

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd item{fd, POLLIN, 0};
  return ::poll(&item, 1, static_cast<int>(timeout.count())) == 1;
}

// Reads exactly n bytes, or fewer when the peer closes or stays silent for 2 s.
std::string read_exactly(int fd, std::size_t n) {
  std::string out;
  char buffer[256];
  while (out.size() < n && wait_readable(fd, 2000ms)) {
    const ssize_t got = ::recv(fd, buffer, std::min(sizeof buffer, n - out.size()), 0);
    if (got <= 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
  }
  return out;
}

void send_all(int fd, const std::string& bytes) {
  REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(bytes.size()));
}

// ZMTP 3.0 greeting: signature, version 3.0, mechanism NULL, as-server 0, filler.
std::string greeting() {
  std::string g(64, '\0');
  g[0] = '\xFF';
  g[9] = '\x7F';
  g[10] = 3;
  g[11] = 0;
  g.replace(12, 4, "NULL");
  return g;
}

// A READY command naming our socket type.
std::string ready(const std::string& socket_type) {
  std::string body = std::string(1, 5) + "READY" + std::string(1, 11) + "Socket-Type";
  const auto size = static_cast<std::uint32_t>(socket_type.size());
  body += std::string{static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                      static_cast<char>(size >> 8), static_cast<char>(size)};
  body += socket_type;
  return std::string{'\x04', static_cast<char>(body.size())} + body;
}

// Reads one frame or command of the peer (its READY), short or long form.
bool read_frame(int fd) {
  const std::string flags = read_exactly(fd, 1);
  if (flags.size() != 1) return false;
  std::uint64_t size = 0;
  if (flags[0] & 0x02) {
    const std::string bytes = read_exactly(fd, 8);
    if (bytes.size() != 8) return false;
    for (char c : bytes) size = (size << 8) | static_cast<unsigned char>(c);
  } else {
    const std::string byte = read_exactly(fd, 1);
    if (byte.size() != 1) return false;
    size = static_cast<unsigned char>(byte[0]);
  }
  return read_exactly(fd, size).size() == size;
}

// A final message frame, long form, claiming `size` bytes; no body follows.
std::string long_frame_header(std::uint64_t size) {
  std::string header(1, '\x02');
  for (int shift = 56; shift >= 0; shift -= 8) header += static_cast<char>(size >> shift);
  return header;
}

// Accepts ZmqConnection's connection on `listener`, completes the handshake as `socket_type`,
// sends a header claiming `claimed` bytes plus a few bytes of body, and reports whether the
// client then closed the connection within `within`.
bool dropped_after_claim(int listener, const std::string& socket_type, std::uint64_t claimed,
                         std::chrono::milliseconds within) {
  REQUIRE(wait_readable(listener, 5000ms));
  Fd peer(::accept(listener, nullptr, nullptr));
  REQUIRE(peer.get() >= 0);
  send_all(peer.get(), greeting());
  REQUIRE(read_exactly(peer.get(), 64).size() == 64);
  send_all(peer.get(), ready(socket_type));
  REQUIRE(read_frame(peer.get()));
  send_all(peer.get(), long_frame_header(claimed) + std::string(4096, '\0'));
  // Whatever the client sends (a subscription, a request) is read and ignored; EOF or a reset
  // is the drop.
  const auto deadline = std::chrono::steady_clock::now() + within;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    if (!wait_readable(peer.get(), 50ms)) continue;
    if (::recv(peer.get(), buffer, sizeof buffer, 0) <= 0) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a frame header claiming 2^31 or 2^62 bytes drops the connection", "[kernel][hostile]") {
  const auto ports = kernel::detail::free_tcp_ports(5);
  protocol::ConnectionInfo info;
  info.shell_port = ports[0];
  info.iopub_port = ports[1];
  info.stdin_port = ports[2];
  info.control_port = ports[3];
  info.hb_port = ports[4];
  info.key = protocol::generate_key();
  Fd shell(listen_on(info.shell_port));
  Fd iopub(listen_on(info.iopub_port));
  Fd control(listen_on(info.control_port));

  kernel::detail::ZmqConnection connection(info);
  // The shell DEALER sends nothing until asked; a request makes the peer's read side busy too.
  connection.send_request(protocol::Channel::shell, "kernel_info_request", {});
  // Without the cap ZeroMQ would allocate 2 GiB (lazily) and wait for the body; 2^62 fails
  // the allocation and is dropped either way. ZeroMQ does not reconnect after a protocol
  // error, so each socket is tried once.
  CHECK(dropped_after_claim(shell.get(), "ROUTER", std::uint64_t{1} << 31, 2000ms));
  CHECK(dropped_after_claim(iopub.get(), "PUB", std::uint64_t{1} << 31, 2000ms));
  CHECK(dropped_after_claim(control.get(), "ROUTER", std::uint64_t{1} << 62, 2000ms));
  // Nothing of it became a message.
  CHECK_FALSE(connection.receive(100ms).has_value());
  CHECK(connection.stats().received == 0);

  // The connection monitor: the kernel (no process check here, so "alive") counts as lost
  // once shell or iopub has stayed down for link_grace, not before.
  const auto seen = std::chrono::steady_clock::now();
  CHECK(connection.kernel_alive());
  CHECK_FALSE(connection.dropped_channel().has_value());
  while (connection.kernel_alive() && std::chrono::steady_clock::now() - seen < 5s) {
    std::this_thread::sleep_for(50ms);
  }
  CHECK(std::chrono::steady_clock::now() - seen >=
        kernel::detail::ZmqConnection::link_grace - 100ms);
  REQUIRE(connection.dropped_channel().has_value());
  CHECK((*connection.dropped_channel() == protocol::Channel::shell ||
         *connection.dropped_channel() == protocol::Channel::iopub));
  CHECK_FALSE(connection.kernel_alive());
}
