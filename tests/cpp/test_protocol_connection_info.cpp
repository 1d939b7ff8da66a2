#include <nbexec/error.hpp>

#include "protocol/connection_info.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>

using nbexec::ProtocolError;
using nbexec::protocol::Channel;
using nbexec::protocol::ConnectionInfo;
using nbexec::protocol::generate_key;
using nbexec::protocol::parse_connection_info;
using nbexec::protocol::to_json;
using json = nlohmann::json;

namespace {

// Written by jupyter_client.connect.write_connection_file(shell_port=50001, iopub_port=50002,
// stdin_port=50003, hb_port=50004, control_port=50005, ip="127.0.0.1", key=b"a0b1c2d3",
// kernel_name="python3").
const char* const jupyter_file = R"({
  "shell_port": 50001,
  "iopub_port": 50002,
  "stdin_port": 50003,
  "control_port": 50005,
  "hb_port": 50004,
  "ip": "127.0.0.1",
  "key": "a0b1c2d3",
  "transport": "tcp",
  "signature_scheme": "hmac-sha256",
  "kernel_name": "python3"
})";

std::string parse_error(const json& document) {
  try {
    parse_connection_info(document);
  } catch (const ProtocolError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a connection file written by jupyter_client parses", "[protocol]") {
  const ConnectionInfo info = parse_connection_info(json::parse(jupyter_file));
  CHECK(info.transport == "tcp");
  CHECK(info.ip == "127.0.0.1");
  CHECK(info.shell_port == 50001);
  CHECK(info.iopub_port == 50002);
  CHECK(info.stdin_port == 50003);
  CHECK(info.control_port == 50005);
  CHECK(info.hb_port == 50004);
  CHECK(info.key == "a0b1c2d3");
  CHECK(info.signature_scheme == "hmac-sha256");
  CHECK(info.kernel_name == "python3");
  // Serializing gives back the same fields jupyter_client wrote.
  CHECK(to_json(info) == json::parse(jupyter_file));
  CHECK(parse_connection_info(to_json(info)).hb_port == 50004);
}

TEST_CASE("endpoints are formed as jupyter_client's _make_url", "[protocol]") {
  ConnectionInfo info = parse_connection_info(json::parse(jupyter_file));
  // jupyter_client: tcp://127.0.0.1:50001 and tcp://127.0.0.1:50004.
  CHECK(info.endpoint(Channel::shell) == "tcp://127.0.0.1:50001");
  CHECK(info.endpoint(Channel::iopub) == "tcp://127.0.0.1:50002");
  CHECK(info.endpoint(Channel::stdin_channel) == "tcp://127.0.0.1:50003");
  CHECK(info.endpoint(Channel::control) == "tcp://127.0.0.1:50005");
  CHECK(info.endpoint(Channel::heartbeat) == "tcp://127.0.0.1:50004");
  CHECK(info.port(Channel::control) == 50005);
  info.transport = "ipc";
  info.ip = "/tmp/kernel-x";
  // jupyter_client: ipc:///tmp/kernel-x-50002.
  CHECK(info.endpoint(Channel::iopub) == "ipc:///tmp/kernel-x-50002");
}

TEST_CASE("optional connection fields take jupyter_client's defaults", "[protocol]") {
  const ConnectionInfo info = parse_connection_info(json{{"ip", "10.0.0.1"},
                                                         {"shell_port", 1},
                                                         {"iopub_port", 2},
                                                         {"stdin_port", 3},
                                                         {"control_port", 4},
                                                         {"hb_port", 65535},
                                                         {"curve_publickey", "ignored"}});
  CHECK(info.transport == "tcp");
  CHECK(info.key.empty());
  CHECK(info.signature_scheme == "hmac-sha256");
  CHECK(info.kernel_name.empty());
  CHECK(info.hb_port == 65535);
}

TEST_CASE("connection file errors name the field", "[protocol]") {
  const json good = json::parse(jupyter_file);
  REQUIRE_NOTHROW(parse_connection_info(good));

  CHECK_THAT(parse_error(json::array()), Catch::Contains("expected a JSON object"));
  for (const char* field :
       {"ip", "shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"}) {
    json missing = good;
    missing.erase(field);
    CHECK_THAT(parse_error(missing),
               Catch::Contains(std::string("\"") + field + "\"") && Catch::Contains("missing"));
  }
  auto with = [&](const char* field, json value) {
    json changed = good;
    changed[field] = std::move(value);
    return parse_error(changed);
  };
  CHECK_THAT(with("shell_port", "50001"),
             Catch::Contains("\"shell_port\"") && Catch::Contains("integer"));
  CHECK_THAT(with("iopub_port", 5.5), Catch::Contains("\"iopub_port\""));
  CHECK_THAT(with("stdin_port", true), Catch::Contains("\"stdin_port\""));
  CHECK_THAT(with("hb_port", 0), Catch::Contains("\"hb_port\"") && Catch::Contains("65535"));
  CHECK_THAT(with("hb_port", -1), Catch::Contains("\"hb_port\""));
  CHECK_THAT(with("control_port", 65536), Catch::Contains("\"control_port\""));
  CHECK_THAT(with("control_port", 1ULL << 40), Catch::Contains("\"control_port\""));
  CHECK_THAT(with("ip", 127), Catch::Contains("\"ip\"") && Catch::Contains("string"));
  CHECK_THAT(with("ip", ""), Catch::Contains("\"ip\"") && Catch::Contains("empty"));
  CHECK_THAT(with("key", nullptr), Catch::Contains("\"key\""));
  CHECK_THAT(with("transport", "udp"), Catch::Contains("\"transport\"") && Catch::Contains("udp"));
  CHECK_THAT(with("signature_scheme", "hmac-sha999"),
             Catch::Contains("\"signature_scheme\"") && Catch::Contains("hmac-sha999"));
  CHECK_THAT(with("kernel_name", json::object()), Catch::Contains("\"kernel_name\""));
}

TEST_CASE("generate_key gives 64 lower-case hex characters, fresh each time", "[protocol]") {
  const std::regex form("^[0-9a-f]{64}$");
  std::set<std::string> keys;
  std::set<char> digits_seen;
  for (int i = 0; i < 200; ++i) {
    const std::string key = generate_key();
    CHECK(std::regex_match(key, form));
    keys.insert(key);
    digits_seen.insert(key.begin(), key.end());
  }
  CHECK(keys.size() == 200);
  // 12800 random hex digits use all sixteen.
  CHECK(digits_seen.size() == 16);
}
