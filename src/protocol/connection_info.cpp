#include "protocol/connection_info.hpp"

#include <nbexec/error.hpp>

#include "hex.hpp"
#include "protocol/signer.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace nbexec::protocol {

using json = nlohmann::json;

namespace {

constexpr const char* where = "connection file";

[[noreturn]] void fail(const std::string& field, const std::string& problem) {
  throw ProtocolError(std::string(where) + ": field \"" + field + "\" " + problem);
}

const json* find(const json& document, const char* field) {
  auto it = document.find(field);
  return it == document.end() ? nullptr : &*it;
}

std::string optional_string(const json& document, const char* field, std::string fallback) {
  const json* value = find(document, field);
  if (value == nullptr) return fallback;
  if (!value->is_string()) {
    fail(field, std::string("must be a string, got ") + value->type_name());
  }
  return value->get<std::string>();
}

int required_port(const json& document, const char* field) {
  const json* value = find(document, field);
  if (value == nullptr) fail(field, "is missing");
  // Booleans and floats are not ports, even when nlohmann could convert them.
  if (!value->is_number_integer()) {
    fail(field, std::string("must be an integer port number, got ") + value->type_name());
  }
  // Unsigned values above INT64_MAX would wrap in get<int64_t>(), so read each kind as itself.
  bool in_range = false;
  if (value->is_number_unsigned()) {
    const auto number = value->get<std::uint64_t>();
    in_range = number >= 1 && number <= 65535;
  } else {
    const auto number = value->get<std::int64_t>();
    in_range = number >= 1 && number <= 65535;
  }
  if (!in_range) fail(field, "must be between 1 and 65535, got " + value->dump());
  return value->get<int>();
}

}  // namespace

int ConnectionInfo::port(Channel channel) const {
  switch (channel) {
    case Channel::shell:
      return shell_port;
    case Channel::iopub:
      return iopub_port;
    case Channel::stdin_channel:
      return stdin_port;
    case Channel::control:
      return control_port;
    case Channel::heartbeat:
      return hb_port;
  }
  return 0;
}

std::string ConnectionInfo::endpoint(Channel channel) const {
  // As jupyter_client's _make_url: tcp joins with ':', ipc names a file "IP-N".
  const std::string number = std::to_string(port(channel));
  if (transport == "tcp") return "tcp://" + ip + ":" + number;
  return transport + "://" + ip + "-" + number;
}

bool is_z85_key(const std::string& text) {
  // ZeroMQ's Z85 alphabet (rfc.zeromq.org/spec/32).
  static constexpr std::string_view alphabet =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
  if (text.size() != 40) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return alphabet.find(c) != std::string_view::npos; });
}

nlohmann::json to_json(const ConnectionInfo& info) {
  json document{{"transport", info.transport},
                {"ip", info.ip},
                {"shell_port", info.shell_port},
                {"iopub_port", info.iopub_port},
                {"stdin_port", info.stdin_port},
                {"control_port", info.control_port},
                {"hb_port", info.hb_port},
                {"key", info.key},
                {"signature_scheme", info.signature_scheme},
                {"kernel_name", info.kernel_name}};
  if (info.curve()) {
    document["curve_publickey"] = info.curve_publickey;
    document["curve_secretkey"] = info.curve_secretkey;
  }
  return document;
}

ConnectionInfo parse_connection_info(const nlohmann::json& document) {
  if (!document.is_object()) {
    throw ProtocolError(std::string(where) + ": expected a JSON object, got " +
                        document.type_name());
  }
  ConnectionInfo info;
  // jupyter_client only speaks tcp and ipc (its transport trait is CaselessStrEnum, but
  // ZeroMQ endpoints are case sensitive, so only the canonical spelling is accepted).
  info.transport = optional_string(document, "transport", "tcp");
  if (info.transport != "tcp" && info.transport != "ipc") {
    fail("transport", "must be \"tcp\" or \"ipc\", got \"" + info.transport + "\"");
  }
  if (find(document, "ip") == nullptr) fail("ip", "is missing");
  info.ip = optional_string(document, "ip", "");
  if (info.ip.empty()) fail("ip", "must not be empty");
  info.shell_port = required_port(document, "shell_port");
  info.iopub_port = required_port(document, "iopub_port");
  info.stdin_port = required_port(document, "stdin_port");
  info.control_port = required_port(document, "control_port");
  info.hb_port = required_port(document, "hb_port");
  info.key = optional_string(document, "key", "");
  info.signature_scheme = optional_string(document, "signature_scheme", "hmac-sha256");
  if (!is_supported_signature_scheme(info.signature_scheme)) {
    fail("signature_scheme", "names an unsupported scheme \"" + info.signature_scheme +
                                 "\" (expected e.g. \"hmac-sha256\")");
  }
  info.kernel_name = optional_string(document, "kernel_name", "");
  // As jupyter_client's load_connection_info: the pair, or no encryption.
  if (find(document, "curve_publickey") != nullptr &&
      find(document, "curve_secretkey") != nullptr) {
    info.curve_publickey = optional_string(document, "curve_publickey", "");
    info.curve_secretkey = optional_string(document, "curve_secretkey", "");
    for (const char* field : {"curve_publickey", "curve_secretkey"}) {
      const std::string& value = std::string_view(field) == "curve_publickey"
                                     ? info.curve_publickey
                                     : info.curve_secretkey;
      if (!is_z85_key(value)) fail(field, "must be a 40-character Z85 CurveZMQ key");
    }
  }
  return info;
}

std::string generate_key() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw ProtocolError("cannot generate a signing key: OpenSSL's random generator failed");
  }
  std::string key = detail::to_hex(bytes.data(), bytes.size());
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return key;
}

}  // namespace nbexec::protocol
