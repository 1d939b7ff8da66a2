// The plan of a sweep: the grid's two forms and their order, fixed values under grid values,
// output paths per run with {run}, clashes, and round-robin shards.
#include <nbexec/error.hpp>
#include <nbexec/sweep_plan.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <string>
#include <vector>

using Catch::Matchers::Contains;
using nbexec::ParameterError;
using nbexec::parse_sweep_grid;
using nbexec::parse_sweep_shard;
using nbexec::plan_sweep;
using nbexec::SweepPlanOptions;
using nbexec::UsageError;
using nbexec::params::Parameters;

namespace {

SweepPlanOptions options_for(const std::string& grid, const std::string& output_template) {
  SweepPlanOptions options;
  options.grid = parse_sweep_grid(grid, "grid.yaml");
  options.output_template = output_template;
  options.builtins = {"0b7c6e1e-3f8a-4e0e-9a51-2b1de2a0c1f4",
                      std::chrono::system_clock::time_point(std::chrono::seconds(0))};
  return options;
}

// The message of the error of type E that `call` throws; any other outcome fails the test.
template <class E, class F>
std::string message_of(F call) {
  try {
    call();
  } catch (const E& error) {
    return error.what();
  }
  FAIL("no error was thrown");
  return "";
}

std::vector<std::string> dumped(const std::vector<Parameters>& runs) {
  std::vector<std::string> out;
  for (const auto& run : runs) out.push_back(run.dump());
  return out;
}

}  // namespace

TEST_CASE("a mapping grid is the product of its lists, the first name slowest", "[sweep]") {
  // itertools.product([1, 2, 3], ["x", "y"]) order, names kept in file order.
  const auto runs = parse_sweep_grid("b: [1, 2, 3]\na: [x, y]\n", "grid.yaml");
  CHECK(dumped(runs) == std::vector<std::string>{R"({"b":1,"a":"x"})", R"({"b":1,"a":"y"})",
                                                 R"({"b":2,"a":"x"})", R"({"b":2,"a":"y"})",
                                                 R"({"b":3,"a":"x"})", R"({"b":3,"a":"y"})"});
}

TEST_CASE("a list value in a product is one value: a list inside the list", "[sweep]") {
  const auto runs = parse_sweep_grid("layers: [[64, 32], [128]]\n", "grid.yaml");
  CHECK(dumped(runs) == std::vector<std::string>{R"({"layers":[64,32]})", R"({"layers":[128]})"});
}

TEST_CASE("a product of three lists counts in mixed radix", "[sweep]") {
  const auto runs = parse_sweep_grid(R"({"a": [0, 1], "b": [0, 1, 2], "c": [0, 1]})", "g.json");
  REQUIRE(runs.size() == 12);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    CAPTURE(i);
    CHECK(runs[i]["a"] == i / 6);
    CHECK(runs[i]["b"] == (i / 2) % 3);
    CHECK(runs[i]["c"] == i % 2);
  }
}

TEST_CASE("a list grid is one run per mapping, in order, values typed as YAML", "[sweep]") {
  const auto runs = parse_sweep_grid(
      "- {alpha: 0.5, name: one}\n- {alpha: 1e3, tags: [a, b]}\n- {}\n", "grid.yaml");
  CHECK(dumped(runs) == std::vector<std::string>{R"({"alpha":0.5,"name":"one"})",
                                                 R"({"alpha":"1e3","tags":["a","b"]})", "{}"});
}

TEST_CASE("a grid of the wrong shape names the file and the place", "[sweep]") {
  const auto fails = [](const std::string& text, const std::string& words) {
    CAPTURE(text);
    CHECK_THAT(message_of<ParameterError>([&] { parse_sweep_grid(text, "grid.yaml"); }),
               Contains(words));
  };
  fails("alpha: [1, 2]\nseed: 3\n",
        "grid.yaml: 'seed': expected a list of values, but found a number");
  fails("alpha: []\n", "grid.yaml: 'alpha': the list of values is empty");
  fails("- {a: 1}\n- [1, 2]\n",
        "grid.yaml: [1]: expected a mapping of parameter names to values, but found a list");
  fails("- {a: 1}\n- 3\n", "grid.yaml: [1]: expected a mapping");
  fails("", "grid.yaml: the grid is empty");
  fails("{}", "grid.yaml: the grid is empty");
  fails("[]", "grid.yaml: the grid is empty");
  fails("42", "grid.yaml: expected a mapping of names to lists of values, or a list of mappings");
  fails("'just text'", "but found a string");
  fails("1bad: [1]\n", "grid.yaml: parameter name '1bad' is not an identifier");
  fails("- {ok: 1}\n- {2x: 1}\n", "grid.yaml: [1]: parameter name '2x'");
  // The parameters file's YAML checks and limits apply: a malformed file names the line.
  fails("a: [1, 2\n", "grid.yaml: line");
  fails("a: !!binary aGk=\n", "unsupported YAML tag");
}

TEST_CASE("a grid of more than max_sweep_runs runs is refused before it is built", "[sweep]") {
  static_assert(nbexec::max_sweep_runs == 100'000);
  // 10 x 100 x 100 = 100,000 passes; one more list of 2 doubles it.
  std::string lists = "a: [";
  for (int i = 0; i < 10; ++i) lists += std::to_string(i) + (i < 9 ? ", " : "]\n");
  std::string hundred = "[";
  for (int i = 0; i < 100; ++i) hundred += std::to_string(i) + (i < 99 ? ", " : "]\n");
  lists += "b: " + hundred + "c: " + hundred;
  CHECK(parse_sweep_grid(lists, "grid.yaml").size() == 100'000);
  CHECK_THAT(
      message_of<ParameterError>([&] { parse_sweep_grid(lists + "d: [1, 2]\n", "grid.yaml"); }),
      Contains("grid.yaml: the grid means more than 100000 runs"));
  // A product that would overflow 64 bits is refused too, not wrapped around.
  std::string huge;
  for (int i = 0; i < 40; ++i) huge += "p" + std::to_string(i) + ": " + hundred;
  CHECK_THROWS_AS(parse_sweep_grid(huge, "grid.yaml"), ParameterError);

  SweepPlanOptions options;
  options.grid.assign(nbexec::max_sweep_runs + 1, Parameters::object());
  options.output_template = "out/{run}.ipynb";
  CHECK_THAT(message_of<ParameterError>([&] { plan_sweep(options); }),
             Contains("more than the limit"));
}

TEST_CASE("fixed values go under every run, and the grid's value wins", "[sweep]") {
  auto options = options_for("alpha: [1, 2]\n", "out/{alpha}-{seed}.ipynb");
  options.fixed = Parameters::parse(R"({"seed": 7, "alpha": 0, "data": "d.csv"})");
  const auto plan = plan_sweep(options);
  REQUIRE(plan.runs.size() == 2);
  // The name keeps the position the fixed values gave it; the value is the run's.
  CHECK(plan.runs[0].parameters.dump() == R"({"seed":7,"alpha":1,"data":"d.csv"})");
  CHECK(plan.runs[1].parameters.dump() == R"({"seed":7,"alpha":2,"data":"d.csv"})");
  CHECK(plan.runs[1].output_path == "out/2-7.ipynb");
}

TEST_CASE("each run's output path is the template filled with its parameters and {run}",
          "[sweep]") {
  const auto plan =
      plan_sweep(options_for("- {a: x}\n- {a: y}\n- {a: z}\n", "out/run-{run:03d}-{a}.ipynb"));
  REQUIRE(plan.total_runs == 3);
  REQUIRE(plan.runs.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(plan.runs[i].index == i);
    // {run} is for the path only: it is not a parameter of the run.
    CHECK_FALSE(plan.runs[i].parameters.contains("run"));
  }
  CHECK(plan.runs[0].output_path == "out/run-000-x.ipynb");
  CHECK(plan.runs[2].output_path == "out/run-002-z.ipynb");

  // A run's own parameter named `run` is the one the template sees.
  const auto own = plan_sweep(options_for("run: [a, b]\n", "out/{run}.ipynb"));
  CHECK(own.runs[1].output_path == "out/b.ipynb");
}

TEST_CASE("a template naming a missing parameter names the run", "[sweep]") {
  CHECK_THAT(
      message_of<ParameterError>(
          [&] { plan_sweep(options_for("- {a: 1, b: 2}\n- {a: 3}\n", "out/{a}-{b}.ipynb")); }),
      Contains("output path of run 1 'out/{a}-{b}.ipynb'") && Contains("missing parameter 'b'"));
}

TEST_CASE("two runs that would write the same path are refused before anything runs", "[sweep]") {
  // b varies, but the template does not name it.
  CHECK_THAT(message_of<ParameterError>(
                 [&] { plan_sweep(options_for("a: [x, y]\nb: [1, 2]\n", "out/{a}.ipynb")); }),
             Contains("runs 0 and 1 would both write 'out/x.ipynb'"));
  // Paths are compared lexically normalised: "out/./x" is "out/x".
  CHECK_THAT(
      message_of<ParameterError>([&] {
        plan_sweep(options_for("- {d: '.', n: x}\n- {d: 'sub/..', n: x}\n", "out/{d}/{n}.ipynb"));
      }),
      Contains("runs 0 and 1 would both write 'out/sub/../x.ipynb'"));
  // A clash between runs of different shards is found by every shard.
  auto options = options_for("- {a: x}\n- {a: y}\n- {a: x}\n", "out/{a}.ipynb");
  options.shard = nbexec::SweepShard{1, 2};
  CHECK_THAT(message_of<ParameterError>([&] { plan_sweep(options); }), Contains("runs 0 and 2"));
}

TEST_CASE("an empty grid or template is a usage error", "[sweep]") {
  SweepPlanOptions options;
  options.output_template = "out/{run}.ipynb";
  CHECK_THROWS_AS(plan_sweep(options), UsageError);
  options = options_for("a: [1]\n", "");
  CHECK_THROWS_AS(plan_sweep(options), UsageError);
}

TEST_CASE("shard specs are I/K with 0 <= I < K", "[sweep]") {
  CHECK(parse_sweep_shard("0/4").index == 0);
  CHECK(parse_sweep_shard("3/4").index == 3);
  CHECK(parse_sweep_shard("3/4").count == 4);
  CHECK(parse_sweep_shard("0/1").count == 1);
  for (const char* bad : {"3/2", "2/2", "-1/2", "0/0", "a/b", "1", "", "/", "1/", "/2", "+1/2",
                          " 1/2", "1/2 ", "1/2/3", "0x1/2", "1/99999999999999999999999"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_sweep_shard(bad), UsageError);
  }
  CHECK_THAT(message_of<UsageError>([&] { parse_sweep_shard("3/2"); }),
             Contains("shards are numbered from 0 to 1"));
  CHECK_THAT(message_of<UsageError>([&] { parse_sweep_shard("a/b"); }),
             Contains("indexes start at 0"));
  auto options = options_for("a: [1]\n", "out/{run}.ipynb");
  options.shard = nbexec::SweepShard{2, 2};
  CHECK_THROWS_AS(plan_sweep(options), UsageError);
}

TEST_CASE("shards split the grid round-robin: disjoint, complete, stable", "[sweep]") {
  auto options = options_for("a: [0, 1, 2, 3, 4, 5, 6]\nb: [x, y, z]\n", "out/{run}.ipynb");
  const auto whole = plan_sweep(options);
  REQUIRE(whole.runs.size() == 21);
  CHECK(whole.shard.count == 1);
  for (std::size_t count : {1U, 2U, 4U, 5U, 21U, 30U}) {
    CAPTURE(count);
    std::multiset<std::size_t> seen;
    for (std::size_t index = 0; index < count; ++index) {
      options.shard = nbexec::SweepShard{index, count};
      const auto slice = plan_sweep(options);
      const auto again = plan_sweep(options);
      CHECK(slice.total_runs == 21);
      CHECK(slice.runs.size() == 21 / count + (index < 21 % count ? 1 : 0));
      REQUIRE(again.runs.size() == slice.runs.size());
      for (std::size_t k = 0; k < slice.runs.size(); ++k) {
        const auto& run = slice.runs[k];
        CHECK(run.index % count == index);
        CHECK(again.runs[k].index == run.index);
        // Global indexes: the same parameters and path as in the unsharded plan.
        CHECK(run.parameters == whole.runs[run.index].parameters);
        CHECK(run.output_path == whole.runs[run.index].output_path);
        seen.insert(run.index);
      }
    }
    CHECK(seen.size() == 21);
    CHECK(std::set<std::size_t>(seen.begin(), seen.end()).size() == 21);
  }
}
