#pragma once

#include <nbexec/notebook/notebook.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace nbexec::notebook {

// Parses JSON text the way Python's json module does (NaN and Infinity accepted, last of
// duplicate keys kept), with no notebook checks: the document as it is on disk, for
// validate_notebook. Malformed JSON gives NotebookError "origin:line:column: malformed JSON: ...".
json read_json_text(std::string_view text, const std::string& origin = "<notebook>");

// read_json_text of a file's content ("-" reads standard input). A regular file is parsed as
// it is read, in 1 MiB chunks, so its text is never held in memory next to the document (peak
// memory is the document plus one chunk). Errors name the path (and line and column).
json read_json_file(const std::filesystem::path& path);

// Turns a parsed document into a Notebook: checks it is nbformat 4 with the fields the
// executor relies on and joins line lists into strings, as nbformat.read does (it also gives
// missing or repeated cell ids of 4.5+ notebooks new ids, see normalize_cell_ids). Fields it
// does not know are kept. `origin` names the file in errors.
// Throws NotebookError naming origin and the JSON path (e.g. "/cells/3/source").
Notebook parse_notebook(json document, const std::string& origin = "<notebook>");

// Parses notebook text. Malformed JSON gives NotebookError with origin, line and column.
Notebook parse_notebook_text(std::string_view text, const std::string& origin = "<notebook>");

// Reads and parses a notebook file (read_json_file + parse_notebook); "-" reads standard
// input. An unreadable path gives NotebookError naming it and the system's reason.
Notebook load_notebook(const std::filesystem::path& path);

}  // namespace nbexec::notebook
