#include "sweep_progress.hpp"

#include "progress_bar.hpp"

#include <algorithm>
#include <cstdio>

namespace nbexec::cli {

namespace {

std::string clock_text(double seconds) {
  const long total = static_cast<long>(seconds);
  char text[32];
  if (total >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%02ld:%02ld", total / 60, total % 60);
  }
  return text;
}

}  // namespace

std::string render_sweep_progress(const SweepCounts& counts, std::size_t width) {
  const std::size_t bar_width = width >= 70 ? 20 : 10;
  const std::size_t done = std::min(counts.done, counts.total);
  const std::size_t filled = counts.total == 0 ? bar_width : bar_width * done / counts.total;
  std::string line = "[" + std::string(filled, '#') + std::string(bar_width - filled, '-') + "]  ";
  line += std::to_string(done) + "/" + std::to_string(counts.total) + " runs";
  if (counts.failed > 0) line += "  " + std::to_string(counts.failed) + " failed";
  line += "  " + std::to_string(counts.running) + " running  " + clock_text(counts.elapsed);
  if (done > 0 && done < counts.total) {
    // Runs go `running` at a time, so the mean wall time per finished run already has the
    // parallelism in it.
    const double left =
        counts.elapsed / static_cast<double>(done) * static_cast<double>(counts.total - done);
    line += "  ETA " + clock_text(left);
  }
  if (width > 1 && line.size() > width - 1) line.resize(width - 1);  // ASCII only
  return line;
}

SweepProgress::SweepProgress(Console& console, std::size_t total_runs)
    : console_(console), started_(std::chrono::steady_clock::now()) {
  counts_.total = total_runs;
  std::lock_guard<std::mutex> lock(mutex_);
  draw_locked();
  ticker_ = std::thread([this] {
    std::unique_lock<std::mutex> tick_lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(tick_lock, std::chrono::seconds(1));
      if (!stopping_) draw_locked();
    }
  });
}

SweepProgress::~SweepProgress() {
  finish();
}

void SweepProgress::on_run_start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return;
  ++counts_.running;
  draw_locked();
}

void SweepProgress::on_run_end(const std::string& status) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return;
  // A skipped run never started, so it was never counted as running.
  if (status != "skipped" && counts_.running > 0) --counts_.running;
  ++counts_.done;
  if (status != "completed") ++counts_.failed;
  draw_locked();
}

void SweepProgress::finish() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    counts_.running = 0;
    last_drawn_.clear();
    draw_locked();
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  console_.end_status();
}

void SweepProgress::draw_locked() {
  counts_.elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::string line = render_sweep_progress(counts_, terminal_width());
  if (line == last_drawn_) return;
  last_drawn_ = line;
  console_.status(line);
}

}  // namespace nbexec::cli
