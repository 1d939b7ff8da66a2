#pragma once

#include <nbexec/notebook/notebook.hpp>

#include <filesystem>
#include <string>

namespace nbexec::notebook {

// The notebook as nbformat.write lays it out: multi-line strings split into line lists,
// sorted keys, indent 1, non-ASCII kept, trailing newline. Byte-identical to nbformat's
// output for the same document.
std::string serialize_notebook(const Notebook& nb);

// Writes `text` to `path` atomically: a temporary file in the same folder, flushed, then
// renamed over the target, so a reader never sees a partial file. "-" writes standard output.
// Throws NotebookError naming the path on failure; the previous file is left untouched.
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

// serialize_notebook + write_file_atomic.
void save_notebook(const Notebook& nb, const std::filesystem::path& path);

}  // namespace nbexec::notebook
