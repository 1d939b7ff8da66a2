#include "run/progressive_saver.hpp"

#include <nbexec/notebook/write.hpp>

namespace nbexec::run_detail {

using steady = std::chrono::steady_clock;

ProgressiveSaver::ProgressiveSaver(std::filesystem::path path, SavePolicy policy, OnSave on_save)
    : path_(std::move(path)), policy_(policy), on_save_(std::move(on_save)) {}

// Standard output gets the notebook once, at the end; an empty path means "do not write".
bool ProgressiveSaver::writes_during_run() const {
  return !path_.empty() && path_ != "-";
}

void ProgressiveSaver::save(const notebook::Notebook& nb, const char* reason) {
  if (path_.empty()) return;
  const bool final_save = std::string(reason) == "end";
  if (path_ == "-" && !final_save) return;
  const auto started = steady::now();
  // Every save is atomic; only the final one waits for the disk (fsync), since each save
  // during the run is replaced by the next (docs/benchmarks.md, case 4, measures the cost).
  const std::size_t size = notebook::save_notebook(
      nb, path_, final_save ? notebook::Durability::durable : notebook::Durability::atomic);
  last_save_ = steady::now();
  ++saves_;
  bytes_written_ += size;
  last_size_ = size;
  growth_ = 0;
  dirty_ = false;
  // papermill's back-off: a save that takes over a quarter of the interval doubles it.
  if (policy_.autosave_every.count() > 0 && (last_save_ - started) * 4 > policy_.autosave_every) {
    policy_.autosave_every *= 2;
  }
  if (on_save_) on_save_(size, reason);
}

void ProgressiveSaver::note_growth(std::size_t bytes) {
  growth_ += bytes;
  dirty_ = true;
}

void ProgressiveSaver::autosave_if_due(const notebook::Notebook& nb) {
  if (!dirty_ || policy_.autosave_every.count() <= 0) return;
  if (steady::now() - last_save_ < policy_.autosave_every) return;
  save(nb, "autosave");
}

void ProgressiveSaver::after_cell(const notebook::Notebook& nb) {
  if (!writes_during_run()) return;
  dirty_ = true;
  if (policy_.after_cells && last_size_ + growth_ >= 2 * bytes_written_) {
    save(nb, "cell");
    return;
  }
  autosave_if_due(nb);
}

void ProgressiveSaver::tick(const notebook::Notebook& nb) {
  if (!writes_during_run()) return;
  autosave_if_due(nb);
}

std::size_t estimated_json_size(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::string:
      return value.get_ref<const std::string&>().size() + 4;
    case nlohmann::json::value_t::object: {
      std::size_t total = 4;
      for (const auto& [key, item] : value.items())
        total += key.size() + 6 + estimated_json_size(item);
      return total;
    }
    case nlohmann::json::value_t::array: {
      std::size_t total = 4;
      for (const auto& item : value) total += 2 + estimated_json_size(item);
      return total;
    }
    default:
      return 8;
  }
}

}  // namespace nbexec::run_detail
