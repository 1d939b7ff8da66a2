#pragma once

#include <nbexec/notebook/notebook.hpp>

#include <chrono>
#include <filesystem>

namespace nbexec::run_detail {

// Writes the output notebook during a run without letting the cost grow with cells x size:
// a save after a cell happens only when `min_interval` has passed since the last one.
class ProgressiveSaver {
 public:
  ProgressiveSaver(std::filesystem::path path, std::chrono::milliseconds min_interval);

  // Saves now (start, end, and every failure path).
  void save(const notebook::Notebook& nb);
  // Saves when the interval has passed since the last save.
  void maybe_save(const notebook::Notebook& nb);

  std::size_t saves() const { return saves_; }

 private:
  bool enabled() const;

  std::filesystem::path path_;
  std::chrono::milliseconds min_interval_;
  std::chrono::steady_clock::time_point last_save_{};
  std::size_t saves_ = 0;
};

}  // namespace nbexec::run_detail
