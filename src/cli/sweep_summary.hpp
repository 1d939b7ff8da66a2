#pragma once

#include <nbexec/sweep.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

// The summary of a sweep, one row per run: written to --summary FILE (CSV or JSON lines, by
// the file's extension), printed as a table on a terminal, and told in one total line
// (docs/sweeps.md, "The summary").
namespace nbexec::cli {

enum class SummaryFormat { csv, jsonl };

// The format --summary FILE asks for: .csv, or .jsonl/.json (JSON lines). Another extension,
// or a folder that does not exist, is a UsageError, so the sweep fails before any run starts.
SummaryFormat summary_format(const std::filesystem::path& path);

// The file's text. CSV: index,status,exit_code,duration,output_path,error, one column per
// parameter (in first-seen order; `param.NAME` when NAME is one of the fixed columns), one per
// scrap (`scrap.NAME`, in name order: a record's scraps come sorted); strings as they are, other
// values as JSON, a missing value empty. JSON lines:
// {"index","parameters","status","exit_code","duration","output_path","scraps", "error"} per run,
// error null when the run completed.
std::string summary_csv(const std::vector<SweepRecord>& records);
std::string summary_jsonl(const std::vector<SweepRecord>& records);

// Writes the summary atomically (a temporary file beside it, then a rename). Throws
// UsageError naming the file when it cannot.
void write_summary(const std::filesystem::path& path, SummaryFormat format,
                   const std::vector<SweepRecord>& records);

// One run's row as a JSON object (the JSON-lines row, also the sweep_run_end event's fields).
// Keys in that order, parameters in theirs.
nlohmann::ordered_json summary_row(const SweepRecord& record);

// "alpha=0.1, seed=2": the values of `names` (the grid's, which tell runs apart), JSON-encoded
// except strings; every parameter when `names` is empty.
std::string compact_values(const nlohmann::ordered_json& values,
                           const std::vector<std::string>& names);

// The names the grid varies, in first-seen order.
std::vector<std::string> grid_names(const std::vector<SweepGridRun>& grid);

// The table printed at the end on a terminal: run, parameters (the grid's), status, exit code,
// seconds, scraps; each cell cut to fit `width` columns.
std::string summary_table(const SweepResult& result, const std::vector<std::string>& names,
                          std::size_t width);

// "32 runs: 30 completed, 2 failed in 4.1 s; peak memory RSS 812 MB, PSS 410 MB".
std::string summary_total(const SweepResult& result);

}  // namespace nbexec::cli
