#pragma once

#include "console.hpp"

#include <nbexec/run_events.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace nbexec::cli {

// What the progress bar shows.
struct Progress {
  std::size_t done = 0;                // code cells that ended
  std::size_t total = 0;               // code cells the run sends to the kernel
  bool kernel_ready = false;           // past kernel_ready
  std::optional<std::size_t> cell;     // notebook index of the running (or last) cell
  std::optional<std::size_t> stopped;  // the first cell that did not complete
  std::string description;             // its papermill_description=..., if any
  double elapsed = 0;                  // seconds since run_start
  std::string outcome;                 // run_end's status, once the run is over
};

// One line, at most `width` - 1 characters (a full-width line would wrap):
//   [#########-----------]  3/7 cells  00:12  Executing cell 4 (load_data)
std::string render_progress(const Progress& progress, std::size_t width);

// Columns of the terminal on standard error (TIOCGWINSZ, else $COLUMNS, else 80).
std::size_t terminal_width();

// Whether standard error is a terminal, the only place a progress bar is drawn.
bool stderr_is_terminal();

// A progress bar on standard error, fed with a run's events: drawn from run_start, redrawn in
// place on each cell and every second (elapsed time), left as a summary line at run_end.
class ProgressBar {
 public:
  explicit ProgressBar(Console& console);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void on_event(const RunEvent& event);

 private:
  void draw_locked();
  void stop();

  Console& console_;
  std::mutex mutex_;
  std::condition_variable wake_;
  Progress progress_;
  std::chrono::steady_clock::time_point started_;
  std::string last_drawn_;
  bool drawing_ = false;   // between run_start and run_end
  bool stopping_ = false;  // the ticker should exit
  std::thread ticker_;
};

}  // namespace nbexec::cli
