// Hostile connection files (issue 8's corpus, the API/kernel-layer input): every field of a
// connection file given a value of every JSON type and some hostile strings. Each either
// parses or ends in a ProtocolError naming the field; nothing else escapes.
// test_protocol_connection_info.cpp has the ordinary cases.
#include <nbexec/error.hpp>

#include "protocol/connection_info.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <string>
#include <vector>

using nbexec::ProtocolError;
using nbexec::protocol::parse_connection_info;
using json = nlohmann::json;

TEST_CASE("every connection-file field with every JSON type parses or names the field",
          "[protocol][hostile]") {
  const json good = {
      {"shell_port", 50001},     {"iopub_port", 50002}, {"stdin_port", 50003},
      {"control_port", 50005},   {"hb_port", 50004},    {"ip", "127.0.0.1"},
      {"key", "a0b1c2d3"},       {"transport", "tcp"},  {"signature_scheme", "hmac-sha256"},
      {"kernel_name", "python3"}};
  REQUIRE_NOTHROW(parse_connection_info(good));
  const std::vector<json> values = {
      nullptr,
      true,
      0,
      -1,
      65536,
      std::numeric_limits<std::int64_t>::max(),
      std::numeric_limits<std::uint64_t>::max(),
      1.5,
      std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::quiet_NaN(),
      "",
      std::string("a\0b", 3),
      std::string(1 << 20, 'k'),
      json::array(),
      json::array({1}),
      json::object(),
      json::parse(std::string(500, '[') + std::string(500, ']')),
  };
  int refused = 0;
  for (const auto& [field, original] : good.items()) {
    for (const auto& value : values) {
      json document = good;
      document[field] = value;
      INFO(field << " = " << value.dump().substr(0, 80));
      try {
        parse_connection_info(document);
      } catch (const ProtocolError& e) {
        ++refused;
        CHECK_THAT(std::string(e.what()), Catch::Contains(field));
      }
    }
  }
  // Every port refuses everything but 1..65535 (1.5 included); each string field at least the
  // non-strings.
  CHECK(refused > 100);
  for (const json& root : {json(nullptr), json(7), json("x"), json::array({good})}) {
    CHECK_THROWS_AS(parse_connection_info(root), ProtocolError);
  }
}
