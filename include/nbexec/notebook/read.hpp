#pragma once

#include <nbexec/notebook/notebook.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace nbexec::notebook {

// Turns a parsed document into a Notebook: checks it is nbformat 4 with the fields the
// executor relies on and joins line lists into strings. `origin` names the file in errors.
// Throws NotebookError naming origin and the JSON path (e.g. "/cells/3/source").
Notebook parse_notebook(json document, const std::string& origin = "<notebook>");

// Parses notebook text. Malformed JSON gives NotebookError with origin, line and column.
Notebook parse_notebook_text(std::string_view text, const std::string& origin = "<notebook>");

// Reads and parses a notebook file; "-" reads standard input.
Notebook load_notebook(const std::filesystem::path& path);

}  // namespace nbexec::notebook
