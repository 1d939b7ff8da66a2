#pragma once

#include <nbexec/notebook/notebook.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace nbexec::notebook {

// The notebook as nbformat.write lays it out: multi-line strings split into line lists,
// sorted keys, indent 1, non-ASCII kept, Python's float spelling (NaN and Infinity included),
// trailing newline, and the transient fields nbformat never stores (metadata.orig_nbformat,
// orig_nbformat_minor, signature; cell metadata.trusted) left out. Byte-identical to
// nbformat's output for the same document.
std::string serialize_notebook(const Notebook& nb);

// What a save promises once it returns. Every save is atomic: a reader, a killed process or a
// full disk sees the old file or the new one, never a partial one.
enum class Durability {
  // Temporary file + rename only, as fast as the page cache. A machine crash or power loss
  // shortly after may leave the previous version (or, on some file systems, an empty file)
  // behind. nbexec run uses it for the saves during a run, which the next save replaces.
  atomic,
  // Also fsync the file before the rename and its folder after it: the notebook survives a
  // power loss once the call returns. Costs about one disk write of the file (measured in
  // docs/benchmarks.md, case 4). nbexec run's final save uses it.
  durable,
};

// Writes `text` to `path` atomically: a temporary file in the same folder, written fully,
// fsync'd (with Durability::durable), given the permissions of the file it replaces (a new file
// gets 0666 minus the umask), then renamed over the target, so a reader never sees a partial
// file. A symbolic link is followed (the file it points to is replaced); a device or FIFO is
// written in place. "-" writes standard output.
// Throws NotebookError naming the path on failure; the previous file is left untouched and
// the temporary file removed.
void write_file_atomic(const std::filesystem::path& path, std::string_view text,
                       Durability durability);
// The durable form.
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

// serialize_notebook + write_file_atomic, without building the text: the notebook is
// serialized straight into the temporary file in 1 MiB chunks, so saving needs no memory in
// proportion to the notebook. Returns the bytes written.
std::size_t save_notebook(const Notebook& nb, const std::filesystem::path& path,
                          Durability durability = Durability::durable);

}  // namespace nbexec::notebook
