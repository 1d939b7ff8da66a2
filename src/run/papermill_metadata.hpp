#pragma once

#include <nbexec/execute/executor.hpp>
#include <nbexec/notebook/notebook.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace nbexec::run_detail {

using wall_clock = std::chrono::system_clock;

// papermill's bookkeeping in the notebook it writes, field for field: what load_notebook_node,
// NotebookExecutionManager (notebook_start, cell_start, cell_exception, cell_complete,
// notebook_complete) and raise_for_execution_errors put in metadata and cells. Kept apart from
// the run so that "what papermill writes" is one file to compare with papermill's.

// load_notebook_node: metadata.papermill with empty default_parameters, parameters and
// environment_variables and the writer's version, when absent; metadata.tags ([]) and
// metadata.papermill ({}) on every cell that has none.
void add_papermill_defaults(notebook::Notebook& nb);

// remove_error_markers: drops the banner and anchor cells an earlier failed run left.
void remove_error_markers(notebook::Notebook& nb);

// notebook_start: the run's start time; every cell pending; code cells lose their outputs
// and execution counts.
void papermill_notebook_start(notebook::Notebook& nb, wall_clock::time_point now);

// cell_start: start time, status running, exception false.
void papermill_cell_start(nlohmann::json& cell, wall_clock::time_point now);

// cell_exception: the cell and the notebook are marked as failed.
void papermill_cell_exception(notebook::Notebook& nb, nlohmann::json& cell);

// cell_complete: end time, duration since `start` (the time given to cell_start) and,
// unless failed, status completed.
void papermill_cell_complete(nlohmann::json& cell, wall_clock::time_point start,
                             wall_clock::time_point now);

// notebook_complete: end time and duration; cells still pending before the first failed one
// count as completed.
void papermill_notebook_complete(notebook::Notebook& nb, wall_clock::time_point start,
                                 wall_clock::time_point now);

// raise_for_execution_errors' markers: a banner at the top naming the failing cell's
// execution count and an anchor just before the failing cell, both tagged
// papermill-error-cell-tag.
void insert_error_cells(notebook::Notebook& nb, const ExecutionError& failure);

// A time as Python's datetime.isoformat() writes an aware UTC time:
// 2026-11-29T16:50:52.123456+00:00 (no fraction when the microseconds are zero).
std::string isoformat_utc(wall_clock::time_point time);

// Seconds between two times, as timedelta.total_seconds().
double seconds_between(wall_clock::time_point start, wall_clock::time_point end);

}  // namespace nbexec::run_detail
