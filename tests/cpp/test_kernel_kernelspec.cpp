#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/kernel/kernelspec.hpp>

#include "kernel/env_util.hpp"
#include "test_kernel_support.hpp"

using namespace nbexec;
using namespace nbexec::kernel;
using nbexec_test::ScopedEnv;
using nbexec_test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> as_strings(const std::vector<fs::path>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) out.push_back(p.string());
  return out;
}

json simple_spec(const std::string& display_name) {
  return {{"argv", {"python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"}},
          {"display_name", display_name},
          {"language", "python"}};
}

}  // namespace

TEST_CASE("kernelspec_search_path follows jupyter_path's order", "[kernel]") {
  TempDir empty_path;  // PATH without python3, so no interpreter prefix is added
  ScopedEnv path("PATH", empty_path.path().string());
  ScopedEnv jupyter_path("JUPYTER_PATH", "/a:/b/");
  ScopedEnv data_dir("JUPYTER_DATA_DIR", "/d");
  ScopedEnv user_base("PYTHONUSERBASE", "/u");
  ScopedEnv ipython_dir("IPYTHONDIR", "/i");
  ScopedEnv conda("CONDA_PREFIX", std::nullopt);
  SearchOptions options;
  options.env_prefix = "/e";

  SECTION("user folders before the environment by default") {
    ScopedEnv prefer("JUPYTER_PREFER_ENV_PATH", std::nullopt);
    // Same order as KernelSpecManager().kernel_dirs printed by jupyter_client 8.10 with
    // these variables (and sys.prefix in place of /e).
    CHECK(as_strings(kernelspec_search_path(options)) ==
          std::vector<std::string>{"/a/kernels", "/b/kernels", "/d/kernels",
                                   "/u/share/jupyter/kernels", "/e/share/jupyter/kernels",
                                   "/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels",
                                   "/i/kernels"});
  }
  SECTION("JUPYTER_PREFER_ENV_PATH puts the environment first") {
    ScopedEnv prefer("JUPYTER_PREFER_ENV_PATH", "1");
    CHECK(as_strings(kernelspec_search_path(options)) ==
          std::vector<std::string>{"/a/kernels", "/b/kernels", "/e/share/jupyter/kernels",
                                   "/d/kernels", "/u/share/jupyter/kernels",
                                   "/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels",
                                   "/i/kernels"});
  }
  SECTION("a virtualenv prefix is preferred unless the flag says no") {
    TempDir venv;
    nbexec_test::write_file(venv / "pyvenv.cfg", "home = /usr/bin\n");
    options.env_prefix = venv.path();
    std::string venv_kernels = (venv.path() / "share/jupyter/kernels").string();
    {
      ScopedEnv prefer("JUPYTER_PREFER_ENV_PATH", std::nullopt);
      auto paths = as_strings(kernelspec_search_path(options));
      REQUIRE(paths.size() == 8);
      CHECK(paths[2] == venv_kernels);
      CHECK(paths[3] == "/d/kernels");
    }
    {
      ScopedEnv prefer("JUPYTER_PREFER_ENV_PATH", "no");
      auto paths = as_strings(kernelspec_search_path(options));
      REQUIRE(paths.size() == 8);
      CHECK(paths[2] == "/d/kernels");
      CHECK(paths[4] == venv_kernels);
    }
  }
  SECTION("system folders given as the env prefix are not repeated") {
    options.env_prefix = "/usr";
    auto paths = as_strings(kernelspec_search_path(options));
    CHECK(std::count(paths.begin(), paths.end(), "/usr/share/jupyter/kernels") == 1);
    CHECK(paths[paths.size() - 2] == "/usr/share/jupyter/kernels");
  }
}

TEST_CASE("kernelspec_search_path falls back to XDG_DATA_HOME, then HOME", "[kernel]") {
  TempDir empty_path;
  ScopedEnv path("PATH", empty_path.path().string());
  ScopedEnv jupyter_path("JUPYTER_PATH", std::nullopt);
  ScopedEnv data_dir("JUPYTER_DATA_DIR", std::nullopt);
  ScopedEnv user_base("PYTHONUSERBASE", "/u");
  ScopedEnv ipython_dir("IPYTHONDIR", "/i");
  ScopedEnv home("HOME", "/nonexistent-home");
  {
    ScopedEnv xdg("XDG_DATA_HOME", "/x");
    CHECK(kernelspec_search_path().front() == fs::path("/x/jupyter/kernels"));
  }
  ScopedEnv xdg("XDG_DATA_HOME", std::nullopt);
  CHECK(kernelspec_search_path().front() ==
        fs::path("/nonexistent-home/.local/share/jupyter/kernels"));
}

TEST_CASE("kernelspec_search_path adds the prefix of python3 on PATH", "[kernel]") {
  TempDir root;
  ScopedEnv jupyter_path("JUPYTER_PATH", std::nullopt);
  ScopedEnv data_dir("JUPYTER_DATA_DIR", "/d");
  ScopedEnv prefer("JUPYTER_PREFER_ENV_PATH", std::nullopt);
  auto contains = [](const std::vector<fs::path>& paths, const fs::path& wanted) {
    return std::find(paths.begin(), paths.end(), wanted) != paths.end();
  };

  SECTION("a virtualenv's bin") {
    nbexec_test::make_executable(root / "venv/bin/python3", "#!/bin/sh\n");
    nbexec_test::write_file(root / "venv/pyvenv.cfg", "home = /usr/bin\n");
    ScopedEnv path("PATH", (root / "venv/bin").string());
    CHECK(contains(kernelspec_search_path(), root / "venv/share/jupyter/kernels"));
  }
  SECTION("a symlink to a real interpreter resolves to its prefix") {
    fs::create_directories(root / "real/bin");
    fs::copy_file("/bin/true", root / "real/bin/python3.11");
    fs::create_directories(root / "link/bin");
    fs::create_symlink(root / "real/bin/python3.11", root / "link/bin/python3");
    ScopedEnv path("PATH", (root / "link/bin").string());
    auto paths = kernelspec_search_path();
    CHECK(contains(paths, root / "real/share/jupyter/kernels"));
    CHECK_FALSE(contains(paths, root / "link/share/jupyter/kernels"));
  }
  SECTION("a wrapper script (a pyenv shim) is skipped") {
    nbexec_test::make_executable(root / "shims/python3", "#!/bin/sh\nexec python3 \"$@\"\n");
    ScopedEnv path("PATH", (root / "shims").string());
    ScopedEnv user_base("PYTHONUSERBASE", "/u");
    ScopedEnv ipython_dir("IPYTHONDIR", "/i");
    CHECK(as_strings(kernelspec_search_path()) ==
          std::vector<std::string>{"/d/kernels", "/u/share/jupyter/kernels",
                                   "/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels",
                                   "/i/kernels"});
  }
}

TEST_CASE("parse_kernelspec reads kernel.json fields", "[kernel]") {
  json document = {{"argv", {"ir", "-f", "{connection_file}"}},
                   {"display_name", "R"},
                   {"language", "R"},
                   {"env", {{"R_HOME", "/opt/r"}}},
                   {"interrupt_mode", "Message"},
                   {"metadata", {{"debugger", true}}}};
  KernelSpec spec = parse_kernelspec(document, "IR", "/k/IR");
  CHECK(spec.name == "ir");
  CHECK(spec.argv == std::vector<std::string>{"ir", "-f", "{connection_file}"});
  CHECK(spec.display_name == "R");
  CHECK(spec.language == "R");
  CHECK(spec.env.at("R_HOME") == "/opt/r");
  CHECK(spec.interrupt_mode == "message");  // CaselessStrEnum in jupyter_client
  CHECK(spec.metadata.at("debugger") == true);
  CHECK(spec.resource_dir == fs::path("/k/IR"));

  KernelSpec minimal = parse_kernelspec({{"argv", {"k"}}}, "k", "/k");
  CHECK(minimal.interrupt_mode == "signal");
  CHECK(minimal.env.empty());
}

TEST_CASE("parse_kernelspec rejects bad content naming the file", "[kernel]") {
  auto message_of = [](const json& document) {
    try {
      parse_kernelspec(document, "bad", "/k/bad");
    } catch (const KernelError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message_of(json::array()),
             Catch::Contains("/k/bad/kernel.json") && Catch::Contains("JSON object"));
  CHECK_THAT(message_of({{"display_name", "x"}}), Catch::Contains("'argv'"));
  CHECK_THAT(message_of({{"argv", json::array()}}), Catch::Contains("non-empty"));
  CHECK_THAT(message_of({{"argv", {"k", 3}}}), Catch::Contains("'argv'"));
  CHECK_THAT(message_of({{"argv", {"k"}}, {"env", {{"A", 1}}}}), Catch::Contains("'env.A'"));
  CHECK_THAT(message_of({{"argv", {"k"}}, {"interrupt_mode", "never"}}),
             Catch::Contains("interrupt_mode"));
  CHECK_THAT(message_of({{"argv", {"k"}}, {"display_name", 5}}), Catch::Contains("display_name"));
}

TEST_CASE("find_kernelspec is case-insensitive and the first folder wins", "[kernel]") {
  TempDir root;
  nbexec_test::write_kernel(root / "first", "MyKernel", simple_spec("first"));
  nbexec_test::write_kernel(root / "second", "mykernel", simple_spec("second"));
  nbexec_test::write_kernel(root / "second", "other", simple_spec("other"));
  std::vector<fs::path> path = {root / "missing", root / "first", root / "second"};

  KernelSpec spec = find_kernelspec("MYKERNEL", path);
  CHECK(spec.name == "mykernel");
  CHECK(spec.display_name == "first");
  CHECK(spec.resource_dir == root / "first/MyKernel");
  CHECK(find_kernelspec("Other", path).display_name == "other");

  auto all = list_kernelspecs(path);
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "mykernel");
  CHECK(all[0].display_name == "first");
  CHECK(all[1].name == "other");
}

TEST_CASE("find_kernelspec falls back from python to python3", "[kernel]") {
  TempDir root;
  nbexec_test::write_kernel(root / "k", "python3", simple_spec("Python 3"));
  std::vector<fs::path> path = {root / "k"};
  KernelSpec spec = find_kernelspec("python", path);
  CHECK(spec.name == "python3");
  CHECK(spec.display_name == "Python 3");

  // A real "python" spec is preferred over the fallback.
  nbexec_test::write_kernel(root / "k", "python", simple_spec("plain"));
  CHECK(find_kernelspec("Python", path).display_name == "plain");
}

TEST_CASE("a missing kernel names the folders searched and the kernels found", "[kernel]") {
  TempDir root;
  nbexec_test::write_kernel(root / "a", "julia-1.9", simple_spec("Julia"));
  nbexec_test::write_kernel(root / "b", "ir", simple_spec("R"));
  nbexec_test::write_file(root / "b/not-a-kernel/readme.txt", "no kernel.json here");
  std::vector<fs::path> path = {root / "a", root / "b"};
  try {
    find_kernelspec("scala", path);
    FAIL("expected KernelNotFoundError");
  } catch (const KernelNotFoundError& e) {
    std::string message = e.what();
    CHECK_THAT(message, Catch::Contains("'scala'"));
    CHECK_THAT(message, Catch::Contains((root / "a").string()));
    CHECK_THAT(message, Catch::Contains((root / "b").string()));
    CHECK_THAT(message, Catch::Contains("ir, julia-1.9"));
    CHECK_THAT(message, !Catch::Contains("not-a-kernel"));
  }
  CHECK_THROWS_WITH(find_kernelspec("python3", {}),
                    Catch::Contains("(none)") && Catch::Contains("ipykernel install"));
}

TEST_CASE("a broken kernel.json is reported with its path", "[kernel]") {
  TempDir root;
  nbexec_test::write_file(root / "k/broken/kernel.json", "{\"argv\": [\"x\",");
  nbexec_test::write_kernel(root / "k", "fine", simple_spec("Fine"));
  std::vector<fs::path> path = {root / "k"};
  CHECK_THROWS_AS(find_kernelspec("broken", path), KernelError);
  CHECK_THROWS_WITH(find_kernelspec("broken", path),
                    Catch::Contains((root / "k/broken/kernel.json").string()) &&
                        Catch::Contains("not valid JSON"));
  // Listing skips it, as jupyter_client's get_all_specs does.
  auto all = list_kernelspecs(path);
  REQUIRE(all.size() == 1);
  CHECK(all[0].name == "fine");
}

TEST_CASE("launch_argv fills placeholders and picks the spec's interpreter", "[kernel]") {
  TempDir root;
  fs::path resource_dir = root / "env/share/jupyter/kernels/python3";
  KernelSpec spec =
      parse_kernelspec({{"argv",
                         {"python3", "-m", "ipykernel_launcher", "-f", "{connection_file}",
                          "--res={resource_dir}", "--p={prefix}", "{unknown}"}}},
                       "python3", resource_dir);

  SECTION("without an interpreter in the prefix, PATH decides") {
    auto argv = launch_argv(spec, root / "conn.json");
    CHECK(argv[0] == "python3");
    CHECK(argv[4] == (root / "conn.json").string());
    CHECK(argv[5] == "--res=" + resource_dir.string());
    CHECK(argv[6] == "--p=" + (root / "env").string());
    CHECK(argv[7] == "{unknown}");
  }
  SECTION("the prefix's bin/python3 is used") {
    nbexec_test::make_executable(root / "env/bin/python3", "#!/bin/sh\n");
    CHECK(launch_argv(spec, root / "conn.json")[0] == (root / "env/bin/python3").string());
    spec.argv[0] = "python";
    CHECK(launch_argv(spec, root / "conn.json")[0] == (root / "env/bin/python3").string());
  }
  SECTION("other programs are left alone") {
    nbexec_test::make_executable(root / "env/bin/python3", "#!/bin/sh\n");
    spec.argv[0] = "ipython";
    CHECK(launch_argv(spec, root / "conn.json")[0] == "ipython");
  }
}

TEST_CASE("env values are substituted like string.Template.safe_substitute", "[kernel]") {
  std::map<std::string, std::string> env = {{"HOME", "/home/u"}, {"A_1", "x"}, {"path", "low"}};
  auto lookup = [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  // Expected values printed by Python 3.11's Template(s).safe_substitute(env).
  std::vector<std::pair<std::string, std::string>> cases = {
      {"${HOME}/bin", "/home/u/bin"},
      {"$HOME/bin", "/home/u/bin"},
      {"$$HOME", "$HOME"},
      {"${MISSING}-$MISSING", "${MISSING}-$MISSING"},
      {"a$", "a$"},
      {"$1abc", "$1abc"},
      {"${A_1}${path}", "xlow"},
      {"${bad name}", "${bad name}"},
      {"cost: 5$", "cost: 5$"},
      {"${HOME", "${HOME"},
      {"$A_1b", "$A_1b"},
  };
  for (const auto& [input, expected] : cases) {
    INFO(input);
    CHECK(detail::substitute_template(input, lookup) == expected);
  }
}

TEST_CASE("kernel_environment merges the spec env into the current one", "[kernel]") {
  std::map<std::string, std::string> base = {
      {"HOME", "/home/u"}, {"PATH", "/bin"}, {"PYTHONEXECUTABLE", "/x/python"}};
  auto env = detail::kernel_environment({{"PATH", "/opt/k/bin:${PATH}"}, {"K_HOME", "$HOME/k"}},
                                        "python", base);
  CHECK(env.at("PATH") == "/opt/k/bin:/bin");
  CHECK(env.at("K_HOME") == "/home/u/k");
  CHECK(env.at("HOME") == "/home/u");
  CHECK(env.count("PYTHONEXECUTABLE") == 0);
  CHECK(env.at("JPY_PARENT_PID") == std::to_string(::getpid()));

  auto r_env = detail::kernel_environment({}, "R", base);
  CHECK(r_env.at("PYTHONEXECUTABLE") == "/x/python");
}
