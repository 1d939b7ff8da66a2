#include <nbexec/error.hpp>
#include <nbexec/protocol/channel.hpp>
#include <nbexec/protocol/message.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <regex>
#include <set>
#include <string>

using nbexec::ProtocolError;
using nbexec::protocol::Channel;
using nbexec::protocol::channel_name;
using nbexec::protocol::iso8601_now;
using nbexec::protocol::json;
using nbexec::protocol::make_message;
using nbexec::protocol::Message;
using nbexec::protocol::new_msg_id;

TEST_CASE("new_msg_id is random UUID4 text", "[protocol]") {
  const std::regex uuid4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_msg_id();
    CHECK(std::regex_match(id, uuid4));
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("iso8601_now writes UTC with microseconds and Z", "[protocol]") {
  const std::regex form(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$)");
  const auto before = std::chrono::system_clock::now();
  const std::string now = iso8601_now();
  REQUIRE(std::regex_match(now, form));
  // Read it back as UTC with the C library and compare with the clock: a local-time or
  // off-by-one-month bug would be hours or weeks away.
  std::tm utc{};
  long micros = 0;
  REQUIRE(std::sscanf(now.c_str(), "%d-%d-%dT%d:%d:%d.%ldZ", &utc.tm_year, &utc.tm_mon,
                      &utc.tm_mday, &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &micros) == 7);
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  const auto parsed =
      std::chrono::system_clock::from_time_t(timegm(&utc)) + std::chrono::microseconds(micros);
  const auto skew = std::chrono::duration_cast<std::chrono::milliseconds>(parsed - before);
  CHECK(skew.count() > -1000);
  CHECK(skew.count() < 2000);
  CHECK(iso8601_now() >= now);
}

TEST_CASE("make_message writes the header jupyter_client's Session.msg_header writes",
          "[protocol]") {
  const Message message =
      make_message("execute_request", json{{"code", "1+1"}}, "sess-42", "carol");
  CHECK(message.header.size() == 6);
  CHECK(message.header["msg_type"] == "execute_request");
  CHECK(message.header["session"] == "sess-42");
  CHECK(message.header["username"] == "carol");
  CHECK(message.header["version"] == "5.3");
  CHECK(message.header["msg_id"].get<std::string>().size() == 36);
  CHECK(message.header["date"].get<std::string>().back() == 'Z');
  CHECK(message.msg_type() == "execute_request");
  CHECK(message.msg_id() == message.header["msg_id"]);
  CHECK(message.parent_header == json::object());
  CHECK(message.metadata == json::object());
  CHECK(message.content == json{{"code", "1+1"}});
  CHECK(message.identities.empty());
  CHECK(message.buffers.empty());
  CHECK(make_message("kernel_info_request", {}, "s").header["username"] == "nbexec");
  CHECK(make_message("a", {}, "s").msg_id() != make_message("a", {}, "s").msg_id());
}

TEST_CASE("make_message takes null content as {} and refuses non-objects", "[protocol]") {
  CHECK(make_message("kernel_info_request", nullptr, "s").content == json::object());
  CHECK_THROWS_AS(make_message("execute_request", json::array(), "s"), ProtocolError);
  CHECK_THROWS_WITH(make_message("execute_request", "code", "s"),
                    Catch::Contains("execute_request") && Catch::Contains("object"));
}

TEST_CASE("Message accessors tolerate missing or mistyped fields", "[protocol]") {
  Message message;
  CHECK(message.msg_type().empty());
  CHECK(message.msg_id().empty());
  CHECK(message.parent_msg_id().empty());
  message.header = json{{"msg_type", 5}, {"msg_id", "x"}};
  message.parent_header = json::array();
  CHECK(message.msg_type().empty());
  CHECK(message.msg_id() == "x");
  CHECK(message.parent_msg_id().empty());
  message.parent_header = json{{"msg_id", "p"}};
  CHECK(message.parent_msg_id() == "p");
}

TEST_CASE("channel names are jupyter_client's", "[protocol]") {
  CHECK(channel_name(Channel::shell) == "shell");
  CHECK(channel_name(Channel::iopub) == "iopub");
  CHECK(channel_name(Channel::stdin_channel) == "stdin");
  CHECK(channel_name(Channel::control) == "control");
  CHECK(channel_name(Channel::heartbeat) == "hb");
}
