// Hostile frame lists at the wire layer (issue 8's corpus): every truncation of a message, every
// truncation of each dict frame, frames over the size limits, and frame lists made of nothing
// but delimiters or empty frames. Each must end in a ProtocolError that says what was wrong;
// test_protocol_wire_robustness.cpp covers nesting, JSON failures and random corruption.
#include <nbexec/error.hpp>

#include "protocol/wire.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using nbexec::ProtocolError;
using nbexec::protocol::decode_message;
using nbexec::protocol::encode_message;
using nbexec::protocol::json;
using nbexec::protocol::make_message;
using nbexec::protocol::Message;
using nbexec::protocol::Signer;

namespace {

Message sample_message() {
  auto message = make_message(
      "execute_request", json{{"code", "print('\xc3\xa9')"}, {"user_expressions", json::object()}},
      "session");
  message.identities = {"id-1", "id-2"};
  message.buffers = {"buffer-1"};
  return message;
}

// Runs decode_message and returns the ProtocolError text; any other outcome fails the test.
std::string rejection(const std::vector<std::string>& frames, const Signer& signer) {
  try {
    decode_message(frames, signer);
  } catch (const ProtocolError& e) {
    return e.what();
  }
  FAIL("decode_message accepted a hostile frame list");
  return {};
}

// Frames around a dict, signed by `signer` over whatever the dicts are (so size and parse
// checks are reached with a valid signature).
std::vector<std::string> signed_frames(const Signer& signer, const std::string& header,
                                       const std::string& parent, const std::string& metadata,
                                       const std::string& content) {
  return {"<IDS|MSG>", signer.sign({header, parent, metadata, content}), header, parent, metadata,
          content};
}

const std::string good_header = R"({"msg_id":"m1","msg_type":"status"})";

}  // namespace

TEST_CASE("every truncation of a frame list is refused", "[protocol][hostile]") {
  const Signer signer("hmac-sha256", "key");
  const auto frames = encode_message(sample_message(), signer);
  REQUIRE(frames.size() == 9);  // 2 identities, delimiter, signature, 4 dicts, 1 buffer
  REQUIRE_NOTHROW(decode_message(frames, signer));
  // Cut after the last dict the buffer is just gone, which is a valid message; every shorter
  // list lacks the delimiter or one of the five frames after it.
  for (std::size_t keep = 0; keep < frames.size() - 1; ++keep) {
    const std::vector<std::string> cut(frames.begin(), frames.begin() + static_cast<long>(keep));
    const std::string what = rejection(cut, signer);
    INFO("kept " << keep << " frames: " << what);
    CHECK((what.find("delimiter") != std::string::npos ||
           what.find("frames after") != std::string::npos));
  }
  // Dropping any one frame from the delimiter on shifts the rest: refused, never misread.
  for (std::size_t drop = 2; drop < 8; ++drop) {
    auto cut = frames;
    cut.erase(cut.begin() + static_cast<long>(drop));
    INFO("dropped frame " << drop);
    CHECK_FALSE(rejection(cut, signer).empty());
  }
}

TEST_CASE("every truncation of a dict frame is refused with the frame named",
          "[protocol][hostile]") {
  // Unsigned, so a truncated frame reaches the JSON parser instead of the signature check.
  const Signer unsigned_connection("hmac-sha256", "");
  const Signer signed_connection("hmac-sha256", "key");
  const auto message = sample_message();
  const auto full = encode_message(message, unsigned_connection);
  const char* names[] = {"header", "parent_header", "metadata", "content"};
  for (std::size_t dict = 0; dict < 4; ++dict) {
    const std::size_t index = 4 + dict;  // after 2 identities, delimiter and signature
    for (std::size_t length = 0; length < full[index].size(); ++length) {
      auto frames = full;
      frames[index].resize(length);
      const std::string what = rejection(frames, unsigned_connection);
      INFO(names[dict] << " cut to " << length << " bytes: " << what);
      // "{}" is a whole object: a cut header then lacks msg_id.
      CHECK((what.find(names[dict]) != std::string::npos));
      // With a key, the same cut frame fails the signature before any parsing.
      auto resigned = encode_message(message, signed_connection);
      resigned[index].resize(length);
      CHECK_THAT(rejection(resigned, signed_connection), Catch::Contains("invalid signature"));
    }
  }
}

TEST_CASE("frames of nothing but delimiters or empty strings are refused", "[protocol][hostile]") {
  const Signer signer("hmac-sha256", "key");
  const Signer unsigned_connection("hmac-sha256", "");
  CHECK_THAT(rejection({}, signer), Catch::Contains("no \"<IDS|MSG>\" delimiter among 0"));
  CHECK_THAT(rejection(std::vector<std::string>(1000, ""), signer),
             Catch::Contains("delimiter among 1000 frames"));
  CHECK_THAT(rejection(std::vector<std::string>(6, "<IDS|MSG>"), unsigned_connection),
             Catch::Contains("header frame is not valid"));
  std::vector<std::string> empties{"<IDS|MSG>", "", "", "", "", ""};
  CHECK_THAT(rejection(empties, signer), Catch::Contains("unsigned"));
  CHECK_THAT(rejection(empties, unsigned_connection), Catch::Contains("header frame"));
}

TEST_CASE("oversized dict frames are refused by size, before the signature or the parser",
          "[protocol][hostile]") {
  const Signer signer("hmac-sha256", "key");
  const std::size_t header_limit = std::size_t{64} << 10;

  SECTION("a header at the limit is read, one byte more is refused") {
    // A valid header padded with spaces to exactly the limit.
    std::string header = good_header;
    header.insert(header.size() - 1, header_limit - header.size(), ' ');
    REQUIRE(header.size() == header_limit);
    CHECK_NOTHROW(decode_message(signed_frames(signer, header, "{}", "{}", "{}"), signer));
    header.insert(header.size() - 1, " ");
    CHECK_THAT(rejection(signed_frames(signer, header, "{}", "{}", "{}"), signer),
               Catch::Contains("header frame has 65537 bytes, more than the 65536 allowed"));
  }
  SECTION("parent_header has the header's limit") {
    const std::string parent(header_limit + 1, '{');
    CHECK_THAT(rejection(signed_frames(signer, good_header, parent, "{}", "{}"), signer),
               Catch::Contains("parent_header frame has 65537 bytes"));
  }
  SECTION("the size check comes first: a bad signature on an oversized header says size") {
    auto frames = signed_frames(signer, std::string(header_limit + 1, ' '), "{}", "{}", "{}");
    frames[1] = std::string(64, '0');
    CHECK_THAT(rejection(frames, signer), Catch::Contains("more than the 65536 allowed"));
  }
  SECTION("content beyond 512 MiB is refused without hashing or parsing it") {
    // One real allocation of the limit plus a byte; the frame is not even JSON, and the error
    // must still be about its size.
    const std::size_t content_limit = std::size_t{512} << 20;
    std::vector<std::string> frames{"<IDS|MSG>", std::string(64, '0'), good_header, "{}", "{}"};
    frames.emplace_back(content_limit + 1, '[');
    CHECK_THAT(rejection(frames, signer),
               Catch::Contains("content frame has " + std::to_string(content_limit + 1) +
                               " bytes, more than the " + std::to_string(content_limit)));
  }
}

TEST_CASE("dict frames with hostile numbers and escapes are refused or read, never crash",
          "[protocol][hostile]") {
  const Signer signer("hmac-sha256", "");
  // 400 digits overflow a double: nlohmann calls that out of range, which is refused (Python
  // would read an exact int, but no kernel sends one this big).
  const auto big =
      signed_frames(signer, good_header, "{}", "{}", "{\"n\":" + std::string(400, '9') + "}");
  CHECK_THAT(rejection(big, signer), Catch::Contains("content frame is not valid UTF-8 JSON"));
  for (const std::string content :
       {std::string(R"({"s":"\ud800"})"), std::string(R"({"s":"\u0000"})"),
        std::string("{\"s\":\"\xc0\xaf\"}"), std::string("{\"s\":\"\xed\xa0\x80\"}"),
        std::string("\xef\xbb\xbf{}"), std::string("{\"a\":1,\"a\":2}")}) {
    const auto frames = signed_frames(signer, good_header, "{}", "{}", content);
    try {
      const Message message = decode_message(frames, signer);
      CHECK(message.content.is_object());
    } catch (const ProtocolError& e) {
      CHECK_THAT(std::string(e.what()), Catch::Contains("content frame"));
    }
  }
}
