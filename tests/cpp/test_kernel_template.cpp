// Kernels forked from a warm template (python/nbexec/_kernel_template.py), against a real
// ipykernel: each is a process of its own, answers like a started one, and leaves nothing.
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/kernel/kernel.hpp>
#include <nbexec/kernel/kernel_template.hpp>

#include "test_kernel_support.hpp"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

using namespace nbexec;
using namespace nbexec::kernel;
using namespace std::chrono_literals;
using nbexec_test::ScopedEnv;
using nbexec_test::TempDir;
using protocol::Channel;
namespace fs = std::filesystem;

namespace {

KernelSpec python_spec() {
  SearchOptions options;
  options.env_prefix = nbexec_test::run_command("python3 -c \"import sys;print(sys.prefix)\"");
  return find_kernelspec("python3", kernelspec_search_path(options));
}

bool process_gone(int pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// The text a cell prints, or its error, executed nbclient's way (reply and idle).
std::string run_cell(Kernel& kernel, const std::string& code) {
  auto& connection = kernel.connection();
  const std::string id = connection.send_request(Channel::shell, "execute_request",
                                                 {{"code", code},
                                                  {"silent", false},
                                                  {"store_history", true},
                                                  {"user_expressions", nlohmann::json::object()},
                                                  {"allow_stdin", false},
                                                  {"stop_on_error", true}});
  std::string text;
  bool replied = false;
  bool idle = false;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!(replied && idle) && std::chrono::steady_clock::now() < deadline) {
    auto incoming = connection.receive(100ms);
    if (!incoming || incoming->message.parent_msg_id() != id) continue;
    const auto& message = incoming->message;
    if (incoming->channel == Channel::shell) replied = true;
    if (message.msg_type() == "stream") text += message.content.value("text", "");
    if (message.msg_type() == "error") text += "ERROR " + message.content.value("ename", "");
    if (message.msg_type() == "status" && message.content.value("execution_state", "") == "idle") {
      idle = true;
    }
  }
  return text;
}

}  // namespace

TEST_CASE("kernelspecs that are not python -m ipykernel_launcher are not forked",
          "[kernel][template]") {
  KernelSpec spec;
  spec.name = "other";
  spec.argv = {"python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"};
  CHECK_FALSE(KernelTemplate::unforkable(spec));
  spec.argv = {"python3", "-X", "frozen_modules=off", "-m", "ipykernel", "-f", "{connection_file}"};
  CHECK_FALSE(KernelTemplate::unforkable(spec));
  spec.argv = {"xcpp", "-f", "{connection_file}"};
  CHECK(KernelTemplate::unforkable(spec));
  spec.argv = {"python3", "/opt/kernel.py", "-f", "{connection_file}"};
  CHECK(KernelTemplate::unforkable(spec));
  spec.argv = {"python3", "-c", "import x", "-m", "ipykernel_launcher"};
  CHECK(KernelTemplate::unforkable(spec));
  spec.argv = {"python3", "-m", "other_kernel", "-f", "{connection_file}"};
  CHECK(KernelTemplate::unforkable(spec));
}

TEST_CASE("forked kernels are fresh processes of their own that leave nothing behind",
          "[kernel][template][ipykernel]") {
  TempDir runtime;
  TempDir work;
  ScopedEnv runtime_env("JUPYTER_RUNTIME_DIR", runtime.path().string());
  TemplateOptions template_options;
  template_options.start_timeout = 60s;
  template_options.cwd = work.path();
  auto from = KernelTemplate::start(python_spec(), template_options);
  const int template_pid = from->pid();
  REQUIRE(from->alive());

  LaunchOptions launch;
  launch.start_timeout = 30s;
  launch.cwd = work.path();
  launch.fork_from = from;
  auto first = Kernel::start(python_spec(), launch);
  auto second = Kernel::start(python_spec(), launch);
  CHECK(first->pid() != second->pid());
  CHECK(first->pid() != template_pid);

  // Each kernel is its own process, in its own process group, with the template as parent,
  // the working directory asked for, and a fresh namespace.
  const std::string first_facts =
      run_cell(*first,
               "import os, sys\nprint(os.getpid(), os.getpgid(0), os.getppid(), os.getcwd())\n"
               "x = 1");
  CHECK(first_facts == std::to_string(first->pid()) + " " + std::to_string(first->pid()) + " " +
                           std::to_string(template_pid) + " " + work.path().string() + "\n");
  CHECK(run_cell(*second, "print('x' in dir())") == "False\n");
  CHECK(run_cell(*first, "print(x)") == "1\n");
  // What -m ipykernel_launcher would give: the directory first on sys.path, the launcher as
  // argv[0].
  CHECK(run_cell(*second, "import sys; print(sys.argv[0].endswith('ipykernel_launcher.py'))") ==
        "True\n");

  // Interrupts reach the forked kernel's group.
  // (ipykernel ignores SIGINT while idle, so wait until the cell runs.)
  auto& connection = first->connection();
  const std::string sleeping = connection.send_request(
      Channel::shell, "execute_request",
      {{"code", "import time; print('sleeping', flush=True); time.sleep(30)"},
       {"silent", false},
       {"store_history", true},
       {"user_expressions", nlohmann::json::object()},
       {"allow_stdin", false},
       {"stop_on_error", true}});
  for (auto until = std::chrono::steady_clock::now() + 20s;
       std::chrono::steady_clock::now() < until;) {
    auto incoming = connection.receive(100ms);
    if (incoming && incoming->message.parent_msg_id() == sleeping &&
        incoming->message.msg_type() == "stream") {
      break;
    }
  }
  first->interrupt();
  std::string ename;
  for (auto until = std::chrono::steady_clock::now() + 20s;
       ename.empty() && std::chrono::steady_clock::now() < until;) {
    auto incoming = connection.receive(100ms);
    if (incoming && incoming->message.parent_msg_id() == sleeping &&
        incoming->message.msg_type() == "error") {
      ename = incoming->message.content.value("ename", "");
    }
  }
  CHECK(ename == "KeyboardInterrupt");

  const int first_pid = first->pid();
  const fs::path first_file = first->connection_file();
  first->shutdown(10s);
  CHECK_FALSE(first->connection().kernel_alive());
  CHECK(process_gone(first_pid));
  CHECK_FALSE(fs::exists(first_file));

  // A kernel killed from outside is seen dead, with the template's report of how.
  const int second_pid = second->pid();
  ::kill(second_pid, SIGKILL);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (second->connection().kernel_alive() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  CHECK_FALSE(second->connection().kernel_alive());
  CHECK_THAT(second->death_reason(), Catch::Contains("killed by signal 9"));
  second.reset();

  launch.fork_from.reset();
  from.reset();
  CHECK(process_gone(template_pid));
  CHECK(nbexec_test::files_in(runtime.path()).empty());
}

TEST_CASE("a template whose preload fails or starts a thread refuses to fork",
          "[kernel][template][ipykernel]") {
  TempDir work;
  std::ofstream(work.path() / "threaded_preload.py")
      << "import threading, time\n"
         "threading.Thread(target=time.sleep, args=(60,), daemon=True, name='poller').start()\n";
  TemplateOptions options;
  options.cwd = work.path();
  options.start_timeout = 60s;

  options.preload = {"no_such_module_for_nbexec"};
  try {
    KernelTemplate::start(python_spec(), options);
    FAIL("the template started");
  } catch (const KernelError& error) {
    CHECK_THAT(error.what(), Catch::Contains("preload 'no_such_module_for_nbexec' failed to "
                                             "import: ModuleNotFoundError"));
  }

  options.preload = {"threaded_preload"};
  try {
    KernelTemplate::start(python_spec(), options);
    FAIL("the template started");
  } catch (const KernelError& error) {
    CHECK_THAT(error.what(),
               Catch::Contains("threads are running in the template") && Catch::Contains("poller"));
  }
}
