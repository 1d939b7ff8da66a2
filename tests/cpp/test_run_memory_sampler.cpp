// The memory sampler behind a sweep's peak memory report (Linux /proc).
#include <catch2/catch.hpp>

#include "run/memory_sampler.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

using nbexec::run_detail::MemorySampler;
using nbexec::run_detail::sample_process_tree;

TEST_CASE("a process tree's memory is the sum over the process and its children", "[sweep]") {
  const auto alone = sample_process_tree(static_cast<int>(::getpid()));
  CHECK(alone.rss_bytes > 0);
  if (std::ifstream("/proc/self/smaps_rollup")) CHECK(alone.pss_bytes > 0);

  // A child that stays alive until it is killed is counted with its parent.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  const auto with_child = sample_process_tree(static_cast<int>(::getpid()));
  const auto child_only = sample_process_tree(static_cast<int>(child));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  CHECK(child_only.rss_bytes > 0);
  CHECK(with_child.rss_bytes > alone.rss_bytes);
  CHECK(sample_process_tree(999'999'999).rss_bytes == 0);  // no such process: nothing
}

TEST_CASE("the sampler keeps the peaks from start to stop", "[sweep]") {
  MemorySampler sampler(static_cast<int>(::getpid()), std::chrono::milliseconds(10));
  sampler.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  sampler.stop();
  sampler.stop();  // idempotent
  CHECK(sampler.peaks().rss_bytes > 0);
}
