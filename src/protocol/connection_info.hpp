#pragma once

#include <nbexec/protocol/channel.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace nbexec::protocol {

// The content of a Jupyter connection file.
struct ConnectionInfo {
  std::string transport = "tcp";
  std::string ip = "127.0.0.1";
  int shell_port = 0;
  int iopub_port = 0;
  int stdin_port = 0;
  int control_port = 0;
  int hb_port = 0;
  std::string key;
  std::string signature_scheme = "hmac-sha256";
  std::string kernel_name;
  // CurveZMQ server key pair (Z85, 40 characters each), as jupyter_client 8.10 writes it when
  // it provisions transport encryption; both empty when the wire is not encrypted.
  std::string curve_publickey;
  std::string curve_secretkey;

  bool curve() const { return !curve_publickey.empty(); }

  // "tcp://127.0.0.1:PORT" for tcp, "ipc://IP-N" for ipc (N the channel's port number).
  std::string endpoint(Channel channel) const;
  int port(Channel channel) const;
};

// The connection file's content; the curve keys only when the info has them.
nlohmann::json to_json(const ConnectionInfo& info);

// True for a 40-character Z85 string (a 32-byte CurveZMQ key).
bool is_z85_key(const std::string& text);

// ip and the five *_port fields (integers 1..65535) are required; transport ("tcp" or "ipc"),
// key, signature_scheme (checked against the schemes Signer knows) and kernel_name default as
// in jupyter_client; curve_publickey and curve_secretkey are read when both are present (each a
// 40-character Z85 string); other fields are ignored.
// Throws ProtocolError naming the missing or mistyped field.
ConnectionInfo parse_connection_info(const nlohmann::json& document);

// A fresh signing key: 256 bits from OpenSSL's CSPRNG as 64 lower-case hex characters.
// Throws ProtocolError if the CSPRNG cannot deliver.
std::string generate_key();

}  // namespace nbexec::protocol
