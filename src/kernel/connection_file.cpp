#include "kernel/connection_file.hpp"

#include <nbexec/error.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string_view>
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

bool curve_available() {
  return zmq_has("curve") != 0;
}

void require_curve() {
  if (!curve_available()) {
    throw KernelError(
        "transport encryption needs CurveZMQ, but this libzmq was built without it "
        "(zmq_has(\"curve\") is false; install a libzmq built with libsodium, as Debian's "
        "libzmq5 is)");
  }
}

std::pair<std::string, std::string> curve_keypair() {
  require_curve();
  char public_key[41] = {};
  char secret_key[41] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    throw KernelError(std::string("cannot make a CurveZMQ key pair: ") + zmq_strerror(zmq_errno()));
  }
  std::pair<std::string, std::string> pair{public_key, secret_key};
  std::memset(secret_key, 0, sizeof secret_key);
  return pair;
}

namespace {

// mkdir(2) with 0700 of a new random name in `parent`, then the checks; empty on EEXIST.
fs::path make_private(const fs::path& parent) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path folder = parent / ("nbexec-" + protocol::generate_key().substr(0, 16));
    if (::mkdir(folder.c_str(), 0700) != 0) {
      if (errno == EEXIST) continue;
      throw KernelError("cannot create a private folder for the kernel in " + parent.string() +
                        ": " + errno_text(errno));
    }
    struct stat info {};
    // The umask may have narrowed 0700; it cannot have widened it.
    if (::lstat(folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode) ||
        info.st_uid != ::geteuid() ||
        ((info.st_mode & 0777) != 0700 && ::chmod(folder.c_str(), 0700) != 0)) {
      ::rmdir(folder.c_str());
      throw KernelError("the kernel's private folder " + folder.string() +
                        " is not a directory of this user with mode 0700");
    }
    return folder;
  }
  throw KernelError("cannot create a unique private folder for the kernel in " + parent.string());
}

}  // namespace

fs::path create_private_folder(const fs::path& dir, bool sockets) {
  // "<dir>/nbexec-<16>/ipc-N"
  constexpr std::size_t added = 1 + 23 + 6;
  if (!sockets || dir.string().size() + added <= max_socket_path) return make_private(dir);
  const char* tmp = std::getenv("TMPDIR");
  fs::path fallback = (tmp != nullptr && *tmp == '/') ? fs::path(tmp) : fs::path("/tmp");
  if (fallback.string().size() + added > max_socket_path) fallback = "/tmp";
  return make_private(fallback);
}

ConnectionFile create_connection_file(const fs::path& dir, const std::string& transport,
                                      const std::string& kernel_name, bool curve) {
  if (transport != "tcp" && transport != "ipc") {
    throw KernelError("unknown kernel transport '" + transport + "' (expected tcp or ipc)");
  }
  std::pair<std::string, std::string> keys;
  if (curve) keys = curve_keypair();
  ConnectionFile file;
  file.folder = create_private_folder(dir, transport == "ipc");
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    file.path = file.folder / ("kernel-nbexec-" + protocol::generate_key().substr(0, 16) + ".json");
    fd = ::open(file.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 && errno != EEXIST) {
      ::rmdir(file.folder.c_str());
      throw KernelError("cannot create connection file " + file.path.string() + ": " +
                        errno_text(errno));
    }
  }
  if (fd < 0) {
    ::rmdir(file.folder.c_str());
    throw KernelError("cannot create a unique connection file in " + file.folder.string());
  }
  Fd guard(fd);

  protocol::ConnectionInfo& info = file.info;
  info.transport = transport;
  info.key = protocol::generate_key();
  info.signature_scheme = "hmac-sha256";
  info.kernel_name = kernel_name;
  info.curve_publickey = keys.first;
  info.curve_secretkey = keys.second;
  std::vector<int> ports;
  try {
    if (transport == "tcp") {
      info.ip = "127.0.0.1";
      ports = free_tcp_ports(5);
    } else {
      // The sockets are "<folder>/ipc-N": in the kernel's own folder nothing else exists,
      // and the short name keeps the path within a Unix socket's limit.
      info.ip = (file.folder / "ipc").string();
      ports = {1, 2, 3, 4, 5};
    }
    info.shell_port = ports[0];
    info.iopub_port = ports[1];
    info.stdin_port = ports[2];
    info.control_port = ports[3];
    info.hb_port = ports[4];
    write_all(fd, protocol::to_json(info).dump(2) + "\n", file.path);
  } catch (...) {
    ::unlink(file.path.c_str());
    ::rmdir(file.folder.c_str());
    throw;
  }
  return file;
}

void remove_connection_file(const ConnectionFile& file) noexcept {
  if (!file.path.empty()) ::unlink(file.path.c_str());
  if (file.folder.empty()) return;
  // The folder is this kernel's alone (0700, made by us): whatever is in it is the kernel's
  // sockets, under whichever names the kernel chose. Entries only, never recursing.
  if (DIR* listing = ::opendir(file.folder.c_str())) {
    while (const dirent* entry = ::readdir(listing)) {
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      ::unlinkat(::dirfd(listing), entry->d_name, 0);
    }
    ::closedir(listing);
  }
  ::rmdir(file.folder.c_str());
}

}  // namespace nbexec::kernel::detail
