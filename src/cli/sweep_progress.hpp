#pragma once

#include "console.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

namespace nbexec::cli {

// What the sweep's progress bar shows.
struct SweepCounts {
  std::size_t total = 0;    // runs of this shard
  std::size_t done = 0;     // ended, whatever their status (skipped ones included)
  std::size_t failed = 0;   // of them, not completed
  std::size_t running = 0;  // started and not ended
  double elapsed = 0;       // seconds since the sweep started
};

// One line, at most `width` - 1 characters:
//   [######--------------]  12/32 runs  2 failed  2 running  00:14  ETA 00:21
// The ETA is the mean time per finished run times the runs left, shown once a run ended.
std::string render_sweep_progress(const SweepCounts& counts, std::size_t width);

// A progress bar over the runs of a sweep on standard error (a terminal only: the caller
// decides), redrawn when a run starts or ends and every second; left as a last line by
// finish() or the destructor. Thread-safe.
class SweepProgress {
 public:
  SweepProgress(Console& console, std::size_t total_runs);
  ~SweepProgress();
  SweepProgress(const SweepProgress&) = delete;
  SweepProgress& operator=(const SweepProgress&) = delete;

  void on_run_start();
  void on_run_end(const std::string& status);
  // Draws the last state and leaves the line; later calls do nothing.
  void finish();

 private:
  void draw_locked();

  Console& console_;
  std::mutex mutex_;
  std::condition_variable wake_;
  SweepCounts counts_;
  std::chrono::steady_clock::time_point started_;
  std::string last_drawn_;
  bool stopping_ = false;
  std::thread ticker_;
};

}  // namespace nbexec::cli
