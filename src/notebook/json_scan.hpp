#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace nbexec::notebook::detail {

// Length of the leading run of bytes that a JSON string holds as they are: anything but '"',
// '\\', control characters (< 0x20) and non-ASCII (>= 0x80, checked as UTF-8 one sequence at a
// time). The reader and the writer copy such runs in one go; base64 image data, most of a
// notebook's bytes, is one long run. Scans 16 bytes per step with SSE2 (every x86-64 has it),
// else 8 with word arithmetic.
inline std::size_t plain_run(const char* text, std::size_t size) {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  for (; i + 16 <= size; i += 16) {
    const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text + i));
    // A signed compare: bytes >= 0x80 are negative, so "< 0x20" catches them too.
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)),
                     _mm_cmplt_epi8(chunk, space));
    if (const int mask = _mm_movemask_epi8(special); mask != 0)
      return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#else
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text + i, 8);
    // Classic "has a zero byte" tests; only the lowest flagged byte is exact, which is the one
    // wanted. Little- and big-endian order both handled by scanning the flagged word bytewise.
    const std::uint64_t quote = word ^ (ones * '"');
    const std::uint64_t backslash = word ^ (ones * '\\');
    const std::uint64_t flags = ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) |
                                ((word - ones * 0x20) & ~word) | word;
    if ((flags & highs) != 0) break;
  }
#endif
  for (; i < size; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
  }
  return i;
}

}  // namespace nbexec::notebook::detail
