#pragma once

#include <nbexec/notebook/notebook.hpp>

#include <filesystem>
#include <string>

namespace nbexec::notebook {

// The notebook as nbformat.write lays it out: multi-line strings split into line lists,
// sorted keys, indent 1, non-ASCII kept, Python's float spelling (NaN and Infinity included),
// trailing newline, and the transient fields nbformat never stores (metadata.orig_nbformat,
// orig_nbformat_minor, signature; cell metadata.trusted) left out. Byte-identical to
// nbformat's output for the same document.
std::string serialize_notebook(const Notebook& nb);

// Writes `text` to `path` atomically: a temporary file in the same folder, written fully,
// fsync'd, given the permissions of the file it replaces (a new file gets 0666 minus the
// umask), then renamed over the target, so a reader never sees a partial file. A symbolic link
// is followed (the file it points to is replaced); a device or FIFO is written in place.
// "-" writes standard output.
// Throws NotebookError naming the path on failure; the previous file is left untouched and
// the temporary file removed.
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

// serialize_notebook + write_file_atomic.
void save_notebook(const Notebook& nb, const std::filesystem::path& path);

}  // namespace nbexec::notebook
