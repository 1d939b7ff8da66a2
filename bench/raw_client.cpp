// The floor of benchmark cases 2, 3 and 8 (docs/benchmarks.md): the least a client can do to
// run a notebook's code cells on a kernel. It launches the kernel, proves iopub with
// kernel_info_request, sends one execute_request per code cell and waits for its
// execute_reply and its status idle, then shuts the kernel down. No outputs are kept, no
// notebook is written, nothing is logged.
//
//   nbexec_bench_raw_client NOTEBOOK [--setup N] -- KERNEL_ARGV... ({connection_file} is replaced)
//
// Prints one JSON line on stdout: cells timed and the seconds spent starting the kernel
// (launch to ready), running the first N code cells untimed (setup_s, case 8's imports),
// running the other cells (cells_s) and shutting the kernel down.

#include <nbexec/protocol/message.hpp>

#include "protocol/connection_info.hpp"
#include "protocol/signer.hpp"
#include "protocol/wire.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zmq_addon.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace {

using nbexec::protocol::Channel;
using nbexec::protocol::json;
using nbexec::protocol::Message;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<std::string> code_cells(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  json nb = json::parse(in);
  std::vector<std::string> sources;
  for (const auto& cell : nb.at("cells")) {
    if (cell.value("cell_type", "") != "code") continue;
    std::string source;
    const auto& src = cell.at("source");
    if (src.is_string()) {
      source = src.get<std::string>();
    } else {
      for (const auto& line : src) source += line.get<std::string>();
    }
    if (source.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    sources.push_back(std::move(source));
  }
  return sources;
}

// Five distinct free TCP ports on 127.0.0.1 (held open together so they differ).
std::vector<int> free_ports(int count) {
  std::vector<int> fds, ports;
  for (int i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot find a free port");
    }
    fds.push_back(fd);
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) ::close(fd);
  return ports;
}

class RawClient {
 public:
  RawClient(const nbexec::protocol::ConnectionInfo& info, pid_t pid)
      : signer_(info.signature_scheme, info.key),
        session_(nbexec::protocol::new_msg_id()),
        pid_(pid) {
    shell_ = zmq::socket_t(context_, zmq::socket_type::dealer);
    control_ = zmq::socket_t(context_, zmq::socket_type::dealer);
    iopub_ = zmq::socket_t(context_, zmq::socket_type::sub);
    stdin_ = zmq::socket_t(context_, zmq::socket_type::dealer);
    shell_.set(zmq::sockopt::routing_id, session_);
    control_.set(zmq::sockopt::routing_id, session_);
    stdin_.set(zmq::sockopt::routing_id, session_);
    iopub_.set(zmq::sockopt::rcvhwm, 0);
    iopub_.set(zmq::sockopt::subscribe, "");
    for (auto* socket : {&shell_, &control_, &iopub_, &stdin_}) {
      socket->set(zmq::sockopt::linger, 0);
    }
    shell_.connect(info.endpoint(Channel::shell));
    control_.connect(info.endpoint(Channel::control));
    iopub_.connect(info.endpoint(Channel::iopub));
    stdin_.connect(info.endpoint(Channel::stdin_channel));  // connected, as clients do; unused
  }

  std::string send(zmq::socket_t& socket, std::string_view msg_type, json content) {
    Message message = nbexec::protocol::make_message(msg_type, std::move(content), session_);
    auto frames = nbexec::protocol::encode_message(message, signer_);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      socket.send(zmq::buffer(frames[i]),
                  i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    return message.msg_id();
  }

  // The next verified message from shell, iopub or control, or nothing within `timeout`.
  // Throws when the kernel process has exited.
  std::optional<std::pair<Channel, Message>> receive(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
      for (auto [socket, channel] :
           {std::pair{&iopub_, Channel::iopub}, std::pair{&shell_, Channel::shell},
            std::pair{&control_, Channel::control}}) {
        std::vector<zmq::message_t> parts;
        if (zmq::recv_multipart(*socket, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
          std::vector<std::string> frames;
          for (auto& part : parts) frames.push_back(part.to_string());
          return std::pair{channel, nbexec::protocol::decode_message(frames, signer_)};
        }
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left <= 0ms) return std::nullopt;
      zmq::pollitem_t items[] = {{iopub_.handle(), 0, ZMQ_POLLIN, 0},
                                 {shell_.handle(), 0, ZMQ_POLLIN, 0},
                                 {control_.handle(), 0, ZMQ_POLLIN, 0}};
      if (zmq::poll(items, 3, std::min(left, std::chrono::milliseconds(200))) == 0) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          throw std::runtime_error("the kernel exited");
        }
      }
    }
  }

  // kernel_info_request until it is answered and something arrived on iopub (the
  // subscription is then known to be live). Late messages of the handshake are ignored by
  // execute(), which looks only at its own request's replies.
  void handshake() {
    send(shell_, "kernel_info_request", json::object());
    auto sent = Clock::now();
    bool replied = false, iopub = false;
    const auto deadline = Clock::now() + 60s;
    while (!(replied && iopub)) {
      if (Clock::now() > deadline) throw std::runtime_error("kernel did not start in 60 s");
      auto incoming = receive(50ms);
      if (incoming) {
        auto& [channel, message] = *incoming;
        if (channel == Channel::shell && message.msg_type() == "kernel_info_reply") replied = true;
        if (channel == Channel::iopub) iopub = true;
      } else if (replied && !iopub && Clock::now() - sent > 200ms) {
        send(shell_, "kernel_info_request", json::object());
        sent = Clock::now();
      }
    }
  }

  void execute(const std::string& code) {
    std::string id = send(shell_, "execute_request",
                          {{"code", code},
                           {"silent", false},
                           {"store_history", true},
                           {"user_expressions", json::object()},
                           {"allow_stdin", false},
                           {"stop_on_error", true}});
    bool replied = false, idle = false;
    while (!(replied && idle)) {
      auto incoming = receive(600s);
      if (!incoming) throw std::runtime_error("no answer to an execute_request in 600 s");
      auto& [channel, message] = *incoming;
      if (message.parent_msg_id() != id) continue;
      if (channel == Channel::shell && message.msg_type() == "execute_reply") {
        replied = true;
        if (message.content.value("status", "") != "ok") {
          throw std::runtime_error("a cell failed: " + message.content.dump());
        }
      }
      if (channel == Channel::iopub && message.msg_type() == "status" &&
          message.content.value("execution_state", "") == "idle") {
        idle = true;
      }
    }
  }

  // Asks the kernel to shut down and reaps it, as nbexec does: 2 s for the kernel to exit after
  // the request, then SIGTERM and 2 s more, then SIGKILL. Returns how it went.
  std::string shutdown() {
    std::string id = send(control_, "shutdown_request", {{"restart", false}});
    const auto deadline = Clock::now() + 2s;
    bool replied = false;
    try {
      while (!replied && Clock::now() < deadline) {
        auto incoming = receive(100ms);
        replied = incoming && incoming->first == Channel::control &&
                  incoming->second.parent_msg_id() == id;
      }
    } catch (const std::runtime_error&) {
      return "exited";  // reaped by receive()
    }
    if (wait_for_exit(deadline)) return "exited";
    ::kill(pid_, SIGTERM);
    if (wait_for_exit(Clock::now() + 2s)) {
      return replied ? "replied, then needed SIGTERM after 2 s" : "no reply; SIGTERM after 2 s";
    }
    kill();
    return "killed";
  }

  bool wait_for_exit(Clock::time_point deadline) {
    while (pid_ > 0) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return true;
      }
      if (Clock::now() >= deadline) return false;
      ::usleep(2000);
    }
    return true;
  }

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  zmq::context_t context_;
  zmq::socket_t shell_, control_, iopub_, stdin_;
  nbexec::protocol::Signer signer_;
  std::string session_;
  pid_t pid_;
};

}  // namespace

int main(int argc, char** argv) {
  // --setup N: the first N code cells run before the clock of the cells starts (case 8: the
  // import cell, done once on the one kernel); their time is reported as setup_s.
  std::size_t setup = 0;
  int dashes = 2;
  if (argc >= 4 && std::string(argv[2]) == "--setup") {
    setup = std::stoul(argv[3]);
    dashes = 4;
  }
  if (argc < dashes + 2 || std::string(argv[dashes]) != "--") {
    std::fprintf(stderr, "usage: %s NOTEBOOK [--setup N] -- KERNEL_ARGV... ({connection_file})\n",
                 argv[0]);
    return 2;
  }
  namespace fs = std::filesystem;
  const auto started = Clock::now();
  fs::path dir;
  int exit_code = 0;
  try {
    auto cells = code_cells(argv[1]);

    nbexec::protocol::ConnectionInfo info;
    auto ports = free_ports(5);
    info.shell_port = ports[0];
    info.iopub_port = ports[1];
    info.stdin_port = ports[2];
    info.control_port = ports[3];
    info.hb_port = ports[4];
    info.key = nbexec::protocol::generate_key();
    const char* runtime = std::getenv("JUPYTER_RUNTIME_DIR");
    std::string pattern = (fs::path(runtime ? runtime : "/tmp") / "raw-client-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = pattern;
    fs::path connection_file = dir / "kernel.json";
    std::ofstream(connection_file) << nbexec::protocol::to_json(info).dump();

    std::vector<std::string> kernel_argv;
    for (int i = dashes + 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (auto at = arg.find("{connection_file}"); at != std::string::npos) {
        arg.replace(at, 17, connection_file.string());
      }
      kernel_argv.push_back(arg);
    }
    std::vector<char*> cargv;
    for (auto& arg : kernel_argv) cargv.push_back(arg.data());
    cargv.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawnp(&pid, cargv[0], nullptr, nullptr, cargv.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + kernel_argv[0]);
    }

    RawClient client(info, pid);
    try {
      client.handshake();
      const double ready = seconds_since(started);
      const auto setup_started = Clock::now();
      if (setup > cells.size()) throw std::runtime_error("--setup is more than the code cells");
      for (std::size_t i = 0; i < setup; ++i) client.execute(cells[i]);
      const double setup_s = seconds_since(setup_started);
      const auto cells_started = Clock::now();
      for (std::size_t i = setup; i < cells.size(); ++i) client.execute(cells[i]);
      const double run = seconds_since(cells_started);
      const auto shutdown_started = Clock::now();
      const std::string shutdown = client.shutdown();
      std::printf("%s\n", json{{"cells", cells.size() - setup},
                               {"setup_cells", setup},
                               {"setup_s", setup_s},
                               {"kernel_ready_s", ready},
                               {"cells_s", run},
                               {"shutdown_s", seconds_since(shutdown_started)},
                               {"shutdown", shutdown}}
                              .dump()
                              .c_str());
    } catch (...) {
      client.kill();
      throw;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "raw client: %s\n", e.what());
    exit_code = 1;
  }
  std::error_code ec;
  if (!dir.empty()) fs::remove_all(dir, ec);
  return exit_code;
}
