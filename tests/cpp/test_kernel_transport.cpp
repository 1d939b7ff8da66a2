// Transport and encryption (issue 20): the connection file's curve keys, the kernel's private
// folder and its cleanup, the curve policy, and a real ipykernel over ipc with CurveZMQ.
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/kernel/kernel.hpp>

#include "kernel/connection_file.hpp"
#include "kernel/zmq_connection.hpp"
#include "protocol/connection_info.hpp"
#include "test_kernel_support.hpp"

#include <sys/stat.h>
#include <zmq.h>

#include <chrono>
#include <fstream>
#include <string>

using namespace nbexec;
using namespace nbexec::kernel;
using namespace std::chrono_literals;
using nbexec_test::ScopedEnv;
using nbexec_test::TempDir;
using nlohmann::json;
using protocol::Channel;
namespace fs = std::filesystem;

namespace {

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

// Restores the umask on scope exit.
struct ScopedUmask {
  explicit ScopedUmask(mode_t mask) : old(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;
  mode_t old;
};

KernelSpec python_spec() {
  SearchOptions options;
  options.env_prefix = nbexec_test::run_command("python3 -c \"import sys;print(sys.prefix)\"");
  return find_kernelspec("python3", kernelspec_search_path(options));
}

json metadata_with(const json& supported) {
  json metadata = json::object();
  metadata["supported_encryption"] = supported;
  return metadata;
}

}  // namespace

TEST_CASE("curve keys round-trip through the connection file as jupyter_client writes them",
          "[protocol][transport]") {
  const auto [public_key, secret_key] = detail::curve_keypair();
  protocol::ConnectionInfo info;
  info.shell_port = 1;
  info.iopub_port = 2;
  info.stdin_port = 3;
  info.control_port = 4;
  info.hb_port = 5;
  info.key = "k";
  info.curve_publickey = public_key;
  info.curve_secretkey = secret_key;
  const json written = protocol::to_json(info);
  CHECK(written.at("curve_publickey") == public_key);
  CHECK(written.at("curve_secretkey") == secret_key);
  const auto parsed = protocol::parse_connection_info(written);
  CHECK(parsed.curve());
  CHECK(parsed.curve_publickey == public_key);
  CHECK(parsed.curve_secretkey == secret_key);

  SECTION("without keys, none are written and none read") {
    info.curve_publickey.clear();
    info.curve_secretkey.clear();
    const json plain = protocol::to_json(info);
    CHECK_FALSE(plain.contains("curve_publickey"));
    CHECK_FALSE(plain.contains("curve_secretkey"));
    CHECK_FALSE(protocol::parse_connection_info(plain).curve());
  }
  SECTION("half a pair is ignored, as jupyter_client does") {
    json half = written;
    half.erase("curve_secretkey");
    CHECK_FALSE(protocol::parse_connection_info(half).curve());
  }
  SECTION("a key that is not 40 characters of Z85 is refused") {
    json bad = written;
    bad["curve_publickey"] = public_key.substr(0, 39) + "\"";
    CHECK_THROWS_WITH(protocol::parse_connection_info(bad), Catch::Contains("curve_publickey"));
    bad["curve_publickey"] = public_key + "0";
    CHECK_THROWS_AS(protocol::parse_connection_info(bad), ProtocolError);
  }
}

TEST_CASE("a connection file with curve holds a fresh server key pair, 0600 in a 0700 folder",
          "[kernel][transport]") {
  REQUIRE(detail::curve_available());
  TempDir runtime;
  // A permissive umask must not widen anything.
  ScopedUmask umask(0);
  auto file = detail::create_connection_file(runtime.path(), "ipc", "python3", true);
  CHECK(file.folder.parent_path() == runtime.path());
  CHECK(file.path.parent_path() == file.folder);
  CHECK(mode_of(file.folder) == 0700);
  CHECK(mode_of(file.path) == 0600);

  std::ifstream in(file.path);
  const json written = json::parse(in);
  const std::string public_key = written.at("curve_publickey");
  const std::string secret_key = written.at("curve_secretkey");
  CHECK(protocol::is_z85_key(public_key));
  CHECK(protocol::is_z85_key(secret_key));
  // The pair belongs together: the public key derives from the secret one.
  char derived[41] = {};
  REQUIRE(zmq_curve_public(derived, secret_key.c_str()) == 0);
  CHECK(std::string(derived) == public_key);
  CHECK(written.at("ip") == (file.folder / "ipc").string());
  CHECK(written.at("transport") == "ipc");

  // Each kernel gets its own pair and its own folder.
  auto other = detail::create_connection_file(runtime.path(), "ipc", "python3", true);
  CHECK(other.info.curve_publickey != file.info.curve_publickey);
  CHECK(other.folder != file.folder);
  detail::remove_connection_file(other);

  SECTION("without curve the file has no keys") {
    auto plain = detail::create_connection_file(runtime.path(), "tcp", "python3", false);
    std::ifstream plain_in(plain.path);
    CHECK_FALSE(json::parse(plain_in).contains("curve_publickey"));
    detail::remove_connection_file(plain);
  }
  detail::remove_connection_file(file);
  CHECK(nbexec_test::files_in(runtime.path()).empty());
}

TEST_CASE("the private folder is removed with whatever the kernel bound in it",
          "[kernel][transport]") {
  TempDir runtime;
  auto file = detail::create_connection_file(runtime.path(), "ipc", "k");
  // Sockets under the expected names and under names a kernel chose itself.
  nbexec_test::write_file(file.info.ip + "-1", "");
  nbexec_test::write_file(file.info.ip + "-5", "");
  nbexec_test::write_file(file.folder / "ipc:3", "");
  REQUIRE(nbexec_test::files_in(file.folder).size() == 4);
  detail::remove_connection_file(file);
  CHECK_FALSE(fs::exists(file.folder));
  CHECK(nbexec_test::files_in(runtime.path()).empty());
  detail::remove_connection_file(file);  // twice is harmless
}

TEST_CASE("a private folder is never one somebody prepared", "[kernel][transport]") {
  TempDir runtime;
  // Folders made one after the other are distinct and fresh.
  const fs::path a = detail::create_private_folder(runtime.path(), true);
  const fs::path b = detail::create_private_folder(runtime.path(), true);
  CHECK(a != b);
  CHECK(mode_of(a) == 0700);
  fs::remove(a);
  fs::remove(b);

  SECTION("a runtime dir too deep for Unix socket paths moves the sockets' folder to /tmp") {
    const fs::path deep = runtime.path() / std::string(90, 'd');
    fs::create_directories(deep);
    ScopedEnv tmpdir("TMPDIR", std::nullopt);
    auto file = detail::create_connection_file(deep, "ipc", "k");
    CHECK(file.folder.parent_path() == "/tmp");
    CHECK((file.info.ip + "-5").size() <= detail::max_socket_path);
    CHECK(mode_of(file.folder) == 0700);
    detail::remove_connection_file(file);
    CHECK_FALSE(fs::exists(file.folder));
    // tcp has no socket paths: its folder stays in the runtime dir.
    auto tcp = detail::create_connection_file(deep, "tcp", "k");
    CHECK(tcp.folder.parent_path() == deep);
    detail::remove_connection_file(tcp);
  }
  SECTION("a runtime dir that is not a folder is an error, not a fallback") {
    nbexec_test::write_file(runtime / "file", "");
    CHECK_THROWS_AS(detail::create_private_folder(runtime / "file", false), KernelError);
  }
}

TEST_CASE("a kernelspec declares curve as jupyter_client reads it", "[kernel][transport]") {
  KernelSpec spec;
  CHECK_FALSE(declares_curve(spec));
  spec.metadata = metadata_with(" Curve ");
  CHECK(declares_curve(spec));
  spec.metadata = metadata_with("tls");
  CHECK_FALSE(declares_curve(spec));
  json list = json::array();
  list.push_back("tls");
  list.push_back("CURVE");
  spec.metadata = metadata_with(list);
  CHECK(declares_curve(spec));
  json other = json::array();
  other.push_back("tls");
  spec.metadata = metadata_with(other);
  CHECK_FALSE(declares_curve(spec));
  spec.metadata = metadata_with(true);
  CHECK_FALSE(declares_curve(spec));
}

TEST_CASE("required encryption refuses a kernelspec that does not declare curve",
          "[kernel][transport]") {
  TempDir runtime;
  ScopedEnv runtime_env("JUPYTER_RUNTIME_DIR", runtime.path().string());
  KernelSpec spec = python_spec();
  spec.name = "plain-python";
  spec.metadata = json::object();
  LaunchOptions options;
  options.encryption = "required";
  try {
    Kernel::start(spec, options);
    FAIL("a kernel started although it does not declare curve");
  } catch (const KernelDiedError&) {
    FAIL("a refusal is not a kernel death");
  } catch (const KernelError& error) {
    CHECK_THAT(error.what(), Catch::Contains("kernel 'plain-python' does not declare CurveZMQ"));
    CHECK_THAT(error.what(), Catch::Contains("supported_encryption"));
    CHECK(error.remedy() == Remedy::transport_encryption);
    CHECK(exit_code_for(error) == exit_code::kernel_died);
  }
  // Nothing was launched, nothing written.
  CHECK(nbexec_test::files_in(runtime.path()).empty());

  options.encryption = "sometimes";
  CHECK_THROWS_AS(Kernel::start(spec, options), UsageError);
  options.encryption = "off";
  options.transport = "udp";
  CHECK_THROWS_AS(Kernel::start(spec, options), UsageError);
}

TEST_CASE("a real ipykernel over ipc with CurveZMQ: encrypted, private, cleaned up",
          "[kernel][ipykernel][transport]") {
  TempDir runtime;
  ScopedEnv runtime_env("JUPYTER_RUNTIME_DIR", runtime.path().string());
  const KernelSpec spec = python_spec();
  REQUIRE(declares_curve(spec));  // the venv's ipykernel 7.4 kernelspec declares it
  LaunchOptions options;
  options.start_timeout = 30s;
  options.encryption = "required";
  auto kernel = Kernel::start(spec, options);
  CHECK(kernel->transport() == "ipc");
  CHECK(kernel->wire_encrypted());
  CHECK(kernel->wire_private());
  const fs::path folder = kernel->connection_file().parent_path();
  CHECK(folder.parent_path() == runtime.path());
  CHECK(mode_of(folder) == 0700);
  std::ifstream in(kernel->connection_file());
  const json written = json::parse(in);
  REQUIRE(written.contains("curve_secretkey"));
  // The kernel bound its five sockets in the folder.
  CHECK(nbexec_test::files_in(folder).size() == 6);

  auto* connection = dynamic_cast<detail::ZmqConnection*>(&kernel->connection());
  REQUIRE(connection != nullptr);
  CHECK(connection->encrypted());
  CHECK(connection->heartbeat(5s));  // the heartbeat is a curve client too

  // The encrypted client gets its answers...
  const std::string id =
      kernel->connection().send_request(Channel::shell, "kernel_info_request", json::object());
  bool replied = false;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!replied && std::chrono::steady_clock::now() < deadline) {
    auto incoming = kernel->connection().receive(200ms);
    replied =
        incoming && incoming->channel == Channel::shell && incoming->message.parent_msg_id() == id;
  }
  CHECK(replied);
  {
    // ...and a client without the server key (it has the HMAC key) gets none.
    protocol::ConnectionInfo plain = protocol::parse_connection_info(written);
    plain.curve_publickey.clear();
    plain.curve_secretkey.clear();
    detail::ZmqConnection intruder(plain);
    CHECK_FALSE(intruder.encrypted());
    intruder.send_request(Channel::shell, "kernel_info_request", json::object());
    CHECK_FALSE(intruder.receive(1500ms).has_value());
    CHECK_FALSE(intruder.heartbeat(300ms));
  }
  kernel->shutdown(20s);
  CHECK_FALSE(fs::exists(folder));
  CHECK(nbexec_test::files_in(runtime.path()).empty());
}
