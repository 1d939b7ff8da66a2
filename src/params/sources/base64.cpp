#include "params/sources/base64.hpp"

namespace nbexec::params::detail {
namespace {

int alphabet_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

// A transcription of CPython 3.11's binascii.a2b_base64 with strict_mode=False.
std::optional<std::string> python_b64decode(std::string_view text, std::string* error) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      *error = "string argument should contain only ASCII characters";
      return std::nullopt;
    }
  }
  std::string out;
  int quad_pos = 0;
  int pads = 0;
  unsigned left = 0;
  for (const char c : text) {
    if (c == '=') {
      if (quad_pos >= 2 && quad_pos + ++pads >= 4) return out;
      continue;
    }
    const int value = alphabet_value(static_cast<unsigned char>(c));
    if (value < 0) continue;
    pads = 0;
    const auto v = static_cast<unsigned>(value);
    switch (quad_pos) {
      case 0:
        quad_pos = 1, left = v;
        break;
      case 1:
        quad_pos = 2, out.push_back(static_cast<char>((left << 2) | (v >> 4))), left = v & 0x0F;
        break;
      case 2:
        quad_pos = 3, out.push_back(static_cast<char>((left << 4) | (v >> 2))), left = v & 0x03;
        break;
      default:
        quad_pos = 0, out.push_back(static_cast<char>((left << 6) | v)), left = 0;
        break;
    }
  }
  if (quad_pos == 1) {
    *error = "Invalid base64-encoded string: number of data characters (" +
             std::to_string(out.size() / 3 * 4 + 1) + ") cannot be 1 more than a multiple of 4";
    return std::nullopt;
  }
  if (quad_pos != 0) {
    *error = "Incorrect padding";
    return std::nullopt;
  }
  return out;
}

}  // namespace nbexec::params::detail
