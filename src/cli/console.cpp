#include "console.hpp"

#include <iostream>

namespace nbexec::cli {

namespace {
// Carriage return, then ANSI "erase to end of line": the status line is blanked in place.
constexpr std::string_view clear_line = "\r\033[K";
}  // namespace

void Console::out(std::string_view text) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (text.empty()) return;
  std::cout << text;
  std::cout.flush();
}

void Console::err(std::string_view text) {
  std::lock_guard<std::mutex> lock(mutex_);
  err_locked(text);
}

void Console::line(std::string_view text) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string whole = partial_line_ ? "\n" : "";
  whole.append(text);
  whole += "\n";
  err_locked(whole);
}

void Console::err_locked(std::string_view text) {
  if (text.empty()) return;
  if (status_shown_) std::cerr << clear_line;
  std::cerr << text;
  // A partial line stays as it is; the status line comes back after the next full line.
  status_shown_ = false;
  partial_line_ = text.back() != '\n';
  if (!status_.empty() && !partial_line_) draw_status_locked();
  std::cerr.flush();
}

void Console::status(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  status_ = line;
  if (!partial_line_) draw_status_locked();
  std::cerr.flush();
}

void Console::end_status() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (status_.empty()) return;
  if (!status_shown_) {
    if (partial_line_) std::cerr << "\n";
    draw_status_locked();
  }
  std::cerr << "\n";
  partial_line_ = false;
  std::cerr.flush();
  status_.clear();
  status_shown_ = false;
}

void Console::draw_status_locked() {
  std::cerr << clear_line << status_;
  status_shown_ = true;
}

}  // namespace nbexec::cli
