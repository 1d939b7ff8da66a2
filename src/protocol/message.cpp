#include <nbexec/protocol/message.hpp>

#include <nbexec/error.hpp>

#include "core/json_fields.hpp"
#include "core/utc_time.hpp"
#include "hex.hpp"

#include <openssl/rand.h>

#include <array>
#include <chrono>

namespace nbexec::protocol {

std::string Message::msg_type() const {
  return nbexec::detail::string_field(header, "msg_type");
}
std::string Message::msg_id() const {
  return nbexec::detail::string_field(header, "msg_id");
}
std::string Message::parent_msg_id() const {
  return nbexec::detail::string_field(parent_header, "msg_id");
}

std::string new_msg_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw ProtocolError("cannot create a message id: OpenSSL's random generator failed");
  }
  // RFC 4122 version 4 (random) and variant 10xx, as Python's uuid.uuid4().
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  const std::string hex = detail::to_hex(bytes.data(), bytes.size());
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' +
         hex.substr(16, 4) + '-' + hex.substr(20, 12);
}

std::string iso8601_now() {
  // Always six fractional digits: Python's isoformat() drops them when they are zero, but
  // every ISO 8601 reader (jupyter_client's included) accepts both forms.
  return nbexec::detail::format_utc(std::chrono::system_clock::now(), "Z",
                                    nbexec::detail::Fraction::always);
}

Message make_message(std::string_view msg_type, json content, std::string_view session,
                     std::string_view username) {
  if (content.is_null()) content = json::object();  // Session.msg: content None -> {}
  if (!content.is_object()) {
    throw ProtocolError("content of a \"" + std::string(msg_type) +
                        "\" message must be a JSON object, got " + content.type_name());
  }
  Message message;
  message.header = json{{"msg_id", new_msg_id()},
                        {"msg_type", std::string(msg_type)},
                        {"username", std::string(username)},
                        {"session", std::string(session)},
                        {"date", iso8601_now()},
                        {"version", std::string(protocol_version)}};
  message.content = std::move(content);
  return message;
}

}  // namespace nbexec::protocol
