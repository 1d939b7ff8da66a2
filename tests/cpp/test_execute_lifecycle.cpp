// The executor's hooks and stopping rules: which cells are seen and with what outcome,
// papermill's SystemExit rule, and nbclient's interrupt_on_timeout.
#include "fake_kernel_connection.hpp"

#include <nbexec/error.hpp>
#include <nbexec/execute/executor.hpp>

#include <catch2/catch.hpp>

#include <utility>
#include <vector>

using namespace nbexec;
using namespace nbexec::testing;
using json = nlohmann::json;
using execute::CellOutcome;

namespace {

json code(const std::string& source, json tags = json::array()) {
  return {{"cell_type", "code"},
          {"execution_count", nullptr},
          {"metadata", {{"tags", tags}}},
          {"outputs", json::array()},
          {"source", source}};
}

json markdown(const std::string& source) {
  return {{"cell_type", "markdown"}, {"metadata", json::object()}, {"source", source}};
}

notebook::Notebook make(json cells) {
  return notebook::Notebook(
      json{{"cells", cells}, {"metadata", json::object()}, {"nbformat", 4}, {"nbformat_minor", 5}});
}

// Answers "fail:ENAME:EVALUE" with that error and anything else with ok; "hang" never answers.
std::vector<protocol::Incoming> scripted(const std::string& source, const std::string& id) {
  static int count = 0;
  if (source == "hang") return {status(id, "busy")};
  std::vector<protocol::Incoming> out{status(id, "busy")};
  ++count;
  if (source.rfind("fail:", 0) == 0) {
    const auto colon = source.find(':', 5);
    const std::string ename = source.substr(5, colon - 5);
    const std::string evalue = colon == std::string::npos ? "" : source.substr(colon + 1);
    json error = {{"ename", ename}, {"evalue", evalue}, {"traceback", json::array({"tb"})}};
    out.push_back(iopub(id, "error", error));
    error["status"] = "error";
    error["execution_count"] = count;
    out.push_back(reply(id, error));
  } else {
    out.push_back(stream(id, "stdout", source + "\n"));
    out.push_back(reply(id, ok_reply(count)));
  }
  out.push_back(status(id, "idle"));
  return out;
}

struct Recorder {
  std::vector<std::pair<std::size_t, bool>> starts;
  std::vector<std::pair<std::size_t, CellOutcome>> ends;

  void attach(execute::ExecuteOptions& options) {
    options.on_cell_start = [this](std::size_t i, const json&, bool runs) {
      starts.emplace_back(i, runs);
    };
    options.on_cell_end = [this](std::size_t i, const json&, CellOutcome outcome) {
      ends.emplace_back(i, outcome);
    };
  }
};

}  // namespace

TEST_CASE("every cell is seen in order, run or not", "[execute][lifecycle]") {
  FakeKernelConnection kernel(scripted);
  auto nb = make(json::array(
      {markdown("# title"), code("a"), code("  "), code("b", {"skip-execution"}), code("c")}));
  execute::ExecuteOptions options;
  Recorder recorder;
  recorder.attach(options);
  auto result = execute::execute_notebook(nb, kernel, options);
  CHECK(result.cells_executed == 2);
  using Start = std::pair<std::size_t, bool>;
  CHECK(recorder.starts ==
        std::vector<Start>{{0, false}, {1, true}, {2, false}, {3, false}, {4, true}});
  REQUIRE(recorder.ends.size() == 5);
  for (const auto& [index, outcome] : recorder.ends) CHECK(outcome == CellOutcome::completed);
  CHECK(execute::cell_runs(nb.cells()[1]));
  CHECK_FALSE(execute::cell_runs(nb.cells()[3]));
}

TEST_CASE("a failing cell ends the run and later cells are not seen", "[execute][lifecycle]") {
  FakeKernelConnection kernel(scripted);
  auto nb = make(json::array({code("a"), code("fail:ValueError:bad"), code("c")}));
  execute::ExecuteOptions options;
  Recorder recorder;
  recorder.attach(options);
  auto result = execute::execute_notebook(nb, kernel, options);
  REQUIRE(result.failure);
  CHECK(result.failure->ename == "ValueError");
  CHECK_FALSE(result.stopped_by_system_exit);
  REQUIRE(recorder.ends.size() == 2);
  CHECK(recorder.ends[1].second == CellOutcome::failed);

  SECTION("allowed errors are 'errored' and the run goes on") {
    FakeKernelConnection again(scripted);
    auto nb2 = make(json::array({code("a"), code("fail:ValueError:bad"), code("c")}));
    execute::ExecuteOptions allow;
    allow.allow_errors = true;
    Recorder seen;
    seen.attach(allow);
    auto all = execute::execute_notebook(nb2, again, allow);
    CHECK_FALSE(all.failure);
    REQUIRE(seen.ends.size() == 3);
    CHECK(seen.ends[1].second == CellOutcome::errored);
    CHECK(seen.ends[2].second == CellOutcome::completed);
  }
}

TEST_CASE("SystemExit with code 0 or none stops the run without a failure, as papermill",
          "[execute][lifecycle]") {
  const auto [source, clean] = GENERATE(table<std::string, bool>({{"fail:SystemExit:0", true},
                                                                  {"fail:SystemExit:", true},
                                                                  {"fail:SystemExit:1", false},
                                                                  {"fail:SystemExit:None", false},
                                                                  {"fail:SystemExit:msg", false}}));
  FakeKernelConnection kernel(scripted);
  auto nb = make(json::array({code("a"), code(source), code("never")}));
  auto result = execute::execute_notebook(nb, kernel, {});
  CHECK(result.stopped_by_system_exit == clean);
  CHECK(result.failure.has_value() == !clean);
  // Either way the cells after it do not run.
  CHECK(kernel.requests.size() == 2);
  CHECK(nb.cells()[2]["outputs"].empty());
}

TEST_CASE("interrupt_on_timeout interrupts the cell and goes on", "[execute][lifecycle]") {
  FakeKernelConnection kernel(scripted);
  auto nb = make(json::array({code("a"), code("hang"), code("c")}));
  execute::ExecuteOptions options;
  options.cell_timeout = std::chrono::milliseconds(30);
  options.interrupt_on_timeout = true;
  int interrupts = 0;
  options.interrupt = [&] {
    ++interrupts;
    // What ipykernel answers to SIGINT: the KeyboardInterrupt error, the reply, idle.
    const std::string id = kernel.requests.back().msg_id;
    kernel.push(iopub(id, "error",
                      {{"ename", "KeyboardInterrupt"}, {"evalue", ""}, {"traceback", {"tb"}}}));
    kernel.push(reply(id, {{"status", "error"}, {"ename", "KeyboardInterrupt"}, {"evalue", ""}}));
    kernel.push(status(id, "idle"));
  };
  Recorder recorder;
  recorder.attach(options);
  auto result = execute::execute_notebook(nb, kernel, options);
  CHECK(interrupts == 1);
  CHECK_FALSE(result.failure);  // nbclient ignores the interrupted cell's error reply
  CHECK(result.timed_out_cells == std::vector<std::size_t>{1});
  REQUIRE(recorder.ends.size() == 3);
  CHECK(recorder.ends[1].second == CellOutcome::timed_out);
  CHECK(recorder.ends[2].second == CellOutcome::completed);
  CHECK(nb.cells()[1]["outputs"][0]["ename"] == "KeyboardInterrupt");
  CHECK(nb.cells()[2]["outputs"][0]["text"] == "c\n");

  SECTION("a kernel that ignores the interrupt ends the run with TimeoutError") {
    FakeKernelConnection deaf(scripted);
    auto nb2 = make(json::array({code("hang"), code("c")}));
    execute::ExecuteOptions deaf_options;
    deaf_options.cell_timeout = std::chrono::milliseconds(20);
    deaf_options.interrupt_on_timeout = true;
    deaf_options.interrupt_grace = std::chrono::milliseconds(50);
    deaf_options.interrupt = [] {};
    Recorder seen;
    seen.attach(deaf_options);
    CHECK_THROWS_AS(execute::execute_notebook(nb2, deaf, deaf_options), TimeoutError);
    REQUIRE(seen.ends.size() == 1);
    CHECK(seen.ends[0].second == CellOutcome::timed_out);
  }
}

TEST_CASE("a cell cut short reports why before the error propagates", "[execute][lifecycle]") {
  SECTION("timeout without interrupt") {
    FakeKernelConnection kernel(scripted);
    auto nb = make(json::array({code("hang")}));
    execute::ExecuteOptions options;
    options.cell_timeout = std::chrono::milliseconds(20);
    Recorder recorder;
    recorder.attach(options);
    CHECK_THROWS_AS(execute::execute_notebook(nb, kernel, options), TimeoutError);
    REQUIRE(recorder.ends.size() == 1);
    CHECK(recorder.ends[0].second == CellOutcome::timed_out);
  }
  SECTION("kernel death") {
    FakeKernelConnection kernel(scripted);
    kernel.alive = false;
    auto nb = make(json::array({code("hang")}));
    execute::ExecuteOptions options;
    Recorder recorder;
    recorder.attach(options);
    CHECK_THROWS_AS(execute::execute_notebook(nb, kernel, options), KernelDiedError);
    REQUIRE(recorder.ends.size() == 1);
    CHECK(recorder.ends[0].second == CellOutcome::kernel_died);
  }
  SECTION("cancel while a cell runs") {
    std::atomic<bool> cancel{false};
    FakeKernelConnection kernel(scripted);
    auto nb = make(json::array({code("hang"), code("never")}));
    execute::ExecuteOptions options;
    options.cancel = &cancel;
    int ticks = 0;
    options.on_tick = [&](std::size_t) {
      if (++ticks == 3) cancel.store(true);
    };
    Recorder recorder;
    recorder.attach(options);
    auto result = execute::execute_notebook(nb, kernel, options);
    CHECK(result.cancelled);
    CHECK(result.interrupted_cell == std::optional<std::size_t>(0));
    REQUIRE(recorder.ends.size() == 1);
    CHECK(recorder.ends[0].second == CellOutcome::interrupted);
    CHECK(kernel.requests.size() == 1);
  }
}

TEST_CASE("metadata.execution times are written as nbclient writes them", "[execute][lifecycle]") {
  const auto [date, expected] = GENERATE(table<std::string, std::string>(
      {{"2026-11-29T10:00:00.000001Z", "2026-11-29T10:00:00.000001Z"},
       {"2026-11-29T10:00:00Z", "2026-11-29T10:00:00.000000Z"},
       {"2026-11-29T10:00:00.123+02:00", "2026-11-29T10:00:00.123000Z"},
       {"2026-11-29 10:00:00.5", "2026-11-29T10:00:00.500000Z"},
       {"2026-11-29T10:00:00-0530", "2026-11-29T10:00:00.000000Z"},
       // Not a date jupyter_client parses: nbclient records the current time instead.
       {"2026-11-29T10:00:00.1234567Z", "now"},
       {"2026-11-29X10:00:00", "now"},
       {"2026-11-29T10:00", "now"},
       {"2026-11-29T10:00:00Zjunk", "now"},
       {"2026-11-29T10:00:00+05", "now"},
       {"", "now"}}));
  FakeKernelConnection kernel([date = date](const std::string&, const std::string& id) {
    auto busy = status(id, "busy");
    busy.message.header["date"] = date;
    auto done = reply(id, ok_reply(1));
    done.message.header.erase("date");  // nbclient then records the current time
    return std::vector<protocol::Incoming>{busy, done, status(id, "idle")};
  });
  auto nb = make(json::array({code("x")}));
  execute::execute_notebook(nb, kernel, {});
  const json& execution = nb.cells()[0]["metadata"]["execution"];
  if (expected == "now") {
    const std::string busy = execution["iopub.status.busy"].get<std::string>();
    CHECK(busy != date);
    CHECK(busy.back() == 'Z');
    CHECK(busy.rfind("20", 0) == 0);
    CHECK(busy.find('T') == 10);
  } else {
    CHECK(execution["iopub.status.busy"] == expected);
  }
  const std::string now = execution["shell.execute_reply"].get<std::string>();
  CHECK(now.size() >= 20);
  CHECK(now.back() == 'Z');
  CHECK(now.rfind("20", 0) == 0);
}
