#pragma once

// An in-memory KernelConnection for executor tests: each execute_request is answered by a
// script that returns the messages a kernel would send, so faults real kernels cannot be
// made to show (stale replies, missing idle, death, silence) can be staged.
#include <nbexec/protocol/kernel_connection.hpp>

#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace nbexec::testing {

using json = nlohmann::json;

class FakeKernelConnection : public protocol::KernelConnection {
 public:
  // Given the code and the request's msg_id, the messages the kernel answers with.
  using Script = std::function<std::vector<protocol::Incoming>(const std::string& code,
                                                               const std::string& msg_id)>;

  explicit FakeKernelConnection(Script script) : script_(std::move(script)) {}

  std::string send_request(protocol::Channel channel, std::string_view msg_type,
                           json content) override {
    std::string id = "req-" + std::to_string(++counter_);
    requests.push_back({channel, std::string(msg_type), content, id});
    if (msg_type == "execute_request") {
      for (auto& message : script_(content.value("code", std::string()), id)) {
        queue_.push_back(std::move(message));
      }
    }
    return id;
  }

  std::optional<protocol::Incoming> receive(std::chrono::milliseconds) override {
    if (queue_.empty()) return std::nullopt;
    auto next = std::move(queue_.front());
    queue_.pop_front();
    return next;
  }

  // Queues a message as if the kernel sent it now (an interrupt's KeyboardInterrupt, say).
  void push(protocol::Incoming message) { queue_.push_back(std::move(message)); }

  bool kernel_alive() override { return alive; }
  std::string session_id() const override { return "fake-session"; }

  struct Request {
    protocol::Channel channel;
    std::string msg_type;
    json content;
    std::string msg_id;
  };
  std::vector<Request> requests;
  bool alive = true;

 private:
  Script script_;
  std::deque<protocol::Incoming> queue_;
  int counter_ = 0;
};

// Builders for the messages of a script.
inline protocol::Incoming iopub(const std::string& parent, const std::string& msg_type,
                                json content) {
  protocol::Message m;
  m.header = {
      {"msg_type", msg_type}, {"msg_id", "k-" + msg_type}, {"date", "2026-11-29T10:00:00.000001Z"}};
  m.parent_header = {{"msg_id", parent}};
  m.content = std::move(content);
  return {protocol::Channel::iopub, std::move(m)};
}

inline protocol::Incoming status(const std::string& parent, const std::string& state) {
  return iopub(parent, "status", {{"execution_state", state}});
}

inline protocol::Incoming reply(const std::string& parent, json content) {
  protocol::Message m;
  m.header = {{"msg_type", "execute_reply"},
              {"msg_id", "k-reply"},
              {"date", "2026-11-29T10:00:00.000002Z"}};
  m.parent_header = {{"msg_id", parent}};
  m.content = std::move(content);
  return {protocol::Channel::shell, std::move(m)};
}

inline protocol::Incoming stream(const std::string& parent, const std::string& name,
                                 const std::string& text) {
  return iopub(parent, "stream", {{"name", name}, {"text", text}});
}

inline json ok_reply(int count) {
  return {{"status", "ok"}, {"execution_count", count}};
}

}  // namespace nbexec::testing
