#include "run/papermill_metadata.hpp"

#include "core/json_fields.hpp"
#include "core/utc_time.hpp"

#include <nbexec/version.hpp>

namespace nbexec::run_detail {
namespace {

using json = nlohmann::json;

constexpr const char* error_marker_tag = "papermill-error-cell-tag";
constexpr const char* error_style =
    "style=\"color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; "
    "font-size:2em;\"";

json& object_at(json& parent, const char* key) {
  json& value = parent[key];
  if (!value.is_object()) value = json::object();
  return value;
}

json& papermill_of(json& cell) {
  return object_at(object_at(cell, "metadata"), "papermill");
}

json new_markdown_cell(const notebook::Notebook& nb, std::string source) {
  json cell = {{"cell_type", "markdown"},
               {"metadata", {{"tags", json::array({error_marker_tag})}}},
               {"source", std::move(source)}};
  if (nb.nbformat_minor() >= 5) cell["id"] = notebook::new_cell_id();
  return cell;
}

}  // namespace

std::string isoformat_utc(wall_clock::time_point time) {
  return detail::format_utc(time, "+00:00", detail::Fraction::unless_zero);
}

double seconds_between(wall_clock::time_point start, wall_clock::time_point end) {
  // timedelta keeps microseconds, so total_seconds() is a whole number of them.
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(end - start).count();
  return static_cast<double>(micros) / 1e6;
}

void add_papermill_defaults(notebook::Notebook& nb) {
  json& metadata = nb.metadata();
  if (!metadata.is_object()) metadata = json::object();
  if (!metadata.contains("papermill")) {
    metadata["papermill"] = {{"default_parameters", json::object()},
                             {"parameters", json::object()},
                             {"environment_variables", json::object()},
                             {"version", std::string(version)}};
  }
  for (json& cell : nb.cells()) {
    if (!cell.is_object()) continue;
    json& cell_metadata = object_at(cell, "metadata");
    if (!cell_metadata.contains("tags")) cell_metadata["tags"] = json::array();
    if (!cell_metadata.contains("papermill")) cell_metadata["papermill"] = json::object();
  }
}

void remove_error_markers(notebook::Notebook& nb) {
  json kept = json::array();
  for (json& cell : nb.cells()) {
    if (!notebook::cell_has_tag(cell, error_marker_tag)) kept.push_back(std::move(cell));
  }
  nb.cells() = std::move(kept);
}

void papermill_notebook_start(notebook::Notebook& nb, wall_clock::time_point now) {
  json& papermill = object_at(nb.metadata(), "papermill");
  papermill["start_time"] = isoformat_utc(now);
  papermill["end_time"] = nullptr;
  papermill["duration"] = nullptr;
  papermill["exception"] = nullptr;
  for (json& cell : nb.cells()) {
    if (!cell.is_object()) continue;
    const bool code = nbexec::detail::string_field(cell, "cell_type") == "code";
    if (code) cell["execution_count"] = nullptr;
    object_at(cell, "metadata")["papermill"] = {{"exception", nullptr},
                                                {"start_time", nullptr},
                                                {"end_time", nullptr},
                                                {"duration", nullptr},
                                                {"status", "pending"}};
    if (code) cell["outputs"] = json::array();
  }
}

void papermill_cell_start(json& cell, wall_clock::time_point now) {
  json& papermill = papermill_of(cell);
  papermill["start_time"] = isoformat_utc(now);
  papermill["status"] = "running";
  papermill["exception"] = false;
}

void papermill_cell_exception(notebook::Notebook& nb, json& cell) {
  json& papermill = papermill_of(cell);
  papermill["exception"] = true;
  papermill["status"] = "failed";
  object_at(nb.metadata(), "papermill")["exception"] = true;
}

void papermill_cell_complete(json& cell, wall_clock::time_point start, wall_clock::time_point now) {
  json& papermill = papermill_of(cell);
  papermill["end_time"] = isoformat_utc(now);
  papermill["duration"] = seconds_between(start, now);
  if (nbexec::detail::string_field(papermill, "status") != "failed")
    papermill["status"] = "completed";
}

void papermill_notebook_complete(notebook::Notebook& nb, wall_clock::time_point start,
                                 wall_clock::time_point now) {
  json& papermill = object_at(nb.metadata(), "papermill");
  papermill["end_time"] = isoformat_utc(now);
  papermill["duration"] = seconds_between(start, now);
  for (json& cell : nb.cells()) {
    json& cell_papermill = papermill_of(cell);
    const std::string status = nbexec::detail::string_field(cell_papermill, "status");
    if (status == "failed") break;
    if (status == "pending") cell_papermill["status"] = "completed";
  }
}

void insert_error_cells(notebook::Notebook& nb, const ExecutionError& failure) {
  const std::string count = failure.exec_count ? std::to_string(*failure.exec_count) : "None";
  json banner = new_markdown_cell(nb, std::string("<span ") + error_style +
                                          ">An Exception was encountered at '<a "
                                          "href=\"#papermill-error-cell\">In [" +
                                          count + "]</a>'.</span>");
  json anchor = new_markdown_cell(
      nb, std::string("<span id=\"papermill-error-cell\" ") + error_style +
              ">Execution using papermill encountered an exception here and stopped:</span>");
  json& cells = nb.cells();
  const std::size_t at = std::min(failure.cell_index, cells.size());
  cells.insert(cells.begin() + static_cast<std::ptrdiff_t>(at), std::move(anchor));
  cells.insert(cells.begin(), std::move(banner));
}

}  // namespace nbexec::run_detail
