#pragma once

#include <nbexec/notebook/notebook.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>

namespace nbexec::run_detail {

// When the output notebook is written during a run.
struct SavePolicy {
  // Save after cells complete (papermill's request_save_on_cell_execute), throttled so that
  // the bytes written over the whole run stay within about 2.5x the final file size.
  bool after_cells = true;
  // Save at least this often while there is something new, also in the middle of a long
  // cell (papermill's autosave_cell_every); zero disables. Doubled whenever one save takes
  // more than a quarter of it, as papermill backs off.
  std::chrono::milliseconds autosave_every{30000};
};

// Writes the output notebook during a run without letting the cost grow with cells x size.
// papermill rewrites the whole file about three times per cell; here a save after a cell
// happens only once the notebook has grown to twice everything written so far, so the sizes
// saved grow geometrically and their sum stays below 1.5x the final size before the final
// save. Time-based autosaves come on top, at most one per `autosave_every`.
class ProgressiveSaver {
 public:
  // Called after every save with the bytes written and why ("start", "cell", "autosave",
  // "end").
  using OnSave = std::function<void(std::size_t bytes, const char* reason)>;

  ProgressiveSaver(std::filesystem::path path, SavePolicy policy, OnSave on_save = {});

  // Saves now. "-" (standard output) is written only for reason "end".
  void save(const notebook::Notebook& nb, const char* reason);
  // Counts bytes the notebook gained since the last save (an output, cell metadata).
  void note_growth(std::size_t bytes);
  // After a cell completed: saves when the notebook has doubled against what was written,
  // or when the autosave interval has passed.
  void after_cell(const notebook::Notebook& nb);
  // While a cell runs: saves when the autosave interval has passed and something changed.
  void tick(const notebook::Notebook& nb);

  std::size_t saves() const { return saves_; }
  std::size_t bytes_written() const { return bytes_written_; }

 private:
  bool writes_during_run() const;
  void autosave_if_due(const notebook::Notebook& nb);

  std::filesystem::path path_;
  SavePolicy policy_;
  OnSave on_save_;
  std::chrono::steady_clock::time_point last_save_ = std::chrono::steady_clock::now();
  std::size_t saves_ = 0;
  std::size_t bytes_written_ = 0;
  std::size_t last_size_ = 0;  // bytes of the last save
  std::size_t growth_ = 0;     // estimated bytes gained since the last save
  bool dirty_ = false;
};

// A cheap estimate of the bytes `value` takes in a notebook file: the lengths of its strings
// and keys plus a little per value for punctuation. Used only to pace saves.
std::size_t estimated_json_size(const nlohmann::json& value);

}  // namespace nbexec::run_detail
