// Against a real ipykernel (python3 -m ipykernel_launcher). Each start costs about a second,
// so these stay few.
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/kernel/kernel.hpp>

#include "kernel/zmq_connection.hpp"
#include "test_kernel_support.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

using namespace nbexec;
using namespace nbexec::kernel;
using namespace std::chrono_literals;
using nbexec_test::ScopedEnv;
using nbexec_test::TempDir;
using protocol::Channel;
namespace fs = std::filesystem;

namespace {

// The python3 kernelspec found the normal way, with the Python environment's prefix as the
// env prefix (sys.prefix, printed by the installed python3).
KernelSpec python_spec() {
  SearchOptions options;
  options.env_prefix = nbexec_test::run_command("python3 -c \"import sys;print(sys.prefix)\"");
  return find_kernelspec("python3", kernelspec_search_path(options));
}

struct Collected {
  std::vector<protocol::Incoming> iopub;
  std::optional<protocol::Message> reply;
  bool idle = false;
  std::vector<protocol::Message> control;  // whatever came on control meanwhile
};

// Reads until the reply to `msg_id` and its idle status arrived (nbclient's completion rule).
Collected collect(protocol::KernelConnection& connection, const std::string& msg_id,
                  std::chrono::milliseconds limit = 20s) {
  Collected collected;
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!(collected.reply && collected.idle) && std::chrono::steady_clock::now() < deadline) {
    auto incoming = connection.receive(100ms);
    if (incoming && incoming->channel == Channel::control) {
      collected.control.push_back(incoming->message);
    }
    if (!incoming || incoming->message.parent_msg_id() != msg_id) continue;
    if (incoming->channel == Channel::shell) {
      collected.reply = incoming->message;
    } else if (incoming->channel == Channel::iopub) {
      if (incoming->message.msg_type() == "status" &&
          incoming->message.content.value("execution_state", "") == "idle") {
        collected.idle = true;
      }
      collected.iopub.push_back(std::move(*incoming));
    }
  }
  return collected;
}

nlohmann::json execute_content(const std::string& code) {
  return {{"code", code},          {"silent", false},
          {"store_history", true}, {"user_expressions", nlohmann::json::object()},
          {"allow_stdin", false},  {"stop_on_error", true}};
}

bool process_gone(int pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

TEST_CASE("a real ipykernel starts, executes and shuts down cleanly", "[kernel][ipykernel]") {
  TempDir runtime;
  ScopedEnv runtime_env("JUPYTER_RUNTIME_DIR", runtime.path().string());
  std::vector<std::string> log;
  LaunchOptions options;
  options.start_timeout = 30s;
  options.log = [&log](const std::string& line) { log.push_back(line); };
  auto kernel = Kernel::start(python_spec(), options);

  CHECK(kernel->kernel_info().at("language_info").at("name") == "python");
  CHECK(kernel->spec().name == "python3");
  const int pid = kernel->pid();
  CHECK(::kill(pid, 0) == 0);
  REQUIRE(log.size() >= 3);
  CHECK(log[1] == "kernel started, pid " + std::to_string(pid));
  CHECK_THAT(log.back(), Catch::Contains("ready (python"));

  const fs::path connection_file = kernel->connection_file();
  // In a private folder of its own in the runtime dir.
  CHECK(connection_file.parent_path().parent_path() == runtime.path());
  struct stat info {};
  REQUIRE(::stat(connection_file.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  auto& connection = kernel->connection();
  CHECK(connection.kernel_alive());
  auto* zmq_connection = dynamic_cast<detail::ZmqConnection*>(&connection);
  REQUIRE(zmq_connection != nullptr);
  CHECK(zmq_connection->heartbeat(5s));

  std::string msg_id =
      connection.send_request(Channel::shell, "execute_request", execute_content("print(\"hi\")"));
  Collected collected = collect(connection, msg_id);
  REQUIRE(collected.reply);
  CHECK(collected.reply->msg_type() == "execute_reply");
  CHECK(collected.reply->content.at("status") == "ok");
  CHECK(collected.reply->header.at("session") != connection.session_id());
  CHECK(collected.reply->parent_header.at("session") == connection.session_id());
  CHECK(collected.idle);
  std::string stdout_text;
  for (const auto& incoming : collected.iopub) {
    if (incoming.message.msg_type() == "stream" &&
        incoming.message.content.at("name") == "stdout") {
      stdout_text += incoming.message.content.at("text").get<std::string>();
    }
  }
  CHECK(stdout_text == "hi\n");
  // The first iopub message of the cell is its busy status: nothing was lost (#593).
  REQUIRE_FALSE(collected.iopub.empty());
  CHECK(collected.iopub.front().message.msg_type() == "status");
  CHECK(collected.iopub.front().message.content.at("execution_state") == "busy");

  ConnectionStats stats = kernel->connection_stats();
  CHECK(stats.received >= 4);
  CHECK(stats.dropped_invalid == 0);
  CHECK(stats.dropped_replayed == 0);

  // A generous grace: on a loaded machine ipykernel can take seconds to exit, and this test is
  // about the polite path (shutdown_request answered by a clean exit), not about the timing.
  kernel->shutdown(std::chrono::seconds(20));
  CHECK(process_gone(pid));
  CHECK_FALSE(fs::exists(connection_file));
  CHECK(nbexec_test::files_in(runtime.path()).empty());
  CHECK_FALSE(connection.kernel_alive());
  kernel->shutdown();  // idempotent
  CHECK_THAT(log.back(), Catch::Contains("exited with status 0"));
}

TEST_CASE("interrupting a real ipykernel raises KeyboardInterrupt in the cell",
          "[kernel][ipykernel]") {
  TempDir runtime;
  ScopedEnv runtime_env("JUPYTER_RUNTIME_DIR", runtime.path().string());
  KernelSpec spec = python_spec();
  SECTION("by SIGINT to the process group") {
    spec.interrupt_mode = "signal";
  }
  SECTION("by interrupt_request on control") {
    spec.interrupt_mode = "message";
  }
  auto kernel = Kernel::start(spec, {});
  auto& connection = kernel->connection();
  std::string msg_id = connection.send_request(
      Channel::shell, "execute_request",
      execute_content("import time\nprint('sleeping', flush=True)\ntime.sleep(60)"));
  // Interrupt once the cell is actually running.
  bool running = false;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!running && std::chrono::steady_clock::now() < deadline) {
    auto incoming = connection.receive(100ms);
    running = incoming && incoming->message.parent_msg_id() == msg_id &&
              incoming->message.msg_type() == "stream";
  }
  REQUIRE(running);
  auto interrupted_at = std::chrono::steady_clock::now();
  // Under load a SIGINT can land while ipykernel 7 is between its handlers and be lost (seen
  // about once in ten runs under ctest -j2), so a missed interrupt is sent again, as a user
  // would; the cell must still end with KeyboardInterrupt.
  Collected collected;
  for (int attempt = 0; attempt < 4 && !collected.reply; ++attempt) {
    kernel->interrupt();
    Collected round = collect(connection, msg_id, 5s);
    collected.control.insert(collected.control.end(), round.control.begin(), round.control.end());
    collected.reply = round.reply;
  }
  REQUIRE(collected.reply);
  CHECK(std::chrono::steady_clock::now() - interrupted_at < 20s);
  CHECK(collected.reply->content.at("status") == "error");
  CHECK(collected.reply->content.at("ename") == "KeyboardInterrupt");
  auto has_interrupt_reply = [&collected] {
    return std::any_of(
        collected.control.begin(), collected.control.end(),
        [](const protocol::Message& m) { return m.msg_type() == "interrupt_reply"; });
  };
  // The control reply may trail the cell's reply; give it a moment.
  auto reply_deadline = std::chrono::steady_clock::now() + 1s;
  while (spec.interrupt_mode == "message" && !has_interrupt_reply() &&
         std::chrono::steady_clock::now() < reply_deadline) {
    auto incoming = connection.receive(50ms);
    if (incoming && incoming->channel == Channel::control) {
      collected.control.push_back(incoming->message);
    }
  }
  bool interrupt_reply = has_interrupt_reply();
  CHECK(interrupt_reply == (spec.interrupt_mode == "message"));
  CHECK(connection.kernel_alive());
}

TEST_CASE("an ipc kernel that dies is noticed and cleaned up by the destructor",
          "[kernel][ipykernel]") {
  TempDir runtime;
  ScopedEnv runtime_env("JUPYTER_RUNTIME_DIR", runtime.path().string());
  LaunchOptions options;
  options.transport = "ipc";
  int pid = -1;
  const std::size_t fds_before = nbexec_test::open_fd_count();
  {
    auto kernel = Kernel::start(python_spec(), options);
    pid = kernel->pid();
    CHECK(kernel->kernel_info().at("language_info").at("name") == "python");
    // The kernel bound its ipc sockets next to the connection file, in its private folder.
    CHECK(nbexec_test::files_in(kernel->connection_file().parent_path()).size() >= 6);
    auto& connection = kernel->connection();
    connection.send_request(Channel::shell, "execute_request",
                            execute_content("import os\nos._exit(1)"));
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (connection.kernel_alive() && std::chrono::steady_clock::now() < deadline) {
      connection.receive(50ms);
    }
    CHECK_FALSE(connection.kernel_alive());
  }
  CHECK(process_gone(pid));
  CHECK(nbexec_test::files_in(runtime.path()).empty());
  CHECK(nbexec_test::open_fd_count() == fds_before);
}
