// The whole run's deadline in the executor: it bounds every wait together with the cell's own
// timeout (whichever passes first), ends the run even with interrupt_on_timeout, and tells
// on_cell_end which limit cut the cell short.
#include "fake_kernel_connection.hpp"

#include <nbexec/error.hpp>
#include <nbexec/execute/executor.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

using namespace nbexec;
using namespace nbexec::testing;
using json = nlohmann::json;
using execute::CellOutcome;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

json code(const std::string& source) {
  return {{"cell_type", "code"},
          {"execution_count", nullptr},
          {"metadata", json::object()},
          {"outputs", json::array()},
          {"source", source}};
}

notebook::Notebook make(json cells) {
  return notebook::Notebook(
      json{{"cells", cells}, {"metadata", json::object()}, {"nbformat", 4}, {"nbformat_minor", 5}});
}

// "hang" never answers; anything else prints itself and completes.
std::vector<protocol::Incoming> scripted(const std::string& source, const std::string& id) {
  if (source == "hang") return {status(id, "busy")};
  return {status(id, "busy"), stream(id, "stdout", source + "\n"), reply(id, ok_reply(1)),
          status(id, "idle")};
}

using Ends = std::vector<std::pair<std::size_t, CellOutcome>>;

void attach(execute::ExecuteOptions& options, Ends& ends) {
  options.on_cell_end = [&ends](std::size_t i, const json&, CellOutcome outcome) {
    ends.emplace_back(i, outcome);
  };
}

void set_deadline(execute::ExecuteOptions& options, milliseconds from_now) {
  options.run_deadline = steady::now() + from_now;
  options.run_limit = from_now;
}

}  // namespace

TEST_CASE("the run's deadline ends the cell that is running", "[execute][deadline]") {
  FakeKernelConnection kernel(scripted);
  auto nb = make(json::array({code("a"), code("hang"), code("c")}));
  execute::ExecuteOptions options;
  set_deadline(options, milliseconds(100));
  Ends ends;
  attach(options, ends);
  const auto started = steady::now();
  try {
    execute::execute_notebook(nb, kernel, options);
    FAIL("no TimeoutError");
  } catch (const TimeoutError& error) {
    CHECK(std::string(error.what()) ==
          "the run did not finish within its deadline of 0.1 s; cell 1 was cut short");
    CHECK(error.remedy() == Remedy::none);
  }
  CHECK(steady::now() - started < milliseconds(1000));
  REQUIRE(ends.size() == 2);
  CHECK(ends[0] == std::make_pair(std::size_t{0}, CellOutcome::completed));
  CHECK(ends[1] == std::make_pair(std::size_t{1}, CellOutcome::deadline));
  CHECK(nb.cells()[0]["outputs"][0]["text"] == "a\n");
  CHECK(kernel.requests.size() == 2);  // cell 2 was never sent
  CHECK(execute::to_string(CellOutcome::deadline) == std::string("timeout"));
}

TEST_CASE("whichever of the cell's timeout and the run's deadline passes first wins",
          "[execute][deadline]") {
  FakeKernelConnection kernel(scripted);
  auto nb = make(json::array({code("hang")}));
  execute::ExecuteOptions options;
  Ends ends;
  attach(options, ends);

  SECTION("the cell's timeout first") {
    options.cell_timeout = milliseconds(50);
    set_deadline(options, milliseconds(5000));
    CHECK_THROWS_WITH(execute::execute_notebook(nb, kernel, options),
                      "cell 0 did not finish within 0.05 s");
    REQUIRE(ends.size() == 1);
    CHECK(ends[0].second == CellOutcome::timed_out);
  }
  SECTION("the run's deadline first") {
    options.cell_timeout = milliseconds(5000);
    set_deadline(options, milliseconds(50));
    CHECK_THROWS_WITH(execute::execute_notebook(nb, kernel, options),
                      Catch::Contains("deadline of 0.05 s"));
    REQUIRE(ends.size() == 1);
    CHECK(ends[0].second == CellOutcome::deadline);
  }
}

TEST_CASE("interrupt_on_timeout does not apply to the run's deadline", "[execute][deadline]") {
  FakeKernelConnection kernel(scripted);
  auto nb = make(json::array({code("hang"), code("c")}));
  execute::ExecuteOptions options;
  options.interrupt_on_timeout = true;
  int interrupts = 0;
  options.interrupt = [&] { ++interrupts; };
  set_deadline(options, milliseconds(50));
  Ends ends;
  attach(options, ends);
  CHECK_THROWS_AS(execute::execute_notebook(nb, kernel, options), TimeoutError);
  CHECK(interrupts == 0);  // the run layer stops the kernel; the executor goes no further
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].second == CellOutcome::deadline);
  CHECK(kernel.requests.size() == 1);
}

TEST_CASE("a deadline already passed sends nothing more to the kernel", "[execute][deadline]") {
  FakeKernelConnection kernel(scripted);
  auto nb = make(json::array({code("a")}));
  execute::ExecuteOptions options;
  options.run_deadline = steady::now() - milliseconds(1);
  options.run_limit = milliseconds(2000);
  Ends ends;
  attach(options, ends);
  CHECK_THROWS_WITH(execute::execute_notebook(nb, kernel, options),
                    "the run did not finish within its deadline of 2 s; cell 0 was cut short");
  CHECK(kernel.requests.empty());
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].second == CellOutcome::deadline);
}

TEST_CASE("a cell interrupted after its timeout goes on until the run's deadline",
          "[execute][deadline]") {
  FakeKernelConnection kernel(scripted);
  auto nb = make(json::array({code("hang"), code("hang"), code("c")}));
  execute::ExecuteOptions options;
  // Cell 0 passes its 300 ms at ~300 ms and is interrupted; cell 1 would pass its own at
  // ~600 ms, but the run's deadline comes first at 450 ms.
  options.cell_timeout = milliseconds(300);
  options.interrupt_on_timeout = true;
  int interrupts = 0;
  options.interrupt = [&] {
    ++interrupts;
    const std::string id = kernel.requests.back().msg_id;
    kernel.push(reply(id, {{"status", "error"}, {"ename", "KeyboardInterrupt"}, {"evalue", ""}}));
    kernel.push(status(id, "idle"));
  };
  set_deadline(options, milliseconds(450));
  Ends ends;
  attach(options, ends);
  CHECK_THROWS_WITH(execute::execute_notebook(nb, kernel, options),
                    Catch::Contains("deadline of 0.45 s; cell 1 was cut short"));
  CHECK(interrupts == 1);
  REQUIRE(ends.size() == 2);
  CHECK(ends[0].second == CellOutcome::timed_out);
  CHECK(ends[1].second == CellOutcome::deadline);
  CHECK(kernel.requests.size() == 2);
}
