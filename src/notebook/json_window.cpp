// The input window of the JSON reader: refills from a file and error positions.
#include "json_window.hpp"

#include <nbexec/error.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace nbexec::notebook::detail {
namespace {

// Python's JSONDecodeError position: lines counted by '\n', columns in characters from 1.
class TextPosition {
 public:
  void feed(std::string_view bytes) {
    for (const char c : bytes) {
      if (c == '\n') {
        ++line_;
        column_ = 1;
      } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
        ++column_;
      }
    }
  }
  std::string describe() const { return std::to_string(line_) + ":" + std::to_string(column_); }

 private:
  std::size_t line_ = 1;
  std::size_t column_ = 1;
};

}  // namespace

JsonWindow::JsonWindow(int fd, const std::string& origin, std::size_t chunk)
    : fd_(fd),
      capacity_(std::max<std::size_t>(chunk, 1)),
      buffer_(new char[capacity_]),
      origin_(origin) {
  begin_ = p_ = end_ = buffer_.get();
}

void JsonWindow::fail(std::size_t at, const std::string& what) const {
  throw NotebookError(origin_ + ":" + position_of(at) + ": malformed JSON: " + what);
}

std::string JsonWindow::position_of(std::size_t at) const {
  TextPosition position;
  if (fd_ < 0) {
    position.feed(whole_.substr(0, at));
    return position.describe();
  }
  std::string block(std::size_t{1} << 16, '\0');
  for (std::size_t done = 0; done < at;) {
    const ssize_t n =
        ::pread(fd_, block.data(), std::min(block.size(), at - done), static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    position.feed(std::string_view(block.data(), static_cast<std::size_t>(n)));
    done += static_cast<std::size_t>(n);
  }
  return position.describe();
}

bool JsonWindow::more() {
  if (fd_ < 0 || eof_) return false;
  const std::size_t kept = available();
  if (kept == capacity_) {  // one token fills the buffer: make it larger
    std::unique_ptr<char[]> larger(new char[capacity_ * 2]);
    std::memcpy(larger.get(), p_, kept);
    buffer_ = std::move(larger);
    capacity_ *= 2;
  } else if (kept > 0) {
    std::memmove(buffer_.get(), p_, kept);
  }
  base_ += static_cast<std::size_t>(p_ - begin_);
  begin_ = p_ = buffer_.get();
  end_ = begin_ + kept;
  while (true) {
    const ssize_t n = ::read(fd_, buffer_.get() + kept, capacity_ - kept);
    if (n > 0) {
      end_ += n;
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno != EINTR)
      throw NotebookError("cannot read " + origin_ + ": " + std::generic_category().message(errno));
  }
}

}  // namespace nbexec::notebook::detail
