#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace nbexec::notebook {

using json = nlohmann::json;

// A notebook held as its JSON document, so every field (known or not) survives a round trip.
// Multi-line strings (cell source, stream text, text-like mime data, attachments) are held
// joined into one string; write.hpp splits them into line lists the way nbformat does.
class Notebook {
 public:
  // An empty notebook as nbformat.v4.new_notebook() makes it (nbformat 4.5, no cells).
  Notebook();
  explicit Notebook(json document);

  json& document() { return doc_; }
  const json& document() const { return doc_; }

  json& cells() { return doc_["cells"]; }
  const json& cells() const { return doc_.at("cells"); }

  json& metadata() { return doc_["metadata"]; }
  const json& metadata() const { return doc_.at("metadata"); }

  // The version numbers, 0 when absent or not integers (nbformat reads a missing minor as 0).
  int nbformat() const;
  int nbformat_minor() const;

  // metadata.kernelspec.name, or "" (papermill's nb_kernel_name without the override).
  std::string kernel_name() const;
  // The notebook's language as papermill's nb_language reads it: metadata.language_info.name,
  // else metadata.kernelspec.language, else "" (an empty string counts as absent). The one
  // place that decides it: inspection, injection and runs all ask here.
  std::string language() const;

 private:
  json doc_;
};

// The cell's source as one string (accepts a string or a list of lines; "" when absent or
// anything else, as a cell of a newer minor version may hold).
std::string cell_source(const json& cell);

// True when metadata.tags of the cell holds `tag`.
bool cell_has_tag(const json& cell, std::string_view tag);

// Index of the first cell carrying `tag`, or -1.
long find_tagged_cell(const Notebook& nb, std::string_view tag);

// A random cell id as nbformat makes them (8 hex characters from a CSPRNG-seeded generator).
std::string new_cell_id();

// A new code cell shaped like nbformat.v4.new_code_cell(source); an "id" is added when the
// notebook's minor version is 5 or more.
json new_code_cell(std::string source, int nbformat_minor);

// nbformat.v4.upgrade for a v4 notebook, which papermill applies to every notebook it loads:
// below the current minor (4.5) every cell gets a new id (minor < 5) and the minor becomes
// current. Other versions are left alone.
void upgrade_to_current_minor(Notebook& nb);

// What nbformat.read does to cell ids of a 4.5+ notebook (its validate() "repairs" them):
// gives a new id to every cell that has none or repeats an earlier cell's id. Returns how
// many cells changed; does nothing for minor versions below 5.
int normalize_cell_ids(Notebook& nb);

}  // namespace nbexec::notebook
