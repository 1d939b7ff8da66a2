#pragma once

#include <nbexec/notebook/notebook.hpp>

#include <string>
#include <vector>

namespace nbexec::notebook {

// One finding of validation: where (a JSON pointer such as "/cells/2/outputs/0"; "" is the
// document itself, and a missing property is reported at its parent) and what.
struct Diagnostic {
  std::string path;
  std::string message;
};

// Structural check of an nbformat 4 document (as on disk or as held by Notebook) against the
// nbformat v4.N schema its nbformat_minor names (newer minors: the 4.5 schema, relaxed as
// nbformat relaxes it): required keys, types, cell and output kinds, cell id pattern and
// uniqueness from 4.5. Returns every finding; meant to be empty exactly when nbformat's check
// without repairs (nbformat.validator.isvalid) accepts the document. Validate it as read
// (read_json_text), not a parsed Notebook, whose cell ids parse_notebook has already repaired.
std::vector<Diagnostic> validate_notebook(const json& document);

}  // namespace nbexec::notebook
