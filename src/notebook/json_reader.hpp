#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace nbexec::notebook::detail {

// Nesting deeper than this is refused on read and on write, so that neither recursion can
// exhaust the stack; it is above what Python's json module (recursion limit 1000) accepts.
inline constexpr int max_json_depth = 2000;

// Parses JSON as Python's json.loads does, so that anything nbformat reads is read alike:
// NaN, Infinity and -Infinity are accepted, numbers too large for a double become infinite,
// duplicate keys keep the last value, and a leading UTF-8 byte order mark is skipped.
// Deliberate differences: invalid UTF-8 and lone surrogate escapes (which nbformat cannot write
// back) are errors, and integers beyond 64 bits are held as doubles.
// Throws NotebookError "origin:line:column: malformed JSON: ..." (column counted in characters,
// as Python does).
nlohmann::json parse_python_json(std::string_view text, const std::string& origin);

// parse_python_json_file reads this many bytes at a time.
inline constexpr std::size_t read_chunk_size = std::size_t{1} << 20;

// The same, reading an open regular file from its start in read_chunk_size chunks, so that the
// file's text is never held whole next to the document; errors re-read the file (pread from
// offset 0) to give the same line and column.
// `chunk` is there for tests, which split tokens at every byte.
nlohmann::json parse_python_json_file(int fd, const std::string& origin,
                                      std::size_t chunk = read_chunk_size);

}  // namespace nbexec::notebook::detail
