#include "protocol/replay_guard.hpp"

#include <algorithm>

namespace nbexec::protocol {

ReplayGuard::ReplayGuard(std::size_t capacity) : capacity_(capacity) {}

bool ReplayGuard::check_and_remember(std::string_view signature) {
  if (signature.empty() || capacity_ == 0) return true;
  auto [it, inserted] = seen_.emplace(signature);
  if (!inserted) return false;
  order_.push_back(*it);
  if (seen_.size() > capacity_) cull();
  return true;
}

void ReplayGuard::cull() {
  // Same amount as jupyter_client's _cull_digest_history: a tenth, or whatever exceeds the
  // capacity if that is more.
  const std::size_t current = seen_.size();
  const std::size_t n = std::min(current, std::max(current / 10, current - capacity_));
  for (std::size_t i = 0; i < n; ++i) {
    // Look the node up before erasing: the view points into the element being destroyed.
    auto it = seen_.find(order_.front());
    order_.pop_front();
    seen_.erase(it);
  }
}

}  // namespace nbexec::protocol
