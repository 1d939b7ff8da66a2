#include "run/progressive_saver.hpp"

#include <nbexec/notebook/write.hpp>

namespace nbexec::run_detail {

ProgressiveSaver::ProgressiveSaver(std::filesystem::path path,
                                   std::chrono::milliseconds min_interval)
    : path_(std::move(path)), min_interval_(min_interval) {}

// Standard output gets the notebook once, at the end; an empty path means "do not write".
bool ProgressiveSaver::enabled() const {
  return !path_.empty();
}

void ProgressiveSaver::save(const notebook::Notebook& nb) {
  if (!enabled()) return;
  notebook::save_notebook(nb, path_);
  last_save_ = std::chrono::steady_clock::now();
  ++saves_;
}

void ProgressiveSaver::maybe_save(const notebook::Notebook& nb) {
  if (!enabled() || path_ == "-") return;
  if (std::chrono::steady_clock::now() - last_save_ < min_interval_) return;
  save(nb);
}

}  // namespace nbexec::run_detail
