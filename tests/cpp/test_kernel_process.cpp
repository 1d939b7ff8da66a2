#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/kernel/kernel.hpp>

#include "kernel/connection_file.hpp"
#include "kernel/process.hpp"
#include "test_kernel_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <set>
#include <thread>

using namespace nbexec;
using namespace nbexec::kernel;
using namespace std::chrono_literals;
using nbexec_test::ScopedEnv;
using nbexec_test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

KernelSpec fake_spec(const TempDir& root, const std::string& script, json env = json::object()) {
  return parse_kernelspec({{"argv", {"/bin/sh", "-c", script}}, {"env", env}}, "fake",
                          root / "kernels/fake");
}

// Starts and expects a failure; returns the pid the log reported.
struct StartResult {
  int pid = -1;
  std::string error;
  std::chrono::milliseconds elapsed{0};
};

template <typename Error>
StartResult start_failing(const KernelSpec& spec, LaunchOptions options) {
  StartResult result;
  options.log = [&result](const std::string& line) {
    const std::string prefix = "kernel started, pid ";
    if (line.rfind(prefix, 0) == 0) result.pid = std::stoi(line.substr(prefix.size()));
  };
  auto started = std::chrono::steady_clock::now();
  try {
    Kernel::start(spec, options);
    result.error = "started without error";
  } catch (const Error& e) {
    result.error = e.what();
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return result;
}

bool process_gone(int pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// A process reparented away from us may linger as a zombie until init reaps it.
bool process_dead(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z';
}

}  // namespace

TEST_CASE("a kernel that exits during start fails fast quoting its stderr", "[kernel]") {
  TempDir root;
  ScopedEnv runtime("JUPYTER_RUNTIME_DIR", (root / "runtime").string());
  const std::size_t fds_before = nbexec_test::open_fd_count();
  auto result = start_failing<KernelError>(fake_spec(root, "echo boom >&2; exit 3"), {});
  CHECK(nbexec_test::open_fd_count() == fds_before);
  CHECK_THAT(result.error, Catch::Contains("boom"));
  CHECK_THAT(result.error, Catch::Contains("exited with status 3"));
  CHECK_THAT(result.error, Catch::Contains("'fake'"));
  CHECK(result.elapsed < 3s);
  REQUIRE(result.pid > 0);
  CHECK(process_gone(result.pid));
  CHECK(nbexec_test::files_in(root / "runtime").empty());
}

TEST_CASE("a kernel that never answers times out and is killed", "[kernel]") {
  TempDir root;
  ScopedEnv runtime("JUPYTER_RUNTIME_DIR", (root / "runtime").string());
  // A background grandchild in the kernel's process group must die with it.
  std::string script =
      "sleep 30 & echo $! > '" + (root / "child.pid").string() + "'; echo waiting >&2; wait";
  LaunchOptions options;
  options.start_timeout = 400ms;
  auto result = start_failing<TimeoutError>(fake_spec(root, script), options);
  CHECK_THAT(result.error, Catch::Contains("within 400 ms"));
  CHECK_THAT(result.error, Catch::Contains("kernel_info"));
  CHECK(result.elapsed >= 400ms);
  CHECK(result.elapsed < 5s);
  REQUIRE(result.pid > 0);
  CHECK(process_gone(result.pid));
  std::ifstream child_pid_file(root / "child.pid");
  int child_pid = 0;
  child_pid_file >> child_pid;
  REQUIRE(child_pid > 0);
  for (int i = 0; i < 100 && !process_dead(child_pid); ++i) std::this_thread::sleep_for(10ms);
  CHECK(process_dead(child_pid));
  CHECK(nbexec_test::files_in(root / "runtime").empty());
}

TEST_CASE("a kernel that ignores SIGTERM is killed", "[kernel]") {
  TempDir root;
  ScopedEnv runtime("JUPYTER_RUNTIME_DIR", (root / "runtime").string());
  LaunchOptions options;
  options.start_timeout = 200ms;
  auto result = start_failing<TimeoutError>(
      fake_spec(root, "trap '' TERM; while :; do sleep 1; done"), options);
  CHECK_THAT(result.error, Catch::Contains("200 ms"));
  REQUIRE(result.pid > 0);
  CHECK(process_gone(result.pid));
  CHECK(result.elapsed < 3s);
}

TEST_CASE("the kernel gets the spec env with ${VAR} substituted and the cwd", "[kernel]") {
  TempDir root;
  ScopedEnv runtime("JUPYTER_RUNTIME_DIR", (root / "runtime").string());
  ScopedEnv name("NBEXEC_TEST_NAME", "world");
  fs::create_directories(root / "work dir");
  LaunchOptions options;
  options.cwd = root / "work dir";
  auto spec = fake_spec(root, "echo \"$GREETING in $(pwd)\" >&2; exit 1",
                        {{"GREETING", "hello-${NBEXEC_TEST_NAME}-$NBEXEC_NOT_SET"}});
  auto result = start_failing<KernelError>(spec, options);
  CHECK_THAT(result.error,
             Catch::Contains("hello-world-$NBEXEC_NOT_SET in " + (root / "work dir").string()));
}

TEST_CASE("launch problems are KernelErrors that say what is wrong", "[kernel]") {
  TempDir root;
  ScopedEnv runtime("JUPYTER_RUNTIME_DIR", (root / "runtime").string());
  SECTION("program not on PATH") {
    auto spec = parse_kernelspec({{"argv", {"nbexec-no-such-kernel", "{connection_file}"}}},
                                 "missing", root / "k");
    CHECK_THROWS_WITH(Kernel::start(spec, {}),
                      Catch::Contains("'nbexec-no-such-kernel' was not found on PATH"));
  }
  SECTION("program not executable") {
    nbexec_test::write_file(root / "not-exec", "#!/bin/sh\n");
    auto spec = parse_kernelspec({{"argv", {(root / "not-exec").string()}}}, "x", root / "k");
    CHECK_THROWS_WITH(Kernel::start(spec, {}),
                      Catch::Contains("cannot execute") && Catch::Contains("Permission denied"));
  }
  SECTION("missing working directory") {
    LaunchOptions options;
    options.cwd = root / "nowhere";
    CHECK_THROWS_WITH(Kernel::start(fake_spec(root, "exit 0"), options),
                      Catch::Contains("cannot change directory to " + (root / "nowhere").string()));
  }
  SECTION("unknown transport") {
    LaunchOptions options;
    options.transport = "udp";
    CHECK_THROWS_WITH(Kernel::start(fake_spec(root, "exit 0"), options),
                      Catch::Contains("unknown kernel transport 'udp'"));
  }
  CHECK(nbexec_test::files_in(root / "runtime").empty());
}

TEST_CASE("the runtime dir is private and connection files are 0600", "[kernel]") {
  TempDir root;
  ScopedEnv runtime("JUPYTER_RUNTIME_DIR", (root / "nested/runtime").string());
  fs::path dir = detail::ensure_runtime_dir();
  CHECK(dir == root / "nested/runtime");
  struct stat info {};
  REQUIRE(::stat(dir.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0700);

  SECTION("tcp") {
    auto file = detail::create_connection_file(dir, "tcp", "python3");
    REQUIRE(::stat(file.path.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    CHECK(file.path.filename().string().rfind("kernel-nbexec-", 0) == 0);
    CHECK(file.path.extension() == ".json");
    std::ifstream in(file.path);
    json written = json::parse(in);
    CHECK(written.at("ip") == "127.0.0.1");
    CHECK(written.at("transport") == "tcp");
    CHECK(written.at("signature_scheme") == "hmac-sha256");
    CHECK(written.at("kernel_name") == "python3");
    CHECK(written.at("key").get<std::string>().size() == 64);
    std::set<int> ports;
    for (const char* field :
         {"shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"}) {
      int port = written.at(field).get<int>();
      CHECK(port > 0);
      ports.insert(port);
    }
    CHECK(ports.size() == 5);
    detail::remove_connection_file(file);
    CHECK_FALSE(fs::exists(file.path));
  }
  SECTION("ipc") {
    auto file = detail::create_connection_file(dir, "ipc", "python3");
    CHECK(file.info.ip == (file.folder / "ipc").string());
    CHECK(file.folder.parent_path() == dir);
    CHECK(file.info.shell_port == 1);
    CHECK(file.info.hb_port == 5);
    CHECK(file.info.endpoint(protocol::Channel::shell) == "ipc://" + file.info.ip + "-1");
    nbexec_test::write_file(file.info.ip + "-2", "");  // stands in for a bound socket
    detail::remove_connection_file(file);
    CHECK(nbexec_test::files_in(dir).empty());
  }
  SECTION("two files never collide") {
    auto a = detail::create_connection_file(dir, "tcp", "k");
    auto b = detail::create_connection_file(dir, "tcp", "k");
    CHECK(a.path != b.path);
    CHECK(a.info.key != b.info.key);
    detail::remove_connection_file(a);
    detail::remove_connection_file(b);
  }
}

TEST_CASE("the stderr tail is bounded and keeps the end", "[kernel]") {
  detail::SpawnRequest request;
  // 200 lines of 1000 characters, then an end marker.
  request.argv = {"/bin/sh", "-c",
                  "i=0; line=$(printf '%01000d' 0); while [ $i -lt 200 ]; do echo $line >&2; "
                  "i=$((i+1)); done; echo END-MARKER >&2; exit 7"};
  request.env = {{"PATH", "/usr/bin:/bin"}};
  request.stderr_tail_bytes = 64 * 1024;
  auto process = detail::Process::spawn(request);
  REQUIRE(process->wait_for_exit(10s));
  CHECK_FALSE(process->running());
  CHECK(process->describe_exit() == "exited with status 7");
  process->reap();
  std::string tail = process->stderr_tail();
  CHECK(tail.size() == 64 * 1024);
  CHECK(tail.substr(tail.size() - 11) == "END-MARKER\n");
  process->reap();  // idempotent
  CHECK(process_gone(process->pid()));
}

TEST_CASE("a spawned process is in its own process group with stdin from /dev/null", "[kernel]") {
  TempDir root;
  detail::SpawnRequest request;
  request.argv = {"/bin/sh", "-c",
                  "ps -o pgid= -p $$ > '" + (root / "pgid").string() + "'; cat > '" +
                      (root / "stdin").string() + "'; sleep 30"};
  request.env = {{"PATH", "/usr/bin:/bin"}};
  auto process = detail::Process::spawn(request);
  for (int i = 0; i < 200 && !fs::exists(root / "stdin"); ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(50ms);
  std::ifstream pgid_file(root / "pgid");
  int pgid = 0;
  pgid_file >> pgid;
  CHECK(pgid == process->pid());
  CHECK(fs::file_size(root / "stdin") == 0);
  CHECK(process->running());
  process->signal_group(SIGTERM);
  CHECK(process->wait_for_exit(5s));
  CHECK_THAT(process->describe_exit(), Catch::Contains("signal 15"));
  process->reap();
  CHECK(process_gone(process->pid()));
}

namespace {

// Whether a listener could bind 127.0.0.1:port now, with SO_REUSEADDR as ZeroMQ binds.
bool can_bind_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return bound;
}

}  // namespace

TEST_CASE("kernel ports come from outside the ephemeral range, distinct and free", "[kernel]") {
  // Inside the ephemeral range a connect(2) retrying against a port nobody listens on yet can
  // be given that port as its source and connect to itself; see free_tcp_ports.
  const auto ephemeral = detail::ephemeral_port_range();
  REQUIRE(ephemeral);  // Linux always has it
  const auto [low, high] = detail::kernel_port_range();
  if (ephemeral->first > 11000) {
    CHECK(low == 10000);
    CHECK(high == ephemeral->first - 1);
  }
  for (int round = 0; round < 20; ++round) {
    const auto ports = detail::free_tcp_ports(5);
    REQUIRE(ports.size() == 5);
    CHECK(std::set<int>(ports.begin(), ports.end()).size() == 5);
    for (int port : ports) {
      if (low != 0) {
        CHECK(port >= low);
        CHECK(port <= high);
        CHECK((port < ephemeral->first || port > ephemeral->second));
      }
      // Free when handed out: the kernel can bind it (nothing else listens there now).
      CHECK(can_bind_loopback(port));
    }
  }
}
