#include "kernel/connection_file.hpp"

#include <nbexec/error.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <random>
#include <system_error>
#include <utility>

#include "kernel/env_util.hpp"

namespace nbexec::kernel::detail {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int error) {
  return std::strerror(error);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void write_all(int fd, const std::string& text, const fs::path& path) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      throw KernelError("cannot write connection file " + path.string() + ": " + errno_text(errno));
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

fs::path ensure_runtime_dir() {
  fs::path dir = jupyter_runtime_dir();
  std::error_code ec;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw KernelError("cannot create the Jupyter runtime directory " + dir.string() + ": " +
                      errno_text(errno) + " (set JUPYTER_RUNTIME_DIR to a writable folder)");
  }
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    throw KernelError("the Jupyter runtime directory " + dir.string() +
                      " is not a directory (set JUPYTER_RUNTIME_DIR to a writable folder)");
  }
  // Connection files hold the signing key: keep the folder private, as jupyter does.
  if ((info.st_mode & 0077) != 0 && info.st_uid == ::geteuid()) ::chmod(dir.c_str(), 0700);
  return dir;
}

std::optional<std::pair<int, int>> ephemeral_port_range() {
  std::ifstream file("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  int high = 0;
  if (!(file >> low >> high) || low < 1 || high > 65535 || low > high) return std::nullopt;
  return std::pair{low, high};
}

std::pair<int, int> kernel_port_range() {
  constexpr int lowest = 10000;   // below: well-known and registered services
  constexpr int min_size = 1000;  // enough ports to find five free ones quickly
  const auto ephemeral = ephemeral_port_range();
  if (!ephemeral) return {0, 0};
  if (ephemeral->first - 1 - lowest >= min_size) return {lowest, ephemeral->first - 1};
  if (65535 - ephemeral->second >= min_size) return {ephemeral->second + 1, 65535};
  return {0, 0};
}

namespace {

// Binds `fd` to 127.0.0.1:`port` (0: any free port) and returns the port bound, or 0.
int bind_loopback(int fd, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return 0;
  }
  return ntohs(address.sin_port);
}

}  // namespace

std::vector<int> free_tcp_ports(std::size_t count) {
  const auto [low, high] = kernel_port_range();
  std::mt19937 random{std::random_device{}()};
  std::uniform_int_distribution<int> pick(low, high);
  // All sockets stay open until every port is read, so the ports are distinct.
  std::vector<Fd> sockets;
  std::vector<int> ports;
  for (std::size_t i = 0; i < count; ++i) {
    sockets.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int fd = sockets.back().get();
    if (fd < 0) throw KernelError("cannot pick a port for the kernel: " + errno_text(errno));
    linger no_linger{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &no_linger, sizeof no_linger);
    int port = 0;
    // A port in use (or in TIME_WAIT: no SO_REUSEADDR here) leaves the socket unbound; try
    // another. After that many misses the range is crowded: let the system choose.
    for (int attempt = 0; low != 0 && attempt < 64 && port == 0; ++attempt) {
      port = bind_loopback(fd, pick(random));
    }
    if (port == 0) port = bind_loopback(fd, 0);
    if (port == 0) {
      throw KernelError("cannot pick a port for the kernel on 127.0.0.1: " + errno_text(errno));
    }
    ports.push_back(port);
  }
  return ports;
}

ConnectionFile create_connection_file(const fs::path& dir, const std::string& transport,
                                      const std::string& kernel_name) {
  if (transport != "tcp" && transport != "ipc") {
    throw KernelError("unknown kernel transport '" + transport + "' (expected tcp or ipc)");
  }
  ConnectionFile file;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    file.path = dir / ("kernel-nbexec-" + protocol::generate_key().substr(0, 16) + ".json");
    fd = ::open(file.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno != EEXIST) {
      throw KernelError("cannot create connection file " + file.path.string() + ": " +
                        errno_text(errno));
    }
  }
  if (fd < 0) throw KernelError("cannot create a unique connection file in " + dir.string());
  Fd guard(fd);

  protocol::ConnectionInfo& info = file.info;
  info.transport = transport;
  info.key = protocol::generate_key();
  info.signature_scheme = "hmac-sha256";
  info.kernel_name = kernel_name;
  std::vector<int> ports;
  try {
    if (transport == "tcp") {
      info.ip = "127.0.0.1";
      ports = free_tcp_ports(5);
    } else {
      // As jupyter_client: the ipc "ip" is the connection file's path minus ".json" plus
      // "-ipc"; N counts up past socket files that already exist.
      info.ip = (file.path.parent_path() / file.path.stem()).string() + "-ipc";
      std::error_code ec;
      for (int n = 1; ports.size() < 5; ++n) {
        if (!fs::exists(info.ip + "-" + std::to_string(n), ec)) ports.push_back(n);
      }
    }
    info.shell_port = ports[0];
    info.iopub_port = ports[1];
    info.stdin_port = ports[2];
    info.control_port = ports[3];
    info.hb_port = ports[4];
    write_all(fd, protocol::to_json(info).dump(2) + "\n", file.path);
  } catch (...) {
    ::unlink(file.path.c_str());
    throw;
  }
  return file;
}

void remove_connection_file(const ConnectionFile& file) noexcept {
  if (file.path.empty()) return;
  ::unlink(file.path.c_str());
  if (file.info.transport == "ipc") {
    for (int port : {file.info.shell_port, file.info.iopub_port, file.info.stdin_port,
                     file.info.control_port, file.info.hb_port}) {
      ::unlink((file.info.ip + "-" + std::to_string(port)).c_str());
    }
  }
}

}  // namespace nbexec::kernel::detail
