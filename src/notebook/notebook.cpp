#include <nbexec/notebook/lines.hpp>
#include <nbexec/notebook/notebook.hpp>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <random>
#include <unordered_set>
#include <utility>

namespace nbexec::notebook {

namespace {

int int_field(const json& doc, const char* key) {
  if (!doc.is_object()) return 0;
  const auto it = doc.find(key);
  if (it == doc.end() || !it->is_number_integer()) return 0;
  if (it->is_number_unsigned())
    return static_cast<int>(std::min<std::uint64_t>(it->get<std::uint64_t>(), INT_MAX));
  return static_cast<int>(std::clamp<std::int64_t>(it->get<std::int64_t>(), INT_MIN, INT_MAX));
}

// The string at doc[outer][inner], or nullptr.
const std::string* nested_string(const json& doc, const char* outer, const char* inner) {
  const auto o = doc.find(outer);
  if (o == doc.end() || !o->is_object()) return nullptr;
  const auto i = o->find(inner);
  if (i == o->end() || !i->is_string()) return nullptr;
  return &i->get_ref<const std::string&>();
}

}  // namespace

Notebook::Notebook()
    : doc_{{"cells", json::array()},
           {"metadata", json::object()},
           {"nbformat", 4},
           {"nbformat_minor", 5}} {}

Notebook::Notebook(json document) : doc_(std::move(document)) {}

int Notebook::nbformat() const {
  return int_field(doc_, "nbformat");
}

int Notebook::nbformat_minor() const {
  return int_field(doc_, "nbformat_minor");
}

std::string Notebook::kernel_name() const {
  const auto it = doc_.find("metadata");
  if (it == doc_.end() || !it->is_object()) return "";
  const std::string* name = nested_string(*it, "kernelspec", "name");
  return name ? *name : "";
}

std::string Notebook::language() const {
  const auto it = doc_.find("metadata");
  if (it == doc_.end() || !it->is_object()) return "";
  // papermill's nb_language: language_info.name first (what the kernel last reported), then the
  // kernelspec's language (notebooks converted from v3); an empty name counts as absent.
  for (const auto& [section, key] :
       {std::pair{"language_info", "name"}, std::pair{"kernelspec", "language"}}) {
    const std::string* lang = nested_string(*it, section, key);
    if (lang != nullptr && !lang->empty()) return *lang;
  }
  return "";
}

std::string cell_source(const json& cell) {
  if (!cell.is_object()) return "";
  const auto it = cell.find("source");
  if (it == cell.end() || !is_multiline(*it)) return "";
  return join_lines(*it);
}

bool cell_has_tag(const json& cell, std::string_view tag) {
  const auto metadata = cell.find("metadata");
  if (metadata == cell.end() || !metadata->is_object()) return false;
  const auto tags = metadata->find("tags");
  if (tags == metadata->end() || !tags->is_array()) return false;
  for (const auto& t : *tags)
    if (t.is_string() && t.get_ref<const std::string&>() == tag) return true;
  return false;
}

long find_tagged_cell(const Notebook& nb, std::string_view tag) {
  const json& doc = nb.document();
  const auto cells = doc.find("cells");
  if (cells == doc.end() || !cells->is_array()) return -1;
  for (std::size_t i = 0; i < cells->size(); ++i)
    if (cell_has_tag((*cells)[i], tag)) return static_cast<long>(i);
  return -1;
}

std::string new_cell_id() {
  // nbformat takes uuid4().hex[:8]: 32 random bits as lowercase hex. Ids only need to be
  // unlikely to collide, so a generator seeded once from the OS CSPRNG is enough.
  thread_local std::mt19937_64 generator{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }()};
  static constexpr char hex[] = "0123456789abcdef";
  std::uint64_t bits = generator();
  std::string id(8, '0');
  for (char& c : id) {
    c = hex[bits & 0xF];
    bits >>= 4;
  }
  return id;
}

json new_code_cell(std::string source, int nbformat_minor) {
  json cell = {{"cell_type", "code"},
               {"execution_count", nullptr},
               {"metadata", json::object()},
               {"outputs", json::array()},
               {"source", std::move(source)}};
  if (nbformat_minor >= 5) cell["id"] = new_cell_id();
  return cell;
}

void upgrade_to_current_minor(Notebook& nb) {
  constexpr int current_minor = 5;
  json& doc = nb.document();
  const auto major = doc.find("nbformat");
  const auto minor_it = doc.find("nbformat_minor");
  if (major == doc.end() || minor_it == doc.end() || !major->is_number_integer() ||
      !minor_it->is_number_integer() || major->get<int>() != 4) {
    return;
  }
  const int minor = minor_it->get<int>();
  if (minor >= current_minor) return;
  // Random 32-bit ids collide among ~77,000 cells half the time; the notebook needs them unique.
  std::unordered_set<std::string> taken;
  for (json& cell : nb.cells()) {
    std::string id;
    do id = new_cell_id();
    while (!taken.insert(id).second);
    cell["id"] = std::move(id);
  }
  doc["nbformat_minor"] = current_minor;
}

int normalize_cell_ids(Notebook& nb) {
  if (nb.nbformat_minor() < 5) return 0;
  json& doc = nb.document();
  const auto cells = doc.find("cells");
  if (cells == doc.end() || !cells->is_array()) return 0;
  std::unordered_set<std::string> taken;
  for (const auto& cell : *cells) {
    const auto id = cell.find("id");  // end() for a non-object
    if (id != cell.end() && id->is_string()) taken.insert(id->get<std::string>());
  }
  // As nbformat's _normalize: the first holder of an id keeps it, later ones get new ids.
  std::unordered_set<std::string> seen;
  int changes = 0;
  for (auto& cell : *cells) {
    if (!cell.is_object()) continue;
    const auto id = cell.find("id");
    if (id != cell.end()) {
      if (!id->is_string() || seen.insert(id->get<std::string>()).second) continue;
    }
    std::string fresh;
    do fresh = new_cell_id();
    while (!taken.insert(fresh).second);
    seen.insert(fresh);
    cell["id"] = fresh;
    ++changes;
  }
  return changes;
}

}  // namespace nbexec::notebook
