#pragma once

#include <nbexec/notebook/write.hpp>

#include "json_writer.hpp"

#include <filesystem>
#include <functional>

namespace nbexec::notebook::detail {

// The engine of write_file_atomic and save_notebook: `produce` writes the whole content into
// the sink it is given, which goes straight to a temporary file next to `path` (in chunks, so
// the content is never held in memory) that is then renamed over `path`. Standard output
// ("-"), devices and FIFOs get the content gathered in memory first and written in place, so
// that a failure while producing writes nothing there either. Returns the bytes written.
// Throws NotebookError naming `path`; the previous file is left untouched and the temporary
// file removed.
std::size_t write_atomically(const std::filesystem::path& path, Durability durability,
                             const std::function<void(JsonSink&)>& produce);

}  // namespace nbexec::notebook::detail
