#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace nbexec::protocol {

// Remembers the signatures of messages already accepted on one connection so a captured
// message cannot be played back (jupyter_client's Session.digest_history). The history is
// bounded: when it grows past `capacity` the oldest tenth is forgotten, the way
// jupyter_client culls 10% (it drops a random tenth; dropping the oldest keeps the recent
// messages, the likeliest to be replayed, protected).
//
// Feed it only signatures that verified, so forged traffic cannot flush real entries.
// Not synchronised: one guard per connection, used by the thread that receives.
class ReplayGuard {
 public:
  // jupyter_client's Session.digest_history_size.
  static constexpr std::size_t default_capacity = std::size_t{1} << 16;

  // A capacity of 0 keeps no history at all (every message passes), as in jupyter_client.
  explicit ReplayGuard(std::size_t capacity = default_capacity);

  // False when `signature` was seen before (a replay). An empty signature (an unsigned
  // connection) is never remembered and always passes.
  bool check_and_remember(std::string_view signature);

  std::size_t size() const noexcept { return seen_.size(); }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  void cull();

  // Lets lookups take a string_view (the deque's entries) without building a string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };

  std::size_t capacity_;
  std::unordered_set<std::string, Hash, std::equal_to<>> seen_;
  // Views into seen_'s nodes (stable across rehashing), oldest first.
  std::deque<std::string_view> order_;
};

}  // namespace nbexec::protocol
