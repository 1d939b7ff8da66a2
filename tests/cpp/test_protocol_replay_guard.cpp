#include "protocol/replay_guard.hpp"

#include <catch2/catch.hpp>

#include <string>

using nbexec::protocol::ReplayGuard;

TEST_CASE("ReplayGuard rejects a signature seen before", "[protocol]") {
  ReplayGuard guard;
  CHECK(guard.capacity() == 65536);  // jupyter_client's digest_history_size
  CHECK(guard.check_and_remember("aa"));
  CHECK(guard.check_and_remember("bb"));
  CHECK_FALSE(guard.check_and_remember("aa"));
  CHECK_FALSE(guard.check_and_remember("bb"));
  CHECK(guard.size() == 2);
}

TEST_CASE("ReplayGuard ignores empty signatures", "[protocol]") {
  ReplayGuard guard;
  CHECK(guard.check_and_remember(""));
  CHECK(guard.check_and_remember(""));
  CHECK(guard.size() == 0);
}

TEST_CASE("ReplayGuard with capacity 0 keeps no history", "[protocol]") {
  ReplayGuard guard(0);
  CHECK(guard.check_and_remember("aa"));
  CHECK(guard.check_and_remember("aa"));
  CHECK(guard.size() == 0);
}

TEST_CASE("ReplayGuard stays bounded and forgets the oldest tenth", "[protocol]") {
  ReplayGuard guard(100);
  for (int i = 0; i < 100; ++i) REQUIRE(guard.check_and_remember("sig-" + std::to_string(i)));
  CHECK(guard.size() == 100);
  // The 101st exceeds the capacity: 101 / 10 = 10 oldest go, as jupyter_client culls.
  CHECK(guard.check_and_remember("sig-100"));
  CHECK(guard.size() == 91);
  for (int i = 10; i <= 100; ++i) {
    INFO(i);
    CHECK_FALSE(guard.check_and_remember("sig-" + std::to_string(i)));  // still remembered
  }
  CHECK(guard.size() == 91);
  for (int i = 0; i < 10; ++i) {
    INFO(i);
    CHECK(guard.check_and_remember("sig-" + std::to_string(i)));  // forgotten, so accepted
  }
  // 91 + 10 = 101 > 100 again: the next oldest tenth (sig-10 .. sig-19) goes.
  CHECK(guard.size() == 91);
  CHECK(guard.check_and_remember("sig-15"));
  CHECK_FALSE(guard.check_and_remember("sig-20"));
  CHECK_FALSE(guard.check_and_remember("sig-9"));

  // Long runs never exceed the bound.
  ReplayGuard big(1000);
  for (int i = 0; i < 20000; ++i) {
    big.check_and_remember(std::to_string(i));
    REQUIRE(big.size() <= 1000);
  }
  CHECK(big.size() >= 900);
  CHECK_FALSE(big.check_and_remember("19999"));
}

TEST_CASE("ReplayGuard with a tiny capacity still culls at least one", "[protocol]") {
  ReplayGuard guard(1);
  CHECK(guard.check_and_remember("a"));
  CHECK(guard.check_and_remember("b"));  // 2 > 1: max(2/10, 2-1) = 1 oldest goes
  CHECK(guard.size() == 1);
  CHECK(guard.check_and_remember("a"));
  CHECK_FALSE(guard.check_and_remember("a"));
}
