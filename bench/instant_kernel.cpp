// A Jupyter kernel that does no work: every execute_request is answered at once with
// status busy, execute_input, execute_reply and status idle, so a client's time per cell is
// its own overhead plus one ZeroMQ round trip (benchmark case 3, docs/benchmarks.md).
//
//   nbexec_bench_instant_kernel CONNECTION_FILE
//
// It binds shell, control and stdin (ROUTER), iopub (XPUB, greeting each subscriber with
// iopub_welcome as JEP 65 kernels do) and heartbeat (ROUTER, echo), signs with the connection
// file's key through nbexec's protocol library, and answers kernel_info_request,
// execute_request, shutdown_request and interrupt_request; any other request gets a
// `<name>_reply` with status ok. Single-threaded: one poll loop over all sockets.

#include <nbexec/protocol/message.hpp>

#include "protocol/connection_info.hpp"
#include "protocol/signer.hpp"
#include "protocol/wire.hpp"

#include <zmq_addon.hpp>

#include <csignal>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using nbexec::protocol::Channel;
using nbexec::protocol::json;
using nbexec::protocol::Message;

class InstantKernel {
 public:
  explicit InstantKernel(const nbexec::protocol::ConnectionInfo& info)
      : signer_(info.signature_scheme, info.key), session_(nbexec::protocol::new_msg_id()) {
    bind(shell_, zmq::socket_type::router, info.endpoint(Channel::shell));
    bind(control_, zmq::socket_type::router, info.endpoint(Channel::control));
    bind(stdin_, zmq::socket_type::router, info.endpoint(Channel::stdin_channel));
    bind(iopub_, zmq::socket_type::xpub, info.endpoint(Channel::iopub));
    bind(heartbeat_, zmq::socket_type::router, info.endpoint(Channel::heartbeat));
  }

  int serve() {
    while (true) {
      zmq::pollitem_t items[] = {{shell_.handle(), 0, ZMQ_POLLIN, 0},
                                 {control_.handle(), 0, ZMQ_POLLIN, 0},
                                 {iopub_.handle(), 0, ZMQ_POLLIN, 0},
                                 {heartbeat_.handle(), 0, ZMQ_POLLIN, 0}};
      try {
        zmq::poll(items, 4, std::chrono::milliseconds(-1));
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        throw;
      }
      if (items[3].revents & ZMQ_POLLIN) echo_heartbeat();
      if (items[2].revents & ZMQ_POLLIN) on_subscription();
      if (items[1].revents & ZMQ_POLLIN) {
        if (!on_request(control_)) return 0;
      }
      if (items[0].revents & ZMQ_POLLIN) {
        if (!on_request(shell_)) return 0;
      }
    }
  }

 private:
  void bind(zmq::socket_t& socket, zmq::socket_type type, const std::string& endpoint) {
    socket = zmq::socket_t(context_, type);
    socket.set(zmq::sockopt::linger, 1000);
    if (type == zmq::socket_type::xpub) {
      socket.set(zmq::sockopt::sndhwm, 0);
      socket.set(zmq::sockopt::xpub_verbose, 1);  // every subscriber is greeted, as ipykernel
    }
    socket.bind(endpoint);
  }

  static std::vector<std::string> receive(zmq::socket_t& socket) {
    std::vector<zmq::message_t> parts;
    std::vector<std::string> frames;
    if (!zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
      return frames;
    }
    for (auto& part : parts) frames.push_back(part.to_string());
    return frames;
  }

  void send(zmq::socket_t& socket, const Message& message) {
    auto frames = nbexec::protocol::encode_message(message, signer_);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      socket.send(zmq::buffer(frames[i]),
                  i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  Message make(std::string_view msg_type, json content, const json& parent) {
    Message message =
        nbexec::protocol::make_message(msg_type, std::move(content), session_, "kernel");
    message.parent_header = parent;
    return message;
  }

  void publish(std::string_view msg_type, json content, const json& parent) {
    Message message = make(msg_type, std::move(content), parent);
    message.identities = {"kernel.instant." + std::string(msg_type)};
    send(iopub_, message);
  }

  void reply(zmq::socket_t& socket, const Message& request, std::string_view msg_type,
             json content) {
    Message message = make(msg_type, std::move(content), request.header);
    message.identities = request.identities;
    send(socket, message);
  }

  void echo_heartbeat() {
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(heartbeat_, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
      return;
    }
    zmq::send_multipart(heartbeat_, parts);
  }

  // JEP 65: an XPUB sees each new subscription; greet it so the client knows iopub works.
  void on_subscription() {
    auto frames = receive(iopub_);
    if (frames.empty() || frames[0].empty() || frames[0][0] != '\x01') return;
    publish("iopub_welcome", {{"subscription", frames[0].substr(1)}}, json::object());
  }

  // Returns false when the kernel should exit (after a shutdown_request).
  bool on_request(zmq::socket_t& socket) {
    auto frames = receive(socket);
    if (frames.empty()) return true;
    Message request;
    try {
      request = nbexec::protocol::decode_message(frames, signer_);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "instant kernel: dropped a message: %s\n", e.what());
      return true;
    }
    const std::string type = request.msg_type();
    if (type == "shutdown_request") {
      publish("status", {{"execution_state", "busy"}}, request.header);
      reply(socket, request, "shutdown_reply",
            {{"status", "ok"}, {"restart", request.content.value("restart", false)}});
      publish("status", {{"execution_state", "idle"}}, request.header);
      return false;
    }
    if (type == "interrupt_request") {
      reply(socket, request, "interrupt_reply", {{"status", "ok"}});
      return true;
    }
    publish("status", {{"execution_state", "busy"}}, request.header);
    if (type == "execute_request") {
      const bool silent = request.content.value("silent", false);
      const bool store = request.content.value("store_history", true) && !silent;
      if (store) ++execution_count_;
      if (!silent) {
        publish(
            "execute_input",
            {{"code", request.content.value("code", "")}, {"execution_count", execution_count_}},
            request.header);
      }
      reply(socket, request, "execute_reply",
            {{"status", "ok"},
             {"execution_count", execution_count_},
             {"user_expressions", json::object()},
             {"payload", json::array()}});
    } else if (type == "kernel_info_request") {
      reply(socket, request, "kernel_info_reply",
            {{"status", "ok"},
             {"protocol_version", nbexec::protocol::protocol_version},
             {"implementation", "nbexec-bench-instant"},
             {"implementation_version", "1.0"},
             {"banner", "instant-reply benchmark kernel"},
             {"help_links", json::array()},
             {"language_info",
              {{"name", "python"},
               {"version", "3"},
               {"mimetype", "text/x-python"},
               {"file_extension", ".py"}}}});
    } else if (type.size() > 8 && type.ends_with("_request")) {
      std::string reply_type = type.substr(0, type.size() - 8) + "_reply";
      json content = {{"status", "ok"}};
      if (type == "comm_info_request") content["comms"] = json::object();
      reply(socket, request, reply_type, content);
    }
    publish("status", {{"execution_state", "idle"}}, request.header);
    return true;
  }

  zmq::context_t context_;
  zmq::socket_t shell_, control_, stdin_, iopub_, heartbeat_;
  nbexec::protocol::Signer signer_;
  std::string session_;
  long execution_count_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CONNECTION_FILE\n", argv[0]);
    return 2;
  }
  // Clients interrupt kernels with SIGINT to the process group; there is nothing to stop.
  std::signal(SIGINT, SIG_IGN);
  try {
    std::ifstream in(argv[1]);
    if (!in) {
      std::fprintf(stderr, "instant kernel: cannot read %s\n", argv[1]);
      return 1;
    }
    json document = json::parse(in);
    InstantKernel kernel(nbexec::protocol::parse_connection_info(document));
    return kernel.serve();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "instant kernel: %s\n", e.what());
    return 1;
  }
}
