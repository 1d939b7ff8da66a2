// Hostile or broken input must end in a ProtocolError, never in a crash or another exception.
#include <nbexec/error.hpp>

#include "protocol/wire.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using nbexec::ProtocolError;
using nbexec::protocol::decode_message;
using nbexec::protocol::encode_message;
using nbexec::protocol::json;
using nbexec::protocol::make_message;
using nbexec::protocol::Signer;

namespace {

std::vector<std::string> frames_with(const Signer& signer, const std::string& content) {
  const std::string header = R"({"msg_id":"m1","msg_type":"status"})";
  return {"<IDS|MSG>", signer.sign({header, "{}", "{}", content}), header, "{}", "{}", content};
}

std::string nested(std::size_t depth) {
  return "{\"a\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
}

}  // namespace

TEST_CASE("decode_message bounds JSON nesting instead of overflowing the stack", "[protocol]") {
  Signer signer("hmac-sha256", "key");
  CHECK(decode_message(frames_with(signer, nested(1000)), signer).content.contains("a"));
  CHECK_THROWS_WITH(decode_message(frames_with(signer, nested(1001)), signer),
                    Catch::Contains("content frame nests deeper than 1000 levels"));
  CHECK_THROWS_AS(decode_message(frames_with(signer, nested(1000000)), signer), ProtocolError);
  // Brackets inside strings, escaped quotes included, are text and do not count.
  const std::string text = std::string(5000, '[') + "\\\"" + std::string(5000, '{');
  const auto message = decode_message(frames_with(signer, "{\"s\":\"" + text + "\"}"), signer);
  CHECK(message.content["s"].get<std::string>().size() == 10001);
}

TEST_CASE("decode_message turns every JSON failure into ProtocolError", "[protocol]") {
  Signer signer("hmac-sha256", "key");
  // nlohmann reports 1e999 as out_of_range, not parse_error.
  CHECK_THROWS_AS(decode_message(frames_with(signer, R"({"a":1e999})"), signer), ProtocolError);
  CHECK_THROWS_AS(decode_message(frames_with(signer, R"({"a":NaN})"), signer), ProtocolError);
  CHECK_THROWS_AS(decode_message(frames_with(signer, R"({"a":1} trailing)"), signer),
                  ProtocolError);
  // A raw control character (here NUL) inside a string is not JSON.
  const std::string raw_nul("{\"a\":\"\0\"}", 9);
  CHECK_THROWS_AS(decode_message(frames_with(signer, raw_nul), signer), ProtocolError);
}

TEST_CASE("randomly corrupted frames only ever raise ProtocolError", "[protocol]") {
  Signer signed_connection("hmac-sha256", "key");
  // Unsigned, so corrupted JSON reaches the parser instead of failing the signature check.
  Signer unsigned_connection("hmac-sha256", "");
  auto message = make_message(
      "execute_request",
      json{{"code", "x = [1, {\"k\": \"\xc3\xa9\"}]"}, {"user_expressions", json::object()}},
      "session");
  message.identities = {"id"};
  message.buffers = {"buf"};

  std::mt19937 random(20261129);  // fixed seed: failures reproduce
  int decoded = 0;
  int rejected = 0;
  for (const Signer* signer : {&signed_connection, &unsigned_connection}) {
    const auto original = encode_message(message, *signer);
    for (int round = 0; round < 3000; ++round) {
      auto frames = original;
      const int edits = 1 + static_cast<int>(random() % 3);
      for (int e = 0; e < edits; ++e) {
        auto& frame = frames[random() % frames.size()];
        switch (random() % 4) {
          case 0:
            if (!frame.empty()) {
              frame[random() % frame.size()] ^= static_cast<char>(1 << (random() % 8));
            }
            break;
          case 1:
            frame.resize(frame.empty() ? 0 : random() % frame.size());
            break;
          case 2:
            frame.insert(frame.begin() + static_cast<long>(random() % (frame.size() + 1)),
                         static_cast<char>(random() % 256));
            break;
          default:
            frames.erase(frames.begin() + static_cast<long>(random() % frames.size()));
            if (frames.empty()) frames.emplace_back();
            break;
        }
      }
      try {
        decode_message(frames, *signer);
        ++decoded;
      } catch (const ProtocolError&) {
        ++rejected;
      }
      // Any other exception escapes and fails the test.
    }
  }
  CHECK(rejected > 3000);  // nearly every signed mutation is refused
  CHECK(decoded > 0);      // some unsigned mutations (in buffers, identities) still decode
}
