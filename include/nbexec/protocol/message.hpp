#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace nbexec::protocol {

using json = nlohmann::json;

// The messaging-spec version nbexec speaks (jupyter_client's protocol_version).
inline constexpr std::string_view protocol_version = "5.3";

// One Jupyter message: routing identities, the four JSON dicts and raw buffers.
struct Message {
  std::vector<std::string> identities;
  json header = json::object();
  json parent_header = json::object();
  json metadata = json::object();
  json content = json::object();
  std::vector<std::string> buffers;

  std::string msg_type() const;       // header.msg_type or ""
  std::string msg_id() const;         // header.msg_id or ""
  std::string parent_msg_id() const;  // parent_header.msg_id or ""
};

// A new message id (random UUID4 text, as jupyter_client's new_id()).
std::string new_msg_id();

// The current UTC time as jupyter_client writes header dates: "2026-11-29T11:04:06.123456Z".
std::string iso8601_now();

// A request with a header as jupyter_client's Session.msg_header writes it:
// msg_id, msg_type, username, session, date, version.
Message make_message(std::string_view msg_type, json content, std::string_view session,
                     std::string_view username = "nbexec");

}  // namespace nbexec::protocol
