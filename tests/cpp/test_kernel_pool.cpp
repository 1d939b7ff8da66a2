// The facade's KernelPool against a real ipykernel: fresh kernels, started ahead of need and
// forked from a template, within the pool's size, and nothing left behind.
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/kernel_pool.hpp>
#include <nbexec/run.hpp>

#include "test_kernel_support.hpp"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

using namespace nbexec;
using namespace std::chrono_literals;
using nbexec_test::ScopedEnv;
using nbexec_test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string env_prefix() {
  return nbexec_test::run_command("python3 -c \"import sys;print(sys.prefix)\"");
}

kernel::KernelSpec python_spec() {
  kernel::SearchOptions options;
  options.env_prefix = env_prefix();
  return kernel::find_kernelspec("python3", kernel::kernelspec_search_path(options));
}

bool process_gone(int pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

TEST_CASE("a pool hands out fresh forked kernels, warm ahead of need, within its size",
          "[pool][ipykernel]") {
  TempDir runtime;
  ScopedEnv runtime_env("JUPYTER_RUNTIME_DIR", runtime.path().string());
  KernelPoolOptions options;
  options.size = 2;
  options.start_timeout = 60s;
  std::vector<std::string> warnings;
  options.log = [&warnings](LogLevel level, const std::string& line) {
    if (level >= LogLevel::warning) warnings.push_back(line);
  };
  auto pool = std::make_shared<KernelPool>(options);
  kernel::LaunchOptions launch;
  launch.start_timeout = 60s;
  pool->warm_up(python_spec(), launch);

  std::set<int> pids;
  for (int round = 0; round < 3; ++round) {
    auto kernel = pool->take(python_spec(), launch);
    CHECK(kernel->connection().kernel_alive());
    CHECK(pids.insert(kernel->pid()).second);  // never a kernel handed out before
    pool->give_back(std::move(kernel));
  }
  const KernelPoolStats stats = pool->stats();
  CHECK(stats.forked >= 3);
  CHECK(stats.warm_hits >= 1);
  CHECK(stats.fork_fallback.empty());
  REQUIRE(stats.template_pids.size() == 1);
  const int template_pid = stats.template_pids.front();
  CHECK(warnings.empty());

  // Both slots taken: a third kernel waits for one, and gives up after its start timeout.
  auto held_a = pool->take(python_spec(), launch);
  auto held_b = pool->take(python_spec(), launch);
  kernel::LaunchOptions impatient = launch;
  impatient.start_timeout = 300ms;
  CHECK_THROWS_AS(pool->take(python_spec(), impatient), TimeoutError);
  pool->give_back(std::move(held_a));
  pool->give_back(std::move(held_b));

  pool->shutdown();
  for (int pid : pids) CHECK(process_gone(pid));
  CHECK(process_gone(template_pid));
  CHECK(nbexec_test::files_in(runtime.path()).empty());
}

TEST_CASE("run_notebook draws its kernel from a pool and gives it back", "[pool][ipykernel]") {
  TempDir runtime;
  TempDir work;
  ScopedEnv runtime_env("JUPYTER_RUNTIME_DIR", runtime.path().string());
  const fs::path input = work.path() / "in.ipynb";
  std::ofstream(input) << R"nb({"cells": [{"cell_type": "code", "execution_count": null,
    "metadata": {}, "outputs": [], "source": "import os\nprint(os.getppid())"}],
    "metadata": {"kernelspec": {"name": "python3", "language": "python",
    "display_name": "P"}}, "nbformat": 4, "nbformat_minor": 5})nb";
  KernelPoolOptions options;
  options.size = 1;
  auto pool = std::make_shared<KernelPool>(options);

  RunOptions run;
  run.input_path = input;
  run.output_path = work.path() / "out.ipynb";
  run.env_prefix = env_prefix();
  run.kernels = pool;
  const RunResult result = run_notebook(run);
  CHECK(result.cells_executed == 1);
  const auto text = result.notebook.cells()[0]["outputs"][0]["text"];
  const std::string printed =
      text.is_array() ? text[0].get<std::string>() : text.get<std::string>();
  const auto templates = pool->stats().template_pids;
  REQUIRE(templates.size() == 1);
  CHECK(printed == std::to_string(templates.front()) + "\n");  // forked by the template

  // The slot came back: a second run gets a kernel without waiting out a start timeout.
  run.output_path = work.path() / "out2.ipynb";
  run.start_timeout = 20s;
  CHECK(run_notebook(run).cells_executed == 1);
  pool->shutdown();
  CHECK(nbexec_test::files_in(runtime.path()).empty());
}

TEST_CASE("a pool that cannot fork warns once and starts kernels plainly", "[pool][ipykernel]") {
  TempDir runtime;
  ScopedEnv runtime_env("JUPYTER_RUNTIME_DIR", runtime.path().string());
  KernelPoolOptions options;
  options.size = 1;
  options.preload = {"no_such_module_for_nbexec"};
  std::vector<std::string> warnings;
  options.log = [&warnings](LogLevel level, const std::string& line) {
    if (level >= LogLevel::warning) warnings.push_back(line);
  };
  KernelPool pool(options);
  kernel::LaunchOptions launch;
  for (int round = 0; round < 2; ++round) {
    auto kernel = pool.take(python_spec(), launch);
    CHECK(kernel->connection().kernel_alive());
    pool.give_back(std::move(kernel));
  }
  const KernelPoolStats stats = pool.stats();
  CHECK(stats.forked == 0);
  CHECK(stats.started >= 2);
  CHECK_THAT(stats.fork_fallback, Catch::Contains("no_such_module_for_nbexec"));
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("will not be forked") &&
                              Catch::Contains("starting each as its own process"));
}
