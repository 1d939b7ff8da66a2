#pragma once

#include <nbexec/protocol/message.hpp>

#include "protocol/replay_guard.hpp"
#include "protocol/signer.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace nbexec::protocol {

inline constexpr std::string_view wire_delimiter = "<IDS|MSG>";

// Frames of one multipart message: identities..., "<IDS|MSG>", signature, header,
// parent_header, metadata, content, buffers...
// The dicts are written as compact UTF-8 JSON (non-ASCII kept, as jupyter_client's packers).
// Throws ProtocolError when a dict is not a JSON object or holds invalid UTF-8.
std::vector<std::string> encode_message(const Message& message, const Signer& signer);

// Splits the frames at the delimiter, checks the signature over the four raw dict frames and
// only then parses them as JSON. Throws ProtocolError saying what was wrong.
Message decode_message(const std::vector<std::string>& frames, const Signer& signer);

// As above, and after the signature verified (before any JSON is parsed) rejects a signature
// the guard has already seen. Use one guard per connection.
Message decode_message(const std::vector<std::string>& frames, const Signer& signer,
                       ReplayGuard& replay_guard);

}  // namespace nbexec::protocol
