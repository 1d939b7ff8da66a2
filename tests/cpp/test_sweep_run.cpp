// run_sweep against a real ipykernel (a few short runs: each kernel start costs about a second)
// and read_scraps on hand-built notebooks.
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/kernel/kernelspec.hpp>
#include <nbexec/notebook/read.hpp>
#include <nbexec/sweep.hpp>

#include "run/sweep_preflight.hpp"
#include "test_kernel_support.hpp"

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

using namespace nbexec;
using nbexec_test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json code_cell(const std::string& source, const json& tags = json::array()) {
  return {{"cell_type", "code"},
          {"execution_count", nullptr},
          {"id", "c" + std::to_string(std::hash<std::string>()(source) % 100000000)},
          {"metadata", {{"tags", tags}}},
          {"outputs", json::array()},
          {"source", source}};
}

// A parameters cell, a cell that records alpha * 2 as scrapbook's glue does, one that raises
// when alpha is 3, one that sleeps `pause` seconds.
std::string sweep_notebook(const json& metadata_extra = json::object()) {
  json metadata = {
      {"kernelspec", {{"name", "python3"}, {"language", "python"}, {"display_name", "P"}}}};
  metadata.update(metadata_extra);
  json cells =
      json::array({code_cell("alpha = 1\npause = 0", json::array({"parameters"})),
                   code_cell("from IPython.display import display\n"
                             "display({'application/scrapbook.scrap.json+json': {'name': 'double', "
                             "'data': alpha * 2, 'encoder': 'json', 'version': 1}}, raw=True)"),
                   code_cell("if alpha == 3:\n    raise ValueError('three')"),
                   code_cell("import time\ntime.sleep(pause)")});
  return json{{"cells", cells}, {"metadata", metadata}, {"nbformat", 4}, {"nbformat_minor", 5}}
      .dump();
}

// The Python environment's prefix (sys.prefix of the python3 on PATH), where its python3
// kernelspec lives; nullopt when that environment has no ipykernel.
std::optional<fs::path> python_env_prefix() {
  const std::string prefix = nbexec_test::run_command(
      "python3 -c \"import ipykernel, sys; print(sys.prefix)\" 2>/dev/null");
  if (prefix.empty()) return std::nullopt;
  return fs::path(prefix);
}

struct SweepFixture {
  TempDir dir;
  SweepOptions options;
  std::vector<std::string> log;
  std::mutex mutex;

  explicit SweepFixture(const json& metadata_extra = json::object()) {
    nbexec_test::write_file(dir.path() / "in.ipynb", sweep_notebook(metadata_extra));
    options.run.input_path = dir.path() / "in.ipynb";
    options.run.env_prefix = python_env_prefix();
    options.output_template = (dir.path() / "out" / "run-{run}.ipynb").string();
    options.fork = false;
    options.log = [this](LogLevel, const std::string& line) {
      std::lock_guard<std::mutex> lock(mutex);
      log.push_back(line);
    };
  }

  bool has_kernel() const { return options.run.env_prefix.has_value(); }

  std::vector<fs::path> outputs() const { return nbexec_test::files_in(dir.path() / "out"); }
};

json injected_cell(const fs::path& path) {
  const json doc = notebook::load_notebook(path).document();
  for (const json& cell : doc["cells"]) {
    if (cell["metadata"].value("tags", json::array()).dump().find("injected-parameters") !=
        std::string::npos) {
      return cell;
    }
  }
  return nullptr;
}

json display(const json& data) {
  return {{"output_type", "display_data"}, {"data", data}, {"metadata", json::object()}};
}

}  // namespace

TEST_CASE("read_scraps reads scrapbook's json and text scraps and papermill's record", "[sweep]") {
  json first = code_cell("a");
  first["outputs"] = json::array(
      {display({{"application/scrapbook.scrap.json+json",
                 {{"name", "loss"}, {"data", 0.5}, {"encoder", "json"}, {"version", 1}}}}),
       display({{"application/scrapbook.scrap.text+json",
                 {{"name", "label"}, {"data", "cat"}, {"encoder", "text"}, {"version", 1}}}}),
       {{"output_type", "execute_result"},
        {"execution_count", 1},
        {"metadata", json::object()},
        {"data", {{"application/papermill.record+json", {{"epochs", 3}}}}}},
       display({{"application/scrapbook.scrap.json+json",
                 {{"name", "blob"}, {"data", "[1, 2]"}, {"encoder", "json"}, {"version", 1}}}}),
       display({{"application/scrapbook.scrap.pandas+json",
                 {{"name", "frame"}, {"data", "opaque"}, {"encoder", "pandas"}}}}),
       // display-only: no data, left out
       display({{"application/scrapbook.scrap.json+json",
                 {{"name", "shown"}, {"encoder", "display"}, {"version", 1}}}}),
       {{"output_type", "stream"}, {"name", "stdout"}, {"text", "x"}}});
  json second = code_cell("b");
  second["outputs"] = json::array(
      {display({{"application/scrapbook.scrap.json+json",
                 {{"name", "loss"}, {"data", 0.25}, {"encoder", "json"}, {"version", 1}}}}),
       display({{"application/papermill.record+json", {{"label", "dog"}}}})});
  json markdown = {
      {"cell_type", "markdown"}, {"metadata", json::object()}, {"source", "m"}, {"id", "m1"}};
  notebook::Notebook nb(json{{"cells", {first, markdown, second}},
                             {"metadata", json::object()},
                             {"nbformat", 4},
                             {"nbformat_minor", 5}});
  const json scraps = read_scraps(nb);
  CHECK(scraps == json({{"loss", 0.25},  // the later record wins
                        {"label", "dog"},
                        {"epochs", 3},
                        {"blob", json::array({1, 2})},  // the json encoder reads a JSON string
                        {"frame", "opaque"}}));
  CHECK(read_scraps(notebook::Notebook()) == json::object());
}

TEST_CASE("bad input is refused before any kernel starts or file is written", "[sweep]") {
  SweepFixture sweep;
  sweep.options.grid = {{{"alpha", 1}}, {{"alpha", 2}, {"bogus", 5}}};

  SECTION("an unknown name under the strict check names the run") {
    CHECK_THROWS_WITH(run_sweep(sweep.options),
                      Catch::Contains("run 1: ") && Catch::Contains("bogus"));
    CHECK_THROWS_AS(run_sweep(sweep.options), ParameterError);
  }
  SECTION("a kernel nobody has") {
    sweep.options.grid = {{{"alpha", 1}}};
    sweep.options.run.kernel_name = "no-such-kernel-for-sweeps";
    CHECK_THROWS_AS(run_sweep(sweep.options), KernelNotFoundError);
  }
  SECTION("a preload list in the notebook that is not one") {
    nbexec_test::write_file(sweep.dir.path() / "in.ipynb",
                            sweep_notebook({{"nbexec", {{"preload", "numpy"}}}}));
    sweep.options.grid = {{{"alpha", 1}}};
    CHECK_THROWS_WITH(run_sweep(sweep.options), Catch::Contains("metadata.nbexec.preload"));
  }
  CHECK_FALSE(fs::exists(sweep.dir.path() / "out"));
}

TEST_CASE("the preflight plans the runs and merges the preload lists, each name once", "[sweep]") {
  SweepFixture sweep(json{{"nbexec", {{"preload", {"os", "json", "os"}}}}});
  sweep.options.grid = {{{"alpha", 1}}, {{"alpha", 2}}, {{"alpha", 4}}};
  sweep.options.shard = SweepShard{1, 2};
  sweep.options.preload = {"json", "math"};
  if (!sweep.has_kernel()) {
    CHECK_THROWS_AS(run_detail::preflight_sweep(sweep.options), KernelNotFoundError);
    return;
  }
  const run_detail::SweepPreflight preflight = run_detail::preflight_sweep(sweep.options);
  CHECK(preflight.preload == std::vector<std::string>{"json", "math", "os"});
  CHECK(preflight.spec.name == "python3");
  REQUIRE(preflight.plan.runs.size() == 1);
  CHECK(preflight.plan.runs[0].index == 1);
  CHECK(preflight.plan.total_runs == 3);
  CHECK_FALSE(fs::exists(sweep.dir.path() / "out"));
}

TEST_CASE("a sweep runs every run on its own kernel, a failing run is its own record",
          "[sweep][ipykernel]") {
  SweepFixture sweep;
  if (!sweep.has_kernel()) {
    WARN("no python3 with ipykernel on PATH: sweep runs not tested");
    return;
  }
  sweep.options.run.parameters = {{"pause", 0}};
  sweep.options.grid = {{{"alpha", 1}}, {{"alpha", 3}}, {{"alpha", 2}}};
  sweep.options.jobs = 2;
  std::vector<std::size_t> ended;
  sweep.options.on_run_end = [&ended](const SweepRecord& record) { ended.push_back(record.index); };
  const SweepResult result = run_sweep(sweep.options);

  REQUIRE(result.records.size() == 3);
  CHECK(result.total_runs == 3);
  CHECK(ended.size() == 3);
  for (std::size_t i : {0u, 2u}) {
    const SweepRecord& record = result.records[i];
    CHECK(record.index == i);
    INFO(record.error);
    CHECK(record.status == "completed");
    CHECK(record.exit_code == 0);
    CHECK(record.error.empty());
    CHECK(record.seconds > 0);
    REQUIRE(fs::exists(record.output_path));
  }
  CHECK(result.records[0].scraps == json({{"double", 2}}));
  CHECK(result.records[2].scraps == json({{"double", 4}}));
  const json injected = injected_cell(result.records[2].output_path);
  REQUIRE(injected.is_object());
  CHECK(injected["source"].get<std::string>().find("alpha = 2") != std::string::npos);

  const SweepRecord& failed = result.records[1];
  CHECK(failed.status == "failed");
  CHECK(failed.exit_code == 1);
  CHECK(failed.error.find("ValueError: three") != std::string::npos);
  CHECK(failed.scraps == json({{"double", 6}}));
  CHECK(fs::exists(failed.output_path));

  CHECK_FALSE(result.cancelled);
  CHECK(result.exit_code() == 1);
  CHECK(result.memory.peak_rss_bytes > 0);
  REQUIRE_FALSE(sweep.log.empty());
  CHECK(sweep.log.front().rfind("sweep: 3 run(s), 2 at a time, kernels: plain starts", 0) == 0);
  CHECK(sweep.log.back().find("peak memory") != std::string::npos);
}

TEST_CASE("with fail_fast no run starts after one fails, and the rest are skipped",
          "[sweep][ipykernel]") {
  SweepFixture sweep;
  if (!sweep.has_kernel()) {
    WARN("no python3 with ipykernel on PATH: sweep runs not tested");
    return;
  }
  sweep.options.grid = {{{"alpha", 3}}, {{"alpha", 1}}, {{"alpha", 2}}};
  sweep.options.jobs = 1;
  sweep.options.fail_fast = true;
  const SweepResult result = run_sweep(sweep.options);
  REQUIRE(result.records.size() == 3);
  CHECK(result.records[0].status == "failed");
  for (std::size_t i : {1u, 2u}) {
    CHECK(result.records[i].status == "skipped");
    CHECK(result.records[i].error == "not started: run 0 failed and the sweep fails fast");
    CHECK_FALSE(fs::exists(result.records[i].output_path));
  }
  CHECK(result.exit_code() == 1);
}

TEST_CASE("a signal stops the running runs, which save, and starts no more", "[sweep][ipykernel]") {
  SweepFixture sweep;
  if (!sweep.has_kernel()) {
    WARN("no python3 with ipykernel on PATH: sweep runs not tested");
    return;
  }
  sweep.options.run.parameters = {{"pause", 30}};
  sweep.options.grid = {{{"alpha", 1}}, {{"alpha", 2}}, {{"alpha", 4}}, {{"alpha", 5}}};
  sweep.options.jobs = 2;
  std::atomic<bool> cancel{false};
  std::atomic<int> sleeping{0};
  sweep.options.cancel = &cancel;
  sweep.options.cancel_signal = [] { return 15; };
  sweep.options.on_run_event = [&sleeping](std::size_t, const RunEvent& event) {
    if (event["event"] == "cell_start" &&
        event["source"].get<std::string>().find("sleep") != std::string::npos) {
      ++sleeping;
    }
  };
  // The "signal handler": another thread, once a run is in its long cell.
  std::thread signaller([&] {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (sleeping.load() == 0 && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    cancel = true;
  });
  const auto started = std::chrono::steady_clock::now();
  const SweepResult result = run_sweep(sweep.options);
  signaller.join();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));

  CHECK(result.cancelled);
  CHECK(result.signal == 15);
  CHECK(result.exit_code() == 128 + 15);
  REQUIRE(result.records.size() == 4);
  std::size_t interrupted = 0;
  for (const SweepRecord& record : result.records) {
    CHECK(record.status != "completed");
    if (record.status == "interrupted") {
      ++interrupted;
      CHECK(record.exit_code == 128 + 15);
      CHECK(fs::exists(record.output_path));  // saved with its cell marked
    } else if (record.status == "skipped") {
      CHECK(record.error == "not started: stopped by signal 15");
    }
  }
  CHECK(interrupted >= 1);
  CHECK(result.records[2].status == "skipped");
  CHECK(result.records[3].status == "skipped");
}

TEST_CASE("a sweep forks its Python kernels from one template, preloading what it is told",
          "[sweep][ipykernel]") {
  SweepFixture sweep(json{{"nbexec", {{"preload", {"json"}}}}});
  if (!sweep.has_kernel()) {
    WARN("no python3 with ipykernel on PATH: sweep runs not tested");
    return;
  }
  sweep.options.fork = true;
  sweep.options.grid = {{{"alpha", 1}}, {{"alpha", 2}}, {{"alpha", 4}}};
  sweep.options.jobs = 2;
  const SweepResult result = run_sweep(sweep.options);
  REQUIRE(result.records.size() == 3);
  for (const SweepRecord& record : result.records) {
    INFO(record.error);
    CHECK(record.status == "completed");
  }
  CHECK(result.records[2].scraps == json({{"double", 8}}));
  CHECK(result.exit_code() == 0);
  // One per run: the pool starts kernels ahead of need, but none for a run that will not come.
  CHECK(result.kernels.started == 3);
  // Forked, unless the template could not be used here (then the pool says why).
  INFO(result.kernels.fork_fallback);
  CHECK((result.kernels.forked == result.kernels.started || !result.kernels.fork_fallback.empty()));
  CHECK(result.kernels.template_pids.empty());  // the sweep shut its pool down
  REQUIRE_FALSE(sweep.log.empty());
  CHECK(sweep.log.front() ==
        "sweep: 3 run(s), 2 at a time, kernels: forked from a template with preload [json]");
}
