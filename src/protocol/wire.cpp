#include "protocol/wire.hpp"

#include <nbexec/error.hpp>

#include "hex.hpp"
#include "replay_error.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

namespace nbexec::protocol {

namespace {

constexpr std::array<const char*, 4> dict_names{"header", "parent_header", "metadata", "content"};
// signature + the four dicts.
constexpr std::size_t min_frames_after_delimiter = 5;

// nlohmann's parser and dump() recurse per nesting level, so a deep enough document overflows
// the stack. jupyter_client cannot produce such a message anyway (Python's json stops near
// 1000 levels, orjson at 255), so a frame nested deeper than this is refused unparsed.
constexpr std::size_t max_json_depth = 1000;

// Headers are a few hundred bytes; anything near these sizes is garbage or an attack, and is
// refused before it costs an HMAC pass or a parse. Content (images, large text) may be big,
// but not beyond what a notebook can reasonably hold.
constexpr std::size_t max_header_bytes = std::size_t{64} << 10;
constexpr std::size_t max_frame_bytes = std::size_t{512} << 20;

// nlohmann quotes the offending input in its messages; keep them printable ASCII so a bad
// frame cannot smuggle invalid UTF-8 or terminal escapes into logs and Python exceptions.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 200)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte >= 0x20 && byte < 0x7f) ? c : '?';
  }
  return out;
}

std::string pack(const json& dict, const char* name) {
  if (!dict.is_object()) {
    throw ProtocolError(std::string("cannot send message: ") + name +
                        " must be a JSON object, got " + dict.type_name());
  }
  try {
    // ensure_ascii off, like jupyter_client: non-ASCII text travels as UTF-8.
    return dict.dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::exception& e) {
    throw ProtocolError(std::string("cannot send message: ") + name +
                        " holds a string that is not valid UTF-8 (" + printable(e.what()) + ")");
  }
}

// Bracket depth outside string literals; stops counting once past the limit.
bool nested_too_deep(std::string_view frame) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < frame.size(); ++i) {
    const char c = frame[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_json_depth) return true;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return false;
}

json unpack(const std::string& frame, const char* name) {
  if (nested_too_deep(frame)) {
    throw ProtocolError(std::string("malformed message: ") + name + " frame nests deeper than " +
                        std::to_string(max_json_depth) + " levels");
  }
  json value;
  try {
    value = json::parse(frame);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e999
    throw ProtocolError(std::string("malformed message: ") + name +
                        " frame is not valid UTF-8 JSON (" + printable(e.what()) + ")");
  }
  if (!value.is_object()) {
    throw ProtocolError(std::string("malformed message: ") + name +
                        " frame must be a JSON object, got " + value.type_name());
  }
  return value;
}

void require_string(const json& header, const char* key) {
  auto it = header.find(key);
  if (it == header.end() || !it->is_string()) {
    throw ProtocolError(std::string("malformed message: header has no string \"") + key + "\"");
  }
}

void check_signature(std::string_view signature, const std::vector<std::string_view>& dicts,
                     const Signer& signer) {
  if (!signer.enabled()) return;  // jupyter_client ignores the frame when it has no key
  if (signature.empty()) {
    throw ProtocolError("rejected message: it is unsigned but the connection requires " +
                        std::to_string(signer.signature_length()) + "-character HMAC signatures");
  }
  if (signature.size() != signer.signature_length()) {
    throw ProtocolError("rejected message: signature has " + std::to_string(signature.size()) +
                        " characters, expected " + std::to_string(signer.signature_length()));
  }
  if (!detail::is_lower_hex(signature)) {
    throw ProtocolError("rejected message: signature is not lower-case hex");
  }
  if (!signer.verify(signature, dicts)) {
    throw ProtocolError(
        "rejected message: invalid signature (wrong key, or the message was altered)");
  }
}

Message decode(const std::vector<std::string>& frames, const Signer& signer,
               ReplayGuard* replay_guard) {
  const auto delimiter = std::find(frames.begin(), frames.end(), wire_delimiter);
  if (delimiter == frames.end()) {
    throw ProtocolError("malformed message: no \"<IDS|MSG>\" delimiter among " +
                        std::to_string(frames.size()) + " frames");
  }
  const auto body = delimiter + 1;
  const auto after = static_cast<std::size_t>(frames.end() - body);
  if (after < min_frames_after_delimiter) {
    throw ProtocolError("malformed message: " + std::to_string(after) +
                        " frames after \"<IDS|MSG>\", expected at least 5 (signature, header, "
                        "parent_header, metadata, content)");
  }

  for (std::size_t i = 1; i < min_frames_after_delimiter; ++i) {
    const std::size_t limit = i <= 2 ? max_header_bytes : max_frame_bytes;
    if (body[i].size() > limit) {
      throw ProtocolError(std::string("malformed message: ") + dict_names[i - 1] + " frame has " +
                          std::to_string(body[i].size()) + " bytes, more than the " +
                          std::to_string(limit) + " allowed");
    }
  }

  const std::string& signature = body[0];
  check_signature(signature, {body[1], body[2], body[3], body[4]}, signer);
  if (replay_guard != nullptr && signer.enabled() && !replay_guard->check_and_remember(signature)) {
    throw ReplayError("rejected message: duplicate signature (a replayed message)");
  }

  Message message;
  message.identities.assign(frames.begin(), delimiter);
  message.header = unpack(body[1], dict_names[0]);
  message.parent_header = unpack(body[2], dict_names[1]);
  message.metadata = unpack(body[3], dict_names[2]);
  message.content = unpack(body[4], dict_names[3]);
  require_string(message.header, "msg_id");
  require_string(message.header, "msg_type");
  message.buffers.assign(body + min_frames_after_delimiter, frames.end());
  return message;
}

}  // namespace

std::vector<std::string> encode_message(const Message& message, const Signer& signer) {
  std::vector<std::string> frames;
  frames.reserve(message.identities.size() + 2 + dict_names.size() + message.buffers.size());
  frames.insert(frames.end(), message.identities.begin(), message.identities.end());
  frames.emplace_back(wire_delimiter);

  std::array<std::string, 4> dicts{
      pack(message.header, dict_names[0]), pack(message.parent_header, dict_names[1]),
      pack(message.metadata, dict_names[2]), pack(message.content, dict_names[3])};
  frames.push_back(signer.sign({dicts[0], dicts[1], dicts[2], dicts[3]}));
  for (auto& dict : dicts) frames.push_back(std::move(dict));
  frames.insert(frames.end(), message.buffers.begin(), message.buffers.end());
  return frames;
}

Message decode_message(const std::vector<std::string>& frames, const Signer& signer) {
  return decode(frames, signer, nullptr);
}

Message decode_message(const std::vector<std::string>& frames, const Signer& signer,
                       ReplayGuard& replay_guard) {
  return decode(frames, signer, &replay_guard);
}

}  // namespace nbexec::protocol
