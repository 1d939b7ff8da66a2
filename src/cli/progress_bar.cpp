#include "progress_bar.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace nbexec::cli {

namespace {

std::string clock_text(double seconds) {
  const long total = static_cast<long>(seconds);
  const long hours = total / 3600, minutes = total / 60 % 60, secs = total % 60;
  char text[32];
  if (hours > 0) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", hours, minutes, secs);
  } else {
    std::snprintf(text, sizeof text, "%02ld:%02ld", minutes, secs);
  }
  return text;
}

std::string outcome_text(const std::string& status) {
  if (status == "completed") return "Done";
  if (status == "failed") return "Failed";
  if (status == "timeout") return "Timed out";
  if (status == "kernel_died") return "Kernel died";
  if (status == "interrupted") return "Interrupted";
  return "Error";
}

std::string state_text(const Progress& progress) {
  if (!progress.outcome.empty()) {
    std::string text = outcome_text(progress.outcome);
    const auto at = progress.stopped ? progress.stopped : progress.cell;
    if (progress.outcome != "completed" && at) text += " at cell " + std::to_string(*at);
    return text;
  }
  std::string cell;
  if (progress.cell) {
    cell = "cell " + std::to_string(*progress.cell);
    if (!progress.description.empty()) cell += " (" + progress.description + ")";
  }
  if (!progress.kernel_ready) return "Starting kernel";
  return cell.empty() ? "Executing" : "Executing " + cell;
}

// Cuts `text` to `columns` code points (one column each, near enough for a status line).
std::string fit(const std::string& text, std::size_t columns) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (seen == columns) return text.substr(0, i);
    ++seen;
  }
  return text;
}

}  // namespace

std::string render_progress(const Progress& progress, std::size_t width) {
  const std::size_t bar_width = width >= 60 ? 20 : 10;
  const std::size_t filled =
      progress.total == 0 ? bar_width
                          : bar_width * std::min(progress.done, progress.total) / progress.total;
  std::string line = "[" + std::string(filled, '#') + std::string(bar_width - filled, '-') + "]  ";
  line += std::to_string(progress.done) + "/" + std::to_string(progress.total) + " cells  ";
  line += clock_text(progress.elapsed) + "  " + state_text(progress);
  return fit(line, width > 1 ? width - 1 : 1);
}

std::size_t terminal_width() {
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS")) {
    const long value = std::strtol(columns, nullptr, 10);
    if (value > 0) return static_cast<std::size_t>(value);
  }
  return 80;
}

bool stderr_is_terminal() {
  return isatty(STDERR_FILENO) == 1;
}

ProgressBar::ProgressBar(Console& console) : console_(console) {}

ProgressBar::~ProgressBar() {
  stop();
}

void ProgressBar::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  if (drawing_) {
    drawing_ = false;
    console_.end_status();
  }
}

void ProgressBar::on_event(const RunEvent& event) {
  const std::string kind = event.value("event", std::string());
  std::unique_lock<std::mutex> lock(mutex_);
  if (kind == "run_start") {
    progress_ = Progress{};
    progress_.total = event.value("code_cells", std::size_t{0});
    started_ = std::chrono::steady_clock::now();
    last_drawn_.clear();
    drawing_ = true;
    draw_locked();
    if (!ticker_.joinable()) {
      ticker_ = std::thread([this] {
        std::unique_lock<std::mutex> tick_lock(mutex_);
        while (!stopping_) {
          wake_.wait_for(tick_lock, std::chrono::seconds(1));
          if (drawing_ && !stopping_) draw_locked();
        }
      });
    }
    return;
  }
  if (!drawing_) return;
  if (kind == "kernel_ready") {
    progress_.kernel_ready = true;
  } else if (kind == "cell_start") {
    progress_.kernel_ready = true;
    progress_.cell = event.value("cell_index", std::size_t{0});
    progress_.description = event.value("description", std::string());
  } else if (kind == "cell_end") {
    ++progress_.done;
    const std::string status = event.value("status", std::string());
    if (!progress_.stopped && status != "completed" && status != "errored") {
      progress_.stopped = event.value("cell_index", std::size_t{0});
    }
  } else if (kind == "run_end") {
    progress_.outcome = event.value("status", std::string("error"));
    draw_locked();
    drawing_ = false;
    console_.end_status();
    lock.unlock();
    stop();
    return;
  } else {
    return;
  }
  draw_locked();
}

void ProgressBar::draw_locked() {
  progress_.elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::string line = render_progress(progress_, terminal_width());
  if (line == last_drawn_) return;  // the ticker's redraws change only the clock
  last_drawn_ = line;
  console_.status(line);
}

}  // namespace nbexec::cli
