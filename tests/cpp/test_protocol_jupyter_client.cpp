// Frames produced by the real jupyter_client (8.10) Session, pasted verbatim, so nbexec is
// checked against the reference implementation and not only against itself.
#include <nbexec/error.hpp>

#include "protocol/wire.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace std::string_literals;
using nbexec::ProtocolError;
using nbexec::protocol::decode_message;
using nbexec::protocol::encode_message;
using nbexec::protocol::json;
using nbexec::protocol::Signer;

namespace {

// Generated with:
//   s = Session(key=b"0123456789abcdef0123456789abcdef", signature_scheme="hmac-sha256",
//               session="4f1c2a9e-6b1d4c0f8e2a7b3c5d6e7f80", username="alice")
//   parent = s.msg("execute_request", content={"code": "1+1"})
//   msg = s.msg("execute_result", content={"execution_count": 3,
//               "data": {"text/plain": "'héllo ✓ 日本'"}, "metadata": {}},
//               parent=parent, metadata={"started": "x"})
//   s.serialize(msg, ident=[b"kernel-ident-1", b"\x00\x80\xff"]) + [b"\x00\x01\xffbinary"]
// (orjson packer, jupyter_client's default when orjson is installed).
const std::vector<std::string> orjson_frames{
    "kernel-ident-1",
    "\x00\x80\xff"s,
    "<IDS|MSG>",
    "3b896cc8b4e0d6779ba579aeaa58a72ae87884c18d128864b19b8a112537f842",
    R"({"msg_id":"4f1c2a9e-6b1d4c0f8e2a7b3c5d6e7f80_7936_1","msg_type":"execute_result",)"
    R"("username":"alice","session":"4f1c2a9e-6b1d4c0f8e2a7b3c5d6e7f80",)"
    R"("date":"2026-11-29T11:12:03.187970Z","version":"5.4"})",
    R"({"msg_id":"4f1c2a9e-6b1d4c0f8e2a7b3c5d6e7f80_7936_0","msg_type":"execute_request",)"
    R"("username":"alice","session":"4f1c2a9e-6b1d4c0f8e2a7b3c5d6e7f80",)"
    R"("date":"2026-11-29T11:12:03.187919Z","version":"5.4"})",
    R"({"started":"x"})",
    "{\"execution_count\":3,\"data\":{\"text/plain\":\"'h\xc3\xa9llo \xe2\x9c\x93 "
    "\xe6\x97\xa5\xe6\x9c\xac'\"},\"metadata\":{}}",
    "\x00\x01\xff"
    "binary"s,
};

// Generated with Session(key=b"0123456789abcdef0123456789abcdef", signature_scheme=
// "hmac-sha512", session="sess-json-packer", username="bob", packer="json",
// unpacker="json").serialize(s.msg("status", content={"execution_state": "idle",
// "note": "café"})): the stdlib json packer, which puts spaces after ',' and ':'.
const std::vector<std::string> json_frames{
    "<IDS|MSG>",
    "b3d660e15f9eb50d4f52a440a46506ac75d773a68477fb1094c3f95a00ff62c4068fb81e645221a87569e86cbd"
    "74e86d2fa5d2fe2594255d7a8b6b38b4664733",
    R"({"msg_id": "sess-json-packer_8027_0", "msg_type": "status", "username": "bob", )"
    R"("session": "sess-json-packer", "date": "2026-11-29T11:12:08.073081Z", "version": "5.4"})",
    "{}",
    "{}",
    "{\"execution_state\": \"idle\", \"note\": \"caf\xc3\xa9\"}",
};

const std::string key = "0123456789abcdef0123456789abcdef";

}  // namespace

TEST_CASE("a message serialized by jupyter_client decodes and verifies", "[protocol]") {
  Signer signer("hmac-sha256", key);
  const auto message = decode_message(orjson_frames, signer);
  CHECK(message.identities == std::vector<std::string>{"kernel-ident-1", "\x00\x80\xff"s});
  CHECK(message.msg_type() == "execute_result");
  CHECK(message.msg_id() == "4f1c2a9e-6b1d4c0f8e2a7b3c5d6e7f80_7936_1");
  CHECK(message.parent_msg_id() == "4f1c2a9e-6b1d4c0f8e2a7b3c5d6e7f80_7936_0");
  CHECK(message.header["username"] == "alice");
  CHECK(message.header["date"] == "2026-11-29T11:12:03.187970Z");
  CHECK(message.metadata == json{{"started", "x"}});
  CHECK(message.content["execution_count"] == 3);
  CHECK(message.content["data"]["text/plain"] ==
        "'h\xc3\xa9llo \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac'");
  CHECK(message.buffers == std::vector<std::string>{"\x00\x01\xff"
                                                    "binary"s});

  // Re-encoding gives the same dicts; nbexec writes keys sorted (nlohmann::json is ordered by
  // key), so the bytes match where jupyter_client's insertion order was sorted already. The
  // signature is over nbexec's own bytes and still verifies.
  const auto again = encode_message(message, signer);
  CHECK(json::parse(again[4]) == json::parse(orjson_frames[4]));
  CHECK(json::parse(again[5]) == json::parse(orjson_frames[5]));
  CHECK(again[6] == orjson_frames[6]);
  CHECK(json::parse(again[7]) == json::parse(orjson_frames[7]));
  CHECK(again[8] == orjson_frames[8]);
  CHECK_NOTHROW(decode_message(again, signer));
}

TEST_CASE("a jupyter_client message with the stdlib json packer verifies", "[protocol]") {
  Signer signer("hmac-sha512", key);
  const auto message = decode_message(json_frames, signer);
  CHECK(message.msg_type() == "status");
  CHECK(message.content["note"] == "caf\xc3\xa9");
  // The signature covers the raw bytes: re-spacing the JSON would break it.
  auto respaced = json_frames;
  respaced[5] = "{\"execution_state\":\"idle\",\"note\":\"caf\xc3\xa9\"}";
  CHECK_THROWS_AS(decode_message(respaced, signer), ProtocolError);
}

TEST_CASE("a jupyter_client message fails with the wrong key or scheme", "[protocol]") {
  CHECK_THROWS_WITH(decode_message(orjson_frames, Signer("hmac-sha256", key + "0")),
                    Catch::Contains("invalid signature"));
  CHECK_THROWS_WITH(decode_message(orjson_frames, Signer("hmac-sha512", key)),
                    Catch::Contains("characters"));
  CHECK_THROWS_WITH(decode_message(orjson_frames, Signer("hmac-sha3_256", key)),
                    Catch::Contains("invalid signature"));
}
