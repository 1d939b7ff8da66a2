#pragma once

// The schema check behind validate_notebook, split over validate.cpp (document, versions,
// notebook metadata) and validate_cells.cpp (cells, outputs, mime bundles). It follows the
// nbformat v4.0-4.5 JSON schemas (nbformat/v4/nbformat.v4.N.schema.json) and nbformat's cell id
// uniqueness rule. Where the schemas use regular expressions, the Python `re.search` semantics
// nbformat validates with are kept: `$` also matches before a final "\n", `.` is not "\n".

#include <nbexec/notebook/lines.hpp>
#include <nbexec/notebook/validate.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace nbexec::notebook::detail {

// The newest minor version whose schema nbformat ships; newer notebooks are checked against
// it with additional properties and unknown cell and output types allowed, as nbformat does.
inline constexpr int latest_minor = 5;

// Python's re.search("^X$", s) for an X that cannot match a final "\n".
template <class Matches>
bool python_anchored_match(std::string_view s, Matches matches) {
  return matches(s) || (s.ends_with('\n') && matches(s.substr(0, s.size() - 1)));
}

inline bool no_newline(std::string_view s) {
  return s.find('\n') == std::string_view::npos;
}

bool is_cell_id_text(std::string_view s);          // ^[a-zA-Z0-9-_]+$
bool is_json_mime_pattern(std::string_view mime);  // ^application/(.*\+)?json$

class Validator {
 public:
  std::vector<Diagnostic> run(const json& doc);

 private:
  // validate.cpp
  void add(std::string path, std::string message);
  void type_error(const std::string& path, const std::string& expected, const json& found);
  void required(const json& obj, const std::string& path, std::initializer_list<const char*> keys);
  // How "id" is judged in allowed(): not a cell, a cell before 4.5, a cell from 4.5 on.
  enum class CellIds { not_a_cell, forbidden, allowed };
  void allowed(const json& obj, const std::string& path, std::initializer_list<const char*> keys,
               CellIds ids = CellIds::not_a_cell);
  void string_field(const json& obj, const std::string& path, const char* key);
  void object_field(const json& obj, const std::string& path, const char* key);
  void multiline(const json& v, const std::string& path);
  void execution_count(const json& obj, const std::string& path);
  bool version(const json& doc);
  void notebook_metadata(const json& m, const std::string& path);

  // validate_cells.cpp
  void cell(const json& c, const std::string& path);
  void cell_id(const json& id, const std::string& path);
  void cell_metadata(const json& m, const std::string& path, const std::string& kind);
  void tags(const json& t, const std::string& path);
  void output(const json& o, const std::string& path);
  void mimebundle(const json& bundle, const std::string& path);
  void unique_ids(const json& cells);

  std::vector<Diagnostic> out_;
  int minor_ = latest_minor;  // the schema in use: 4.minor_
  bool future_ = false;       // nbformat_minor above latest_minor
};

}  // namespace nbexec::notebook::detail
