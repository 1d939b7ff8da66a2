#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace nbexec::protocol::detail {

// Lower-case hex, the form jupyter_client's hexdigest() and connection-file keys use.
inline std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0x0f];
  }
  return out;
}

// Only lower case counts: jupyter_client compares signatures byte for byte, so an upper-case
// digest would never verify there either.
inline bool is_lower_hex(std::string_view text) noexcept {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace nbexec::protocol::detail
