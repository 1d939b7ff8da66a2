#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace nbexec {

// A run reports what it does as events: one JSON object each, with "event" naming the kind,
// "time" (UTC, ISO 8601 with microseconds) and the fields of that kind. The CLI prints them as
// text lines, a progress bar or, with --log-format json, one object per line on stderr; the
// schema is docs/events.schema.json (described in docs/events.md).
//
// Kinds and their fields (every field always present unless marked optional):
//   run_start   input_path, output_path, parameters, kernel, language, cells, code_cells
//   kernel_ready kernel, pid, language_info (optional: the kernel's, when it sent one)
//   cell_start  cell_index, cell_number (1-based among cells to run), code_cells, source
//               (capped), truncated, description (optional: papermill_description=...)
//   cell_output cell_index, output_type, name (stream only), mime_types (rich outputs only),
//               text (capped), truncated
//   cell_end    cell_index, status ("completed" | "failed" | "errored" (raised, errors
//               allowed) | "timeout" (its own or the run's deadline) | "interrupted" |
//               "kernel_died"), duration (s),
//               execution_count, ename/evalue (optional, when it raised)
//   save        path, bytes, reason ("start" | "cell" | "autosave" | "end")
//   log         level ("debug" | "info"), message
//   warning     message (warnings and errors)
//   run_end     status ("completed" | "failed" | "timeout" | "kernel_died" | "interrupted" |
//               "error"), exit_code, output_path, duration (s), cells_executed, saves,
//               bytes_written, error (optional: the message)
using RunEvent = nlohmann::json;

// Longest text an event carries (cell sources, stream text); longer text is cut at a UTF-8
// boundary and the event says truncated.
constexpr std::size_t event_text_limit = 2000;

// Cuts `text` to at most `limit` bytes without splitting a UTF-8 sequence.
std::string cap_event_text(const std::string& text, std::size_t limit, bool* truncated = nullptr);

// The current UTC time as papermill writes it (datetime.isoformat():
// 2026-11-29T16:50:52.123456+00:00).
std::string utc_now_iso();

}  // namespace nbexec
