// The L4 facade's jobs other than running (inspect, check, kernelspecs, notebook text) and the
// typed remedy errors carry, as the fronts see them: only top-level headers are included here.
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/inspect.hpp>
#include <nbexec/kernelspecs.hpp>
#include <nbexec/notebook_text.hpp>
#include <nbexec/run.hpp>

#include "test_kernel_support.hpp"

#include <cstdlib>
#include <fstream>

using namespace nbexec;
using nbexec_test::ScopedEnv;
using nbexec_test::TempDir;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string notebook_text(const std::string& parameters_source, const json& metadata) {
  json cell = {{"cell_type", "code"},      {"execution_count", nullptr},
               {"id", "a1b2c3d4"},         {"metadata", {{"tags", {"parameters"}}}},
               {"outputs", json::array()}, {"source", parameters_source}};
  return json{{"cells", {cell}}, {"metadata", metadata}, {"nbformat", 4}, {"nbformat_minor", 5}}
      .dump();
}

json python_metadata() {
  return {{"kernelspec", {{"name", "python3"}, {"language", "python"}, {"display_name", "P"}}}};
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

TEST_CASE("inspect_notebook fills in the path, then reads the parameters cell", "[facade]") {
  TempDir dir;
  write_file(
      dir.path() / "in-eu.ipynb",
      notebook_text("alpha: float = 0.5  # learning rate\nregion = 'eu'", python_metadata()));
  InspectOptions options;
  options.parameters = {{"region", "eu"}};
  const Inspection found = inspect_notebook(dir.path() / "in-{region}.ipynb", options);
  CHECK(found.path == (dir.path() / "in-eu.ipynb").string());
  REQUIRE(found.parameters.parameters.size() == 2);
  CHECK(found.parameters.parameters[0].name == "alpha");
  CHECK(found.parameters.parameters[0].help == "learning rate");
  CHECK(found.parameters.parameters[1].kind() == ValueKind::string);
  CHECK(found.schema["title"] == found.path);
  CHECK(found.schema["properties"]["alpha"]["type"] == "number");

  SECTION("a {name} nobody gave is a ParameterError naming it") {
    CHECK_THROWS_WITH(inspect_notebook(dir.path() / "in-{zone}.ipynb"),
                      Catch::Contains("missing parameter 'zone'"));
  }
  SECTION("a missing file is a NotebookError") {
    CHECK_THROWS_AS(inspect_notebook(dir.path() / "nowhere.ipynb"), NotebookError);
  }
}

TEST_CASE("inspect_notebook_text and check_notebook_parameters_text work on text", "[facade]") {
  const std::string text = notebook_text("epochs: int = 3\nname = 'x'", python_metadata());
  const Inspection found = inspect_notebook_text(text, {}, "demo");
  CHECK(found.path == "demo");
  CHECK(found.schema["title"] == "demo");
  CHECK(inspect_notebook_text(text).path == "<string>");

  const auto problems =
      check_notebook_parameters_text(text, {{"epochs", "many"}, {"typo", 1}, {"name", "y"}});
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].kind == ParameterProblem::Kind::type_mismatch);
  CHECK(problems[0].name == "epochs");
  CHECK(problems[1].kind == ParameterProblem::Kind::unknown_name);
  CHECK(problems[1].name == "typo");
  CHECK(check_notebook_parameters_text(text, {{"epochs", 5}}).empty());
  CHECK_THROWS_AS(check_notebook_parameters_text("{not json", {}), NotebookError);
}

TEST_CASE("list_kernelspecs lists the kernels found and the folders searched", "[facade]") {
  TempDir dir;
  fs::create_directories(dir.path() / "kernels" / "facade-kernel");
  write_file(dir.path() / "kernels" / "facade-kernel" / "kernel.json",
             json{{"argv", {"python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"}},
                  {"display_name", "Facade"},
                  {"language", "python"}}
                 .dump());
  ScopedEnv jupyter_path("JUPYTER_PATH", dir.path().string());
  const KernelSpecListing listing = list_kernelspecs();
  REQUIRE_FALSE(listing.search_path.empty());
  CHECK(listing.search_path.front() == dir.path() / "kernels");
  const auto found =
      std::find_if(listing.kernels.begin(), listing.kernels.end(),
                   [](const KernelSpecInfo& k) { return k.name == "facade-kernel"; });
  REQUIRE(found != listing.kernels.end());
  CHECK(found->display_name == "Facade");
  CHECK(found->language == "python");
  CHECK(found->argv.back() == "{connection_file}");
  CHECK(found->resource_dir == dir.path() / "kernels" / "facade-kernel");
}

TEST_CASE("notebook text is validated and written back in nbformat's layout", "[facade]") {
  const std::string text = notebook_text("x = 1", python_metadata());
  CHECK(validate_notebook_text(text).empty());
  auto [findings, written] = validate_and_write_notebook_text(text);
  CHECK(findings.empty());
  CHECK(written.rfind("{\n \"cells\": [\n", 0) == 0);  // indent 1, sorted keys
  CHECK(written.back() == '\n');
  CHECK(write_notebook_text(parse_notebook_text(text, "<test>")) == written);

  const auto bad = validate_notebook_text(R"({"cells": [], "metadata": {}, "nbformat": 4})");
  REQUIRE_FALSE(bad.empty());
  const auto broken = validate_and_write_notebook_text("{");
  REQUIRE(broken.first.size() == 1);
  CHECK(broken.first[0].path.empty());
  CHECK(broken.second.empty());
}

TEST_CASE("errors a caller can get past carry a remedy, and their text names no flag", "[facade]") {
  TempDir dir;
  write_file(dir.path() / "nokernel.ipynb", notebook_text("a = 1", json::object()));
  write_file(dir.path() / "typed.ipynb", notebook_text("a = 1", python_metadata()));
  const auto remedy_of = [](const RunOptions& options) {
    try {
      run_notebook(options);
    } catch (const Error& error) {
      CHECK(std::string(error.what()).find("--") == std::string::npos);
      return error.remedy();
    }
    FAIL("the run did not throw");
    return Remedy::none;
  };
  RunOptions options;
  options.output_path = dir.path() / "out.ipynb";

  SECTION("a notebook that names no kernel") {
    options.input_path = dir.path() / "nokernel.ipynb";
    CHECK(remedy_of(options) == Remedy::kernel_name);
  }
  SECTION("an unknown parameter in strict mode") {
    options.input_path = dir.path() / "typed.ipynb";
    options.parameters = {{"b", 2}};
    CHECK(remedy_of(options) == Remedy::relax_parameter_check);
  }
  SECTION("a contradicting type in strict mode") {
    options.input_path = dir.path() / "typed.ipynb";
    options.parameters = {{"a", "text"}};
    CHECK(remedy_of(options) == Remedy::relax_parameter_check);
  }
  SECTION("a working directory that does not exist") {
    options.input_path = dir.path() / "typed.ipynb";
    options.cwd = dir.path() / "nowhere";
    CHECK(remedy_of(options) == Remedy::working_directory);
  }
  CHECK_FALSE(fs::exists(dir.path() / "out.ipynb"));
}

TEST_CASE("lenient parameters: papermill's warning for unknown names, the run goes on",
          "[facade]") {
  TempDir dir;
  write_file(dir.path() / "typed.ipynb", notebook_text("a = 1", python_metadata()));
  RunOptions options;
  options.input_path = dir.path() / "typed.ipynb";
  options.output_path = dir.path() / "out.ipynb";
  options.prepare_only = true;
  options.parameters = {{"zeta", 2}, {"a", "text"}};
  std::vector<std::string> warnings;
  options.log = [&warnings](LogLevel level, const std::string& line) {
    if (level == LogLevel::warning) warnings.push_back(line);
  };

  SECTION("warn: both problems are warnings, in papermill's words for the unknown name") {
    options.parameter_check = ParameterCheck::warn;
    const RunResult result = run_notebook(options);
    REQUIRE(warnings.size() == 2);
    CHECK(warnings[0] == "Passed unknown parameter: zeta");
    CHECK(warnings[1].find("parameter 'a'") != std::string::npos);
    const auto& cells = result.notebook.document()["cells"];
    REQUIRE(cells.size() == 2);
    CHECK(cells[1]["metadata"]["tags"] == json::array({"injected-parameters"}));
    CHECK(result.notebook.document()["metadata"]["papermill"]["parameters"] ==
          json({{"zeta", 2}, {"a", "text"}}));
  }
  SECTION("off: no type check, the unknown name still said") {
    options.parameter_check = ParameterCheck::off;
    run_notebook(options);
    CHECK(warnings == std::vector<std::string>{"Passed unknown parameter: zeta"});
  }
  SECTION("warn_unknown: the unknown name is a warning, the type an error") {
    options.parameter_check = ParameterCheck::warn_unknown;
    CHECK_THROWS_AS(run_notebook(options), ParameterError);
    CHECK_FALSE(fs::exists(dir.path() / "out.ipynb"));
  }
  SECTION("strict: refused, nothing written") {
    CHECK_THROWS_AS(run_notebook(options), ParameterError);
    CHECK_FALSE(fs::exists(dir.path() / "out.ipynb"));
  }
}

TEST_CASE("the strictness switch: choice, then NBEXEC_STRICT_PARAMETERS, then the default",
          "[facade]") {
  ::unsetenv(strict_parameters_variable);
  CHECK(resolve_strict_parameters(std::nullopt, true));
  CHECK_FALSE(resolve_strict_parameters(std::nullopt, false));
  CHECK_FALSE(resolve_strict_parameters(false, true));
  for (const char* on : {"1", "true", "YES", "On"}) {
    ::setenv(strict_parameters_variable, on, 1);
    CHECK(resolve_strict_parameters(std::nullopt, false));
    CHECK_FALSE(resolve_strict_parameters(false, false));
  }
  for (const char* off : {"0", "False", "no", "OFF"}) {
    ::setenv(strict_parameters_variable, off, 1);
    CHECK_FALSE(resolve_strict_parameters(std::nullopt, true));
    CHECK(resolve_strict_parameters(true, false));
  }
  ::setenv(strict_parameters_variable, "", 1);
  CHECK(resolve_strict_parameters(std::nullopt, true));
  ::setenv(strict_parameters_variable, "strict", 1);
  CHECK_THROWS_AS(resolve_strict_parameters(std::nullopt, true), UsageError);
  CHECK(resolve_strict_parameters(true, false));  // an explicit choice never reads it
  ::unsetenv(strict_parameters_variable);
}
