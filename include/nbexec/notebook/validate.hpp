#pragma once

#include <nbexec/notebook/notebook.hpp>

#include <string>
#include <vector>

namespace nbexec::notebook {

// One finding of validation: where (a JSON pointer such as "/cells/2/outputs/0") and what.
struct Diagnostic {
  std::string path;
  std::string message;
};

// Structural check of an nbformat 4 document (as on disk or as held by Notebook) against the
// rules of the nbformat v4 schema: required keys, types, cell and output kinds. Returns every
// finding; empty means valid.
std::vector<Diagnostic> validate_notebook(const json& document);

}  // namespace nbexec::notebook
