// Multipart messages as a kernel (or anyone on its ports) might send them.
//
// Input: one flags byte, then frames, each a 4-byte little-endian length and that many bytes
// (a length past the end takes the rest). Flags: bit 0 has the target sign the frames itself
// (with the scheme bits 2-5 pick), so mutations of the dicts get past verification into the
// JSON parsing; otherwise the signature frame is used as given, with hmac-sha256 and the
// fixed key make_seeds.py signs with (bit 1: an unsigned connection instead). Bits 6-7 and
// the frames also drive a ReplayGuard of tiny capacity against a plain model of it.
//
// Asserts: only ProtocolError escapes decoding; a decoded message is re-encoded and decoded to
// the same message; a verified message decoded a second time through the same ReplayGuard is
// refused; a signature verifies and a one-character change of it does not; the guard
// remembers exactly what the model does.

#include <nbexec/error.hpp>

#include "protocol/replay_guard.hpp"
#include "protocol/signer.hpp"
#include "protocol/wire.hpp"

#include <algorithm>
#include <array>
#include <deque>

#include "fuzz_support.hpp"

namespace {

namespace protocol = nbexec::protocol;

constexpr std::string_view fixed_key = "fuzz-key-3f2a9c";

constexpr std::array<const char*, 12> schemes{"hmac-sha256",   "hmac-md5",      "hmac-sha1",
                                              "hmac-sha224",   "hmac-sha384",   "hmac-sha512",
                                              "hmac-sha3_224", "hmac-sha3_256", "hmac-sha3_384",
                                              "hmac-sha3_512", "hmac-blake2b",  "hmac-blake2s"};

std::vector<std::string> split_frames(std::string_view rest) {
  std::vector<std::string> frames;
  while (!rest.empty() && frames.size() < 64) {
    std::size_t length = 0;
    for (std::size_t i = 0; i < 4 && i < rest.size(); ++i)
      length |= static_cast<std::size_t>(static_cast<unsigned char>(rest[i])) << (8 * i);
    rest.remove_prefix(std::min<std::size_t>(4, rest.size()));
    length = std::min(length, rest.size());
    frames.emplace_back(rest.substr(0, length));
    rest.remove_prefix(length);
  }
  return frames;
}

// Where the signature frame sits, or frames.size() when the message is too short to sign.
std::size_t signature_index(const std::vector<std::string>& frames) {
  const auto delimiter = std::find(frames.begin(), frames.end(), protocol::wire_delimiter);
  if (delimiter == frames.end() || frames.end() - delimiter < 6) return frames.size();
  return static_cast<std::size_t>(delimiter - frames.begin()) + 1;
}

std::vector<std::string_view> dict_views(const std::vector<std::string>& frames, std::size_t at) {
  return {frames[at + 1], frames[at + 2], frames[at + 3], frames[at + 4]};
}

void check_signer(const protocol::Signer& signer, const std::vector<std::string_view>& parts) {
  if (!signer.enabled()) return;
  std::string signature = signer.sign(parts);
  NBEXEC_FUZZ_CHECK(signature.size() == signer.signature_length(), signature);
  NBEXEC_FUZZ_CHECK(signer.verify(signature, parts), signature);
  signature[signature.size() / 2] = signature[signature.size() / 2] == '0' ? '1' : '0';
  NBEXEC_FUZZ_CHECK(!signer.verify(signature, parts), signature);
  NBEXEC_FUZZ_CHECK(!signer.verify(signature.substr(1), parts), signature);
}

bool same_message(const protocol::Message& a, const protocol::Message& b) {
  return a.identities == b.identities && a.header == b.header &&
         a.parent_header == b.parent_header && a.metadata == b.metadata && a.content == b.content &&
         a.buffers == b.buffers;
}

// The guard's promise in the plainest terms: a bounded history, the oldest tenth (or the
// excess) forgotten when it overflows.
void check_replay_guard(std::size_t capacity, const std::vector<std::string>& frames) {
  protocol::ReplayGuard guard(capacity);
  std::deque<std::string> model;
  for (const std::string& frame : frames) {
    for (std::size_t start = 0; start < frame.size() || start == 0; start += 3) {
      const std::string signature = frame.substr(start, 3);
      const bool expected = signature.empty() || capacity == 0 ||
                            std::find(model.begin(), model.end(), signature) == model.end();
      if (expected && !signature.empty() && capacity != 0) {
        model.push_back(signature);
        if (model.size() > capacity) {
          const std::size_t n = std::max(model.size() / 10, model.size() - capacity);
          model.erase(model.begin(), model.begin() + static_cast<std::ptrdiff_t>(n));
        }
      }
      NBEXEC_FUZZ_CHECK(guard.check_and_remember(signature) == expected, signature);
      NBEXEC_FUZZ_CHECK(guard.size() == model.size(), signature);
      NBEXEC_FUZZ_CHECK(capacity == 0 || guard.size() <= capacity, signature);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned flags = data[0];
  std::vector<std::string> frames = split_frames(nbexec::fuzz::as_text(data + 1, size - 1));

  const bool self_signed = (flags & 1) != 0;
  const bool unsigned_connection = (flags & 2) != 0;
  const char* scheme = self_signed ? schemes[((flags >> 2) & 15) % schemes.size()] : schemes[0];
  const protocol::Signer signer(scheme, unsigned_connection ? "" : std::string(fixed_key));

  const std::size_t at = signature_index(frames);
  if (at < frames.size()) {
    check_signer(signer, dict_views(frames, at));
    if (self_signed) frames[at] = signer.sign(dict_views(frames, at));
  }

  check_replay_guard((flags >> 6) * 3, frames);

  protocol::Message message;
  try {
    message = protocol::decode_message(frames, signer);
  } catch (const nbexec::ProtocolError&) {
    return 0;
  }
  NBEXEC_FUZZ_CHECK(message.header.at("msg_id").is_string(), message.header.dump());
  NBEXEC_FUZZ_CHECK(message.header.at("msg_type").is_string(), message.header.dump());

  // What nbexec would send back for it decodes to the same message.
  std::vector<std::string> encoded;
  try {
    encoded = protocol::encode_message(message, signer);
  } catch (const nbexec::ProtocolError& error) {
    NBEXEC_FUZZ_CHECK(false, std::string("decoded message does not re-encode: ") + error.what());
  }
  const protocol::Message again = protocol::decode_message(encoded, signer);
  NBEXEC_FUZZ_CHECK(same_message(message, again), message.content.dump());

  // The first delivery passes the guard, the replay does not (unsigned: both pass).
  protocol::ReplayGuard guard(4);
  (void)protocol::decode_message(frames, signer, guard);
  bool replay_refused = false;
  try {
    (void)protocol::decode_message(frames, signer, guard);
  } catch (const nbexec::ProtocolError&) {
    replay_refused = true;
  }
  NBEXEC_FUZZ_CHECK(replay_refused == signer.enabled(), scheme);
  return 0;
}
