#include <nbexec/error.hpp>

#include "protocol/wire.hpp"

#include <catch2/catch.hpp>

#include "protocol/replay_error.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace std::string_literals;
using nbexec::ProtocolError;
using nbexec::protocol::decode_message;
using nbexec::protocol::encode_message;
using nbexec::protocol::json;
using nbexec::protocol::make_message;
using nbexec::protocol::Message;
using nbexec::protocol::ReplayError;
using nbexec::protocol::ReplayGuard;
using nbexec::protocol::Signer;

namespace {

const std::string key = "b4c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5";

Message sample() {
  Message message = make_message(
      "execute_request",
      json{{"code", "print('h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac')"}, {"silent", false}},
      "session-1");
  message.identities = {"client-a", "\x00\x01\xff"s};
  message.parent_header = json{{"msg_id", "parent-1"}};
  message.metadata = json{{"cellId", "c1"}};
  message.buffers = {"\x00raw\xff"s, ""s, "second"};
  return message;
}

// Frames laid out by hand, signed with `signer`, so a test can corrupt one piece at a time.
std::vector<std::string> frames_with(const Signer& signer, std::string header,
                                     std::string content = "{}") {
  return {"<IDS|MSG>", signer.sign({header, "{}", "{}", content}), header, "{}", "{}", content};
}

const std::string good_header = R"({"msg_id":"m1","msg_type":"status"})";

}  // namespace

TEST_CASE("encode_message lays out frames as jupyter_client's Session.serialize", "[protocol]") {
  Signer signer("hmac-sha256", key);
  const Message message = sample();
  const auto frames = encode_message(message, signer);
  REQUIRE(frames.size() == 2 + 1 + 1 + 4 + 3);
  CHECK(frames[0] == "client-a");
  CHECK(frames[1] == "\x00\x01\xff"s);
  CHECK(frames[2] == "<IDS|MSG>");
  CHECK(frames[3] == signer.sign({frames[4], frames[5], frames[6], frames[7]}));
  CHECK(json::parse(frames[4]) == message.header);
  CHECK(frames[5] == R"({"msg_id":"parent-1"})");
  CHECK(frames[6] == R"({"cellId":"c1"})");
  // Compact, non-ASCII kept as UTF-8 (jupyter_client's orjson packer writes the same bytes).
  CHECK(frames[7] ==
        "{\"code\":\"print('h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac')\",\"silent\":false}");
  CHECK(frames[8] == "\x00raw\xff"s);
  CHECK(frames[9].empty());
  CHECK(frames[10] == "second");
}

TEST_CASE("encode then decode round-trips identities, dicts and buffers", "[protocol]") {
  for (const char* scheme : {"hmac-sha256", "hmac-md5", "hmac-sha512"}) {
    INFO(scheme);
    Signer signer(scheme, key);
    const Message message = sample();
    const Message back = decode_message(encode_message(message, signer), signer);
    CHECK(back.identities == message.identities);
    CHECK(back.header == message.header);
    CHECK(back.parent_header == message.parent_header);
    CHECK(back.metadata == message.metadata);
    CHECK(back.content == message.content);
    CHECK(back.buffers == message.buffers);
    CHECK(back.msg_type() == "execute_request");
    CHECK(back.parent_msg_id() == "parent-1");
  }
}

TEST_CASE("unsigned connections send an empty signature and accept any", "[protocol]") {
  Signer unsigned_signer("hmac-sha256", "");
  auto frames = encode_message(sample(), unsigned_signer);
  CHECK(frames[3].empty());
  CHECK(decode_message(frames, unsigned_signer).msg_type() == "execute_request");
  frames[3] = "whatever";  // jupyter_client ignores the signature frame without a key
  CHECK_NOTHROW(decode_message(frames, unsigned_signer));
  // A signed connection refuses the unsigned message.
  frames[3] = "";
  CHECK_THROWS_WITH(decode_message(frames, Signer("hmac-sha256", key)),
                    Catch::Contains("unsigned"));
}

TEST_CASE("decode_message finds the delimiter by scanning", "[protocol]") {
  Signer signer("hmac-sha256", key);
  auto frames = frames_with(signer, good_header);
  CHECK(decode_message(frames, signer).identities.empty());
  std::vector<std::string> many{"a", "b", "c", "d"};
  many.insert(many.end(), frames.begin(), frames.end());
  CHECK(decode_message(many, signer).identities == std::vector<std::string>{"a", "b", "c", "d"});
}

TEST_CASE("decode_message rejects malformed framing", "[protocol]") {
  Signer signer("hmac-sha256", key);
  auto frames = frames_with(signer, good_header);

  SECTION("no delimiter") {
    frames[0] = "<IDS|MSG";
    CHECK_THROWS_WITH(decode_message(frames, signer), Catch::Contains("delimiter"));
    CHECK_THROWS_AS(decode_message({}, signer), ProtocolError);
  }
  SECTION("too few frames after the delimiter") {
    frames.pop_back();
    CHECK_THROWS_WITH(decode_message(frames, signer), Catch::Contains("4 frames"));
    CHECK_THROWS_AS(decode_message({"<IDS|MSG>"}, signer), ProtocolError);
  }
}

TEST_CASE("decode_message rejects bad signatures", "[protocol]") {
  Signer signer("hmac-sha256", key);
  auto frames = frames_with(signer, good_header);
  REQUIRE_NOTHROW(decode_message(frames, signer));

  SECTION("one bit flipped") {
    frames[1][5] = static_cast<char>(frames[1][5] ^ 0x01);
    CHECK_THROWS_WITH(decode_message(frames, signer), Catch::Contains("invalid signature"));
  }
  SECTION("wrong length") {
    frames[1].pop_back();
    CHECK_THROWS_WITH(decode_message(frames, signer),
                      Catch::Contains("63 characters") && Catch::Contains("expected 64"));
    frames[1] += "00";
    CHECK_THROWS_WITH(decode_message(frames, signer), Catch::Contains("65 characters"));
  }
  SECTION("not hex") {
    frames[1][0] = 'z';
    CHECK_THROWS_WITH(decode_message(frames, signer), Catch::Contains("hex"));
  }
  SECTION("tampered header") {
    frames[2] = R"({"msg_id":"m1","msg_type":"shutdown_request"})";
    CHECK_THROWS_WITH(decode_message(frames, signer), Catch::Contains("invalid signature"));
  }
  SECTION("tampered content, metadata or parent") {
    for (std::size_t i = 3; i <= 5; ++i) {
      auto copy = frames;
      copy[i] = R"({"x":1})";
      CHECK_THROWS_WITH(decode_message(copy, signer), Catch::Contains("invalid signature"));
    }
  }
  SECTION("wrong key") {
    CHECK_THROWS_WITH(decode_message(frames, Signer("hmac-sha256", "other")),
                      Catch::Contains("invalid signature"));
  }
  SECTION("buffers are carried but not signed") {
    frames.push_back("buffer");
    CHECK(decode_message(frames, signer).buffers == std::vector<std::string>{"buffer"});
  }
}

TEST_CASE("decode_message verifies before it parses JSON", "[protocol]") {
  Signer signer("hmac-sha256", key);
  const std::string not_json = R"({"msg_id": "m1", "msg_type": )";
  auto frames = frames_with(signer, not_json);
  // Correctly signed garbage reaches the parser ...
  CHECK_THROWS_WITH(decode_message(frames, signer),
                    Catch::Contains("header frame is not valid UTF-8 JSON"));
  // ... but with a wrong signature it is refused before any parsing happens.
  frames[1][0] = frames[1][0] == 'a' ? 'b' : 'a';
  CHECK_THROWS_WITH(decode_message(frames, signer), Catch::Contains("invalid signature"));
}

TEST_CASE("decode_message rejects dict frames that are not JSON objects", "[protocol]") {
  Signer signer("hmac-sha256", key);
  CHECK_THROWS_WITH(decode_message(frames_with(signer, good_header, "[1, 2]"), signer),
                    Catch::Contains("content frame must be a JSON object, got array"));
  CHECK_THROWS_WITH(decode_message(frames_with(signer, "\"text\""), signer),
                    Catch::Contains("header frame must be a JSON object, got string"));
  CHECK_THROWS_WITH(decode_message(frames_with(signer, "{}"), signer), Catch::Contains("msg_id"));
  CHECK_THROWS_WITH(decode_message(frames_with(signer, R"({"msg_id":"m","msg_type":7})"), signer),
                    Catch::Contains("msg_type"));
  CHECK_THROWS_WITH(decode_message(frames_with(signer, good_header, ""), signer),
                    Catch::Contains("content frame is not valid"));
}

TEST_CASE("decode_message rejects invalid UTF-8 and keeps error text printable", "[protocol]") {
  Signer signer("hmac-sha256", key);
  const std::string bad_utf8 = "{\"text\":\"\xff\xfe\x1b[31m\"}";
  try {
    decode_message(frames_with(signer, good_header, bad_utf8), signer);
    FAIL("expected ProtocolError");
  } catch (const ProtocolError& e) {
    const std::string what = e.what();
    CHECK_THAT(what, Catch::Contains("content frame is not valid UTF-8 JSON"));
    for (char c : what) {
      CHECK((static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f));
    }
  }
}

TEST_CASE("encode_message refuses what the other side could not read", "[protocol]") {
  Signer signer("hmac-sha256", key);
  Message message = sample();
  message.content = json::array({1, 2});
  CHECK_THROWS_WITH(encode_message(message, signer),
                    Catch::Contains("content must be a JSON object"));
  message = sample();
  message.metadata = json{{"bad", "\xc3("}};
  CHECK_THROWS_WITH(encode_message(message, signer),
                    Catch::Contains("metadata") && Catch::Contains("UTF-8"));
  message = sample();
  message.header = nullptr;
  CHECK_THROWS_AS(encode_message(message, signer), ProtocolError);
}

TEST_CASE("decode_message with a ReplayGuard rejects a replayed message", "[protocol]") {
  Signer signer("hmac-sha256", key);
  ReplayGuard guard;
  const auto frames = encode_message(sample(), signer);
  CHECK_NOTHROW(decode_message(frames, signer, guard));
  CHECK_THROWS_WITH(decode_message(frames, signer, guard), Catch::Contains("replayed"));
  // A different message passes; forged ones never reach the history.
  CHECK_NOTHROW(decode_message(encode_message(sample(), signer), signer, guard));
  auto forged = encode_message(sample(), signer);
  forged[3][0] = forged[3][0] == 'a' ? 'b' : 'a';
  CHECK_THROWS_WITH(decode_message(forged, signer, guard), Catch::Contains("invalid signature"));
  CHECK(guard.size() == 2);
  // Without a key there is nothing to remember.
  Signer unsigned_signer("hmac-sha256", "");
  const auto plain = encode_message(sample(), unsigned_signer);
  CHECK_NOTHROW(decode_message(plain, unsigned_signer, guard));
  CHECK_NOTHROW(decode_message(plain, unsigned_signer, guard));
  CHECK(guard.size() == 2);
}

TEST_CASE("a replayed message is told apart by its type and not by its text", "[protocol]") {
  Signer signer("hmac-sha256", key);
  ReplayGuard guard;
  const auto frames = encode_message(sample(), signer);
  decode_message(frames, signer, guard);
  CHECK_THROWS_AS(decode_message(frames, signer, guard), ReplayError);
  CHECK_THROWS_WITH(decode_message(frames, signer, guard),
                    "rejected message: duplicate signature (a replayed message)");
  // A signed message whose header quotes the word is malformed, not replayed: the parse error
  // repeats the frame's text.
  std::vector<std::string> quoting = frames;
  const auto delimiter = std::find(quoting.begin(), quoting.end(), "<IDS|MSG>") - quoting.begin();
  const auto at = static_cast<std::size_t>(delimiter);
  quoting[at + 2] = "\"replayed";
  quoting[at + 1] =
      signer.sign({quoting[at + 2], quoting[at + 3], quoting[at + 4], quoting[at + 5]});
  bool typed_as_replay = false;
  std::string reason;
  try {
    decode_message(quoting, signer, guard);
  } catch (const ReplayError&) {
    typed_as_replay = true;
  } catch (const ProtocolError& e) {
    reason = e.what();
  }
  CHECK_FALSE(typed_as_replay);
  CHECK_THAT(reason, Catch::Contains("not valid UTF-8 JSON") && Catch::Contains("replayed"));
}
