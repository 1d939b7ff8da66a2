#pragma once

#include <nbexec/notebook/notebook.hpp>
#include <nbexec/notebook/validate.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The facade's jobs on notebook text that fronts hold in memory (Python strings, remote files):
// read, validate against the nbformat 4 schema, and write back in nbformat's layout.
namespace nbexec {

// One schema violation: a JSON pointer into the document ("" for the whole) and what is wrong.
using NotebookFinding = notebook::Diagnostic;

// Parses notebook text as nbformat.read does (cell ids repaired, line lists joined). Throws
// NotebookError naming `origin`.
notebook::Notebook parse_notebook_text(std::string_view text, std::string_view origin);

// The notebook as nbformat.write writes it (indent 1, sorted keys, line lists, final newline).
std::string write_notebook_text(const notebook::Notebook& nb);

// Validates the document as written (no id repair). Malformed JSON is one finding at "".
std::vector<NotebookFinding> validate_notebook_text(std::string_view text);

// validate_notebook_text, then, when there are no findings, the text written back in
// nbformat's layout; one parse.
std::pair<std::vector<NotebookFinding>, std::string> validate_and_write_notebook_text(
    std::string_view text);

}  // namespace nbexec
