#pragma once

#include <mutex>
#include <string>
#include <string_view>

namespace nbexec::cli {

// Every write a run makes to the terminal goes through one Console, so that a status line (the
// progress bar), log lines and streamed cell text never cut into each other, also when the
// kernel's threads log. Each write is flushed at once.
class Console {
 public:
  // Text for standard output.
  void out(std::string_view text);
  // Text for standard error; a status line is lifted first and redrawn below the text when
  // the text ends a line.
  void err(std::string_view text);
  // `text` as a line of its own on standard error: a newline first when the last text left a
  // line open (a cell's stderr without a final newline), then `text` and a newline.
  void line(std::string_view text);
  // Draws (or redraws) the status line on standard error, in place: "\r", the line, erase to
  // the end of the line. `line` must fit the terminal's width.
  void status(const std::string& line);
  // Leaves the status line as drawn last and moves below it; later writes do not touch it.
  void end_status();

 private:
  void err_locked(std::string_view text);
  void draw_status_locked();

  std::mutex mutex_;
  std::string status_;         // the status line, empty when there is none
  bool status_shown_ = false;  // drawn on the terminal's current line
  bool partial_line_ = false;  // stderr's last text did not end a line
};

}  // namespace nbexec::cli
