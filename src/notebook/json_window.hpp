#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace nbexec::notebook::detail {

// The parser runs over a window [begin_, end_) of the input with a cursor p_. For text in
// memory the window is all of it; for a file it is a buffer refilled by more(), which keeps the
// bytes from the cursor on. Tokens that must be contiguous (numbers, literals, escapes) are
// checked with ensure() before the cursor moves past them; strings are copied run by run, so
// a string may span any number of refills. The file's text is never held whole.
// JsonWindow is that window and its cursor; the parser (json_reader.cpp) builds on it.
class JsonWindow {
 public:
  JsonWindow(std::string_view text, const std::string& origin)
      : whole_(text),
        begin_(text.data()),
        p_(begin_),
        end_(begin_ + text.size()),
        origin_(origin) {}

  JsonWindow(int fd, const std::string& origin, std::size_t chunk);

 protected:
  // Throws NotebookError "origin:line:column: malformed JSON: what" for the input offset `at`.
  [[noreturn]] void fail(std::size_t at, const std::string& what) const;

  // Errors only: a file is read again from its start up to the error.
  std::string position_of(std::size_t at) const;

  // Offset in the whole input of the cursor (or of `at`, a pointer into the window).
  std::size_t offset() const { return offset(p_); }
  std::size_t offset(const char* at) const { return base_ + static_cast<std::size_t>(at - begin_); }
  std::size_t available() const { return static_cast<std::size_t>(end_ - p_); }

  // Reads the next chunk of a file behind the bytes from the cursor on; false at the end of
  // the input (always for text in memory).
  bool more();

  // At least `count` bytes from the cursor on are in the window, unless the input ends first.
  bool ensure(std::size_t count) {
    while (available() < count) {
      if (!more()) return false;
    }
    return true;
  }

  bool at_end() { return p_ == end_ && !more(); }
  char peek() { return at_end() ? '\0' : *p_; }

  void skip_whitespace() {
    while (true) {
      while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
      if (p_ < end_ || !more()) return;
    }
  }

  bool consume_literal(std::string_view word) {
    if (!ensure(word.size()) || std::memcmp(p_, word.data(), word.size()) != 0) return false;
    p_ += word.size();
    return true;
  }

  std::string_view whole_;  // text in memory, or empty for a file
  int fd_ = -1;             // the file, or -1 for text in memory
  bool eof_ = false;
  std::size_t capacity_ = 0;
  std::unique_ptr<char[]> buffer_;
  const char* begin_ = nullptr;  // the window: input bytes [base_, base_ + end_ - begin_)
  const char* p_ = nullptr;
  const char* end_ = nullptr;
  std::size_t base_ = 0;
  const std::string& origin_;
};

}  // namespace nbexec::notebook::detail
