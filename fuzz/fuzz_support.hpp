#pragma once

// What every fuzz target shares: a check that aborts with a message (libFuzzer then saves the
// input as a crash, the replay runner reports the file), and cutting one input into fields.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace nbexec::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* what,
                              const std::string& detail) {
  std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n%s\n", file, line, what,
               detail.substr(0, 2000).c_str());
  std::abort();
}

// An invariant of the code under test; a broken one is a finding, like a crash.
#define NBEXEC_FUZZ_CHECK(condition, detail)                                          \
  do {                                                                                \
    if (!(condition)) ::nbexec::fuzz::fail(__FILE__, __LINE__, #condition, (detail)); \
  } while (0)

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits at every `separator` byte: a mutation that inserts or deletes one keeps the other
// fields intact, which length prefixes would not.
inline std::vector<std::string_view> split_fields(std::string_view text, char separator) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      fields.push_back(text.substr(start));
      return fields;
    }
    fields.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

// True when `text` is well-formed UTF-8 (no surrogates, no overlong forms).
inline bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    unsigned min = 0;
    unsigned code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      length = 2, min = 0x80, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, min = 0x800, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, min = 0x10000, code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

// JSON equality with NaN equal to itself and -0.0 apart from 0.0 (nlohmann's == says NaN is
// unequal to everything, and -0.0 equal to 0.0).
template <typename Json>
bool same_json(const Json& a, const Json& b) {
  if (a.is_number_float() && b.is_number_float()) {
    const double x = a.template get<double>();
    const double y = b.template get<double>();
    return (std::isnan(x) && std::isnan(y)) || (x == y && std::signbit(x) == std::signbit(y));
  }
  // nlohmann keeps "-0" as a signed integer and "0" as an unsigned one; both are Python's
  // int 0, and both are written "0". Integers compare by value, whatever their storage.
  if (a.is_number_integer() && b.is_number_integer()) {
    // (nlohmann's own == casts an unsigned to signed, making 2^64 - 1 equal -1.)
    const auto negative = [](const Json& n) {
      return !n.is_number_unsigned() && n.template get<std::int64_t>() < 0;
    };
    if (negative(a) || negative(b))
      return negative(a) && negative(b) &&
             a.template get<std::int64_t>() == b.template get<std::int64_t>();
    return a.template get<std::uint64_t>() == b.template get<std::uint64_t>();
  }
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(), other = b.begin(); it != a.end(); ++it, ++other) {
      // Key order counts where the container keeps it (ordered_json); nlohmann::json sorts.
      if (it.key() != other.key() || !same_json(*it, *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same_json(a[i], b[i])) return false;
    return true;
  }
  return a == b;
}

}  // namespace nbexec::fuzz
