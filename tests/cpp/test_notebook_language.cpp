// The notebook's language is decided in one place, Notebook::language(), the way papermill's
// nb_language decides it (language_info.name, then kernelspec.language); inspection and
// injection follow it. The notebooks here disagree with themselves so that the order shows.
#include <catch2/catch.hpp>

#include <nbexec/notebook/notebook.hpp>
#include <nbexec/params/inject/inject.hpp>
#include <nbexec/params/inspect/inspect.hpp>

using nbexec::notebook::json;
using nbexec::notebook::Notebook;

namespace {

// A kernel name no translator is registered under, so the language alone picks the translator
// and the grammar (papermill's find_translator tries the kernel name first).
Notebook disagreeing(std::string kernelspec_language, std::string language_info_name,
                     std::string parameters_source) {
  json cell = {{"cell_type", "code"},      {"execution_count", nullptr},
               {"id", "params"},           {"metadata", {{"tags", {"parameters"}}}},
               {"outputs", json::array()}, {"source", std::move(parameters_source)}};
  json metadata = {
      {"kernelspec",
       {{"name", "mykernel"}, {"display_name", "Mine"}, {"language", kernelspec_language}}},
      {"language_info", {{"name", language_info_name}}}};
  return Notebook(json{{"cells", json::array({cell})},
                       {"metadata", std::move(metadata)},
                       {"nbformat", 4},
                       {"nbformat_minor", 5}});
}

}  // namespace

TEST_CASE("Notebook::language reads language_info.name before kernelspec.language",
          "[notebook][language]") {
  CHECK(disagreeing("python", "R", "").language() == "R");
  CHECK(disagreeing("R", "python", "").language() == "python");
  // papermill's `if not language`: an empty name counts as absent.
  CHECK(disagreeing("julia", "", "").language() == "julia");
  Notebook only_kernelspec = disagreeing("R", "", "");
  only_kernelspec.metadata().erase("language_info");
  CHECK(only_kernelspec.language() == "R");
  Notebook neither = disagreeing("", "", "");
  CHECK(neither.language().empty());
}

TEST_CASE("injection renders the parameters in the language papermill picks",
          "[params][inject][language]") {
  const auto flag = nbexec::params::Parameters::parse(R"({"flag": true, "name": "x"})");
  // papermill: RTranslator (language_info says R), although kernelspec says python.
  Notebook as_r = disagreeing("python", "R", "flag = FALSE");
  nbexec::params::inject_parameters(as_r, flag, "", "");
  CHECK(as_r.cells()[1]["source"] == "# Parameters\nflag = TRUE\nname = \"x\"\n");
  // The other way round: PythonTranslator.
  Notebook as_python = disagreeing("R", "python", "flag <- FALSE");
  nbexec::params::inject_parameters(as_python, flag, "", "");
  CHECK(as_python.cells()[1]["source"] == "# Parameters\nflag = True\nname = \"x\"\n");
}

TEST_CASE("inspection reads the parameters cell in the language papermill picks",
          "[params][inspect][language]") {
  // `n <- 3L` assigns in R and is a comparison in Python; `ratio = 0.5` reads in both.
  const std::string source = "n <- 3L\nratio = 0.5\n";
  const auto as_r = nbexec::params::inspect_notebook_parameters(disagreeing("python", "R", source));
  CHECK(as_r.language == "R");
  REQUIRE(as_r.parameters.size() == 2);
  CHECK(as_r.parameters[0].name == "n");

  const auto as_python =
      nbexec::params::inspect_notebook_parameters(disagreeing("R", "python", source));
  CHECK(as_python.language == "python");
  REQUIRE(as_python.parameters.size() == 1);
  CHECK(as_python.parameters[0].name == "ratio");
}
