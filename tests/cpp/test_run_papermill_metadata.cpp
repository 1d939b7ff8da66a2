// papermill's bookkeeping, field for field as papermill 2.7 writes it (iorw.load_notebook_node,
// engines.NotebookExecutionManager, execute.raise_for_execution_errors and
// parameterize_notebook). tests/python/test_papermill_parity.py compares whole runs with the
// real papermill; these pin each step on its own.
#include "run/papermill_metadata.hpp"

#include <nbexec/notebook/read.hpp>
#include <nbexec/notebook/write.hpp>
#include <nbexec/run.hpp>
#include <nbexec/version.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>

using namespace nbexec;
using namespace nbexec::run_detail;
using json = nlohmann::json;
namespace fs = std::filesystem;
using std::chrono::microseconds;

namespace {

const std::string error_style =
    "style=\"color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; "
    "font-size:2em;\"";

wall_clock::time_point at_micros(long long micros) {
  return wall_clock::time_point(
      std::chrono::duration_cast<wall_clock::duration>(microseconds(micros)));
}

json code(const std::string& source, json metadata = json::object()) {
  return {
      {"cell_type", "code"},
      {"execution_count", 7},
      {"metadata", std::move(metadata)},
      {"outputs", json::array({{{"output_type", "stream"}, {"name", "stdout"}, {"text", "x"}}})},
      {"source", source}};
}

json markdown(const std::string& source, json metadata = json::object()) {
  return {{"cell_type", "markdown"}, {"metadata", std::move(metadata)}, {"source", source}};
}

notebook::Notebook notebook_of(json cells, int minor = 5) {
  return notebook::Notebook(json{{"cells", std::move(cells)},
                                 {"metadata", json::object()},
                                 {"nbformat", 4},
                                 {"nbformat_minor", minor}});
}

json marker_metadata() {
  return {{"tags", json::array({"papermill-error-cell-tag"})}};
}

std::string status_of(const json& cell) {
  return cell["metadata"]["papermill"]["status"];
}

}  // namespace

TEST_CASE("times are written as datetime.isoformat() writes an aware UTC time", "[papermill]") {
  CHECK(isoformat_utc(at_micros(0)) == "1970-01-01T00:00:00+00:00");
  CHECK(isoformat_utc(at_micros(1)) == "1970-01-01T00:00:00.000001+00:00");
  // 2026-11-29T16:50:52.123456 UTC
  CHECK(isoformat_utc(at_micros(1795971052123456LL)) == "2026-11-29T16:50:52.123456+00:00");
  // A whole second has no fraction, like isoformat(); before 1970 the fraction still counts up.
  CHECK(isoformat_utc(at_micros(1795971052000000LL)) == "2026-11-29T16:50:52+00:00");
  CHECK(isoformat_utc(at_micros(-1)) == "1969-12-31T23:59:59.999999+00:00");
  // Below a microsecond is dropped, as datetime has no nanoseconds.
  CHECK(isoformat_utc(at_micros(5) + std::chrono::nanoseconds(999)) ==
        "1970-01-01T00:00:00.000005+00:00");
}

TEST_CASE("durations are timedelta.total_seconds(): whole microseconds", "[papermill]") {
  CHECK(seconds_between(at_micros(0), at_micros(1500000)) == 1.5);
  CHECK(seconds_between(at_micros(10), at_micros(10)) == 0.0);
  CHECK(seconds_between(at_micros(0), at_micros(1) + std::chrono::nanoseconds(999)) == 1e-6);
  CHECK(seconds_between(at_micros(2000000), at_micros(0)) == -2.0);
}

TEST_CASE("load_notebook_node's defaults: papermill metadata, tags and cell papermill",
          "[papermill]") {
  auto nb = notebook_of(json::array({code("1", {{"tags", json::array({"parameters"})}}),
                                     markdown("text", {{"papermill", {{"status", "failed"}}}})}));
  add_papermill_defaults(nb);
  CHECK(nb.metadata()["papermill"] == json{{"default_parameters", json::object()},
                                           {"parameters", json::object()},
                                           {"environment_variables", json::object()},
                                           {"version", std::string(version)}});
  const json& cells = nb.cells();
  CHECK(cells[0]["metadata"]["tags"] == json::array({"parameters"}));  // kept
  CHECK(cells[0]["metadata"]["papermill"] == json::object());
  CHECK(cells[1]["metadata"]["tags"] == json::array());
  CHECK(cells[1]["metadata"]["papermill"] == json{{"status", "failed"}});  // kept until start

  // An earlier run's metadata.papermill is kept whole: no key is added, the version stays.
  auto earlier = notebook_of(json::array());
  earlier.metadata()["papermill"] = {{"parameters", {{"foo", 1}}}, {"version", "0.4"}};
  add_papermill_defaults(earlier);
  CHECK(earlier.metadata()["papermill"] == json{{"parameters", {{"foo", 1}}}, {"version", "0.4"}});
}

TEST_CASE("remove_error_markers drops every cell tagged papermill-error-cell-tag", "[papermill]") {
  auto nb = notebook_of(json::array({markdown("banner", marker_metadata()), code("1"),
                                     markdown("anchor", marker_metadata()), code("2"),
                                     markdown("kept", {{"tags", json::array({"other"})}})}));
  remove_error_markers(nb);
  REQUIRE(nb.cells().size() == 3);
  CHECK(nb.cells()[0]["source"] == "1");
  CHECK(nb.cells()[1]["source"] == "2");
  CHECK(nb.cells()[2]["source"] == "kept");
}

TEST_CASE("notebook_start: the run's start, every cell pending, code cells cleared",
          "[papermill]") {
  auto nb = notebook_of(
      json::array({code("1", {{"papermill", {{"status", "failed"}, {"exception", true}}}}),
                   markdown("m"),
                   {{"cell_type", "raw"}, {"metadata", json::object()}, {"source", "r"}}}));
  add_papermill_defaults(nb);
  nb.metadata()["papermill"]["end_time"] = "old";
  papermill_notebook_start(nb, at_micros(1795971052123456LL));
  const json& meta = nb.metadata()["papermill"];
  CHECK(meta["start_time"] == "2026-11-29T16:50:52.123456+00:00");
  CHECK(meta["end_time"].is_null());
  CHECK(meta["duration"].is_null());
  CHECK(meta["exception"].is_null());
  const json pending = {{"exception", nullptr},
                        {"start_time", nullptr},
                        {"end_time", nullptr},
                        {"duration", nullptr},
                        {"status", "pending"}};
  for (const json& cell : nb.cells()) CHECK(cell["metadata"]["papermill"] == pending);
  CHECK(nb.cells()[0]["execution_count"].is_null());
  CHECK(nb.cells()[0]["outputs"] == json::array());
  CHECK_FALSE(nb.cells()[1].contains("outputs"));
  CHECK_FALSE(nb.cells()[2].contains("outputs"));
  CHECK_FALSE(nb.cells()[1].contains("execution_count"));
}

TEST_CASE("cell_start, cell_exception and cell_complete as NotebookExecutionManager",
          "[papermill]") {
  auto nb = notebook_of(json::array({code("1"), code("2")}));
  add_papermill_defaults(nb);
  papermill_notebook_start(nb, at_micros(0));
  json& ok = nb.cells()[0];
  papermill_cell_start(ok, at_micros(1000000));
  CHECK(ok["metadata"]["papermill"]["start_time"] == "1970-01-01T00:00:01+00:00");
  CHECK(status_of(ok) == "running");
  CHECK(ok["metadata"]["papermill"]["exception"] == false);
  papermill_cell_complete(ok, at_micros(1000000), at_micros(1250000));
  CHECK(ok["metadata"]["papermill"]["end_time"] == "1970-01-01T00:00:01.250000+00:00");
  CHECK(ok["metadata"]["papermill"]["duration"] == 0.25);
  CHECK(status_of(ok) == "completed");
  CHECK(nb.metadata()["papermill"]["exception"].is_null());

  json& bad = nb.cells()[1];
  papermill_cell_start(bad, at_micros(2000000));
  papermill_cell_exception(nb, bad);
  papermill_cell_complete(bad, at_micros(2000000), at_micros(3000000));
  CHECK(status_of(bad) == "failed");  // complete does not undo failed
  CHECK(bad["metadata"]["papermill"]["exception"] == true);
  CHECK(bad["metadata"]["papermill"]["duration"] == 1.0);
  CHECK(nb.metadata()["papermill"]["exception"] == true);
}

TEST_CASE("notebook_complete: end, duration, and pending cells before a failure completed",
          "[papermill]") {
  auto nb = notebook_of(json::array({code("1"), markdown("m"), code("2"), code("3")}));
  add_papermill_defaults(nb);
  papermill_notebook_start(nb, at_micros(0));
  SECTION("a failure stops the clean-up") {
    papermill_cell_start(nb.cells()[2], at_micros(10));
    papermill_cell_exception(nb, nb.cells()[2]);
    papermill_notebook_complete(nb, at_micros(0), at_micros(2500000));
    CHECK(status_of(nb.cells()[0]) == "completed");
    CHECK(status_of(nb.cells()[1]) == "completed");
    CHECK(status_of(nb.cells()[2]) == "failed");
    CHECK(status_of(nb.cells()[3]) == "pending");
  }
  SECTION("without one every pending cell is completed, times left null") {
    papermill_notebook_complete(nb, at_micros(0), at_micros(2500000));
    for (const json& cell : nb.cells()) {
      CHECK(status_of(cell) == "completed");
      CHECK(cell["metadata"]["papermill"]["start_time"].is_null());
    }
  }
  CHECK(nb.metadata()["papermill"]["end_time"] == "1970-01-01T00:00:02.500000+00:00");
  CHECK(nb.metadata()["papermill"]["duration"] == 2.5);
}

TEST_CASE("raise_for_execution_errors' banner and anchor cells", "[papermill]") {
  auto nb = notebook_of(json::array({markdown("m"), code("1"), markdown("n"), code("2")}));
  const ExecutionError failure(3, 2, "", "", "", {});
  insert_error_cells(nb, failure);
  const json& cells = nb.cells();
  REQUIRE(cells.size() == 6);
  CHECK(cells[0]["source"] == "<span " + error_style +
                                  ">An Exception was encountered at '<a "
                                  "href=\"#papermill-error-cell\">In [2]</a>'.</span>");
  CHECK(cells[4]["source"] == "<span id=\"papermill-error-cell\" " + error_style +
                                  ">Execution using papermill encountered an exception here "
                                  "and stopped:</span>");
  CHECK(cells[5]["source"] == "2");
  for (const json* marker : {&cells[0], &cells[4]}) {
    CHECK((*marker)["cell_type"] == "markdown");
    CHECK((*marker)["metadata"] == marker_metadata());  // no papermill record
    CHECK((*marker)["id"].get<std::string>().size() == 8);
  }
  CHECK(cells[0]["id"] != cells[4]["id"]);

  SECTION("no execution count is str(None); before 4.5 cells have no id") {
    auto old = notebook_of(json::array({code("1")}), 4);
    const ExecutionError no_count(0, std::nullopt, "", "", "", {});
    insert_error_cells(old, no_count);
    CHECK(old.cells()[0]["source"].get<std::string>().find("In [None]") != std::string::npos);
    CHECK_FALSE(old.cells()[0].contains("id"));
    CHECK(old.cells()[1]["source"].get<std::string>().find("papermill-error-cell\" ") !=
          std::string::npos);
  }
}

TEST_CASE("a run without parameters keeps those an earlier run recorded", "[papermill]") {
  const fs::path dir =
      fs::temp_directory_path() / ("nbexec-papermill-meta-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto nb = notebook_of(json::array({code("a = 1", {{"tags", json::array({"parameters"})}}),
                                     markdown("stale banner", marker_metadata())}),
                        2);
  nb.metadata()["kernelspec"] = {
      {"name", "python3"}, {"display_name", "Python 3"}, {"language", "python"}};
  nb.metadata()["papermill"] = {{"parameters", {{"a", 5}}}, {"version", "0.4"}};
  notebook::save_notebook(nb, dir / "in.ipynb");

  RunOptions options;
  options.input_path = dir / "in.ipynb";
  options.output_path = dir / "out.ipynb";
  options.prepare_only = true;
  run_notebook(options);
  auto out = notebook::load_notebook(dir / "out.ipynb");
  CHECK(out.metadata()["papermill"]["parameters"] == json{{"a", 5}});
  CHECK(out.metadata()["papermill"]["version"] == "0.4");
  CHECK(out.metadata()["papermill"]["input_path"] == (dir / "in.ipynb").string());
  CHECK(out.metadata()["papermill"]["output_path"] == (dir / "out.ipynb").string());
  CHECK(out.nbformat_minor() == 5);
  REQUIRE(out.cells().size() == 1);  // the stale marker went

  options.parameters = {{"a", 2}};
  run_notebook(options);
  out = notebook::load_notebook(dir / "out.ipynb");
  CHECK(out.metadata()["papermill"]["parameters"] == json{{"a", 2}});
  CHECK(out.cells().size() == 2);  // the injected cell
  fs::remove_all(dir);
}
