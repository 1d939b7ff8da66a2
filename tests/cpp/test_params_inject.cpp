// inject_parameters against papermill's parameterize_notebook (papermill/parameterize.py).
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/notebook/notebook.hpp>
#include <nbexec/params/inject/inject.hpp>

using nbexec::notebook::json;
using nbexec::notebook::Notebook;
using nbexec::params::inject_parameters;
using nbexec::params::InjectPlacement;
using nbexec::params::Parameters;

namespace {

json code_cell(const std::string& source, json tags = json::array()) {
  json cell = {{"cell_type", "code"},        {"execution_count", nullptr}, {"id", "c-" + source},
               {"metadata", json::object()}, {"outputs", json::array()},   {"source", source}};
  if (!tags.empty()) cell["metadata"]["tags"] = std::move(tags);
  return cell;
}

// One cell goes in json::array({cell}): a braced single json is a copy of that json under
// clang (CWG 2137) but a one-element array under g++.
Notebook make_notebook(json cells, int minor = 5) {
  return Notebook(
      json{{"cells", std::move(cells)},
           {"metadata",
            {{"kernelspec", {{"name", "python3"}, {"language", "python"}, {"display_name", "P"}}}}},
           {"nbformat", 4},
           {"nbformat_minor", minor}});
}

const Parameters kParams = Parameters::parse(R"({"alpha": 0.5, "name": "x"})");
// python3: PythonTranslator.codify({"alpha": 0.5, "name": "x"})
const std::string kSource = "# Parameters\nalpha = 0.5\nname = \"x\"\n";

}  // namespace

TEST_CASE("inject_parameters inserts after the first parameters cell", "[params]") {
  auto nb = make_notebook({code_cell("import os"), code_cell("alpha = 1", {"parameters"}),
                           code_cell("b", {"parameters"}), code_cell("print(alpha)")});
  const auto result = inject_parameters(nb, kParams, "", "");
  CHECK(result.placement == InjectPlacement::after_parameters);
  CHECK(result.cell_index == 2);
  REQUIRE(nb.cells().size() == 5);
  const json& cell = nb.cells()[2];
  CHECK(cell["cell_type"] == "code");
  CHECK(cell["source"] == kSource);
  CHECK(cell["metadata"] == json{{"tags", {"injected-parameters"}}});
  CHECK(cell["outputs"] == json::array());
  CHECK(cell["execution_count"].is_null());
  CHECK(cell["id"].is_string());
  CHECK(nb.cells()[3]["source"] == "b");
  // papermill stores the parameters it injected.
  CHECK(nb.metadata()["papermill"]["parameters"] == json{{"alpha", 0.5}, {"name", "x"}});
}

TEST_CASE("inject_parameters replaces an earlier injected cell in place", "[params]") {
  auto nb = make_notebook({code_cell("alpha = 1", {"parameters"}), code_cell("md"),
                           code_cell("old = 1", {"injected-parameters"}), code_cell("rest")});
  nb.metadata()["papermill"] = {{"input_path", "in.ipynb"}};
  const auto result = inject_parameters(nb, kParams, "python3", "python", /*report_mode=*/true);
  CHECK(result.placement == InjectPlacement::replaced_injected);
  CHECK(result.cell_index == 2);
  REQUIRE(nb.cells().size() == 4);
  CHECK(nb.cells()[2]["source"] == kSource);
  // Report mode hides the source the way papermill does.
  CHECK(nb.cells()[2]["metadata"] ==
        json{{"jupyter", {{"source_hidden", true}}}, {"tags", {"injected-parameters"}}});
  // Other papermill metadata stays.
  CHECK(nb.metadata()["papermill"]["input_path"] == "in.ipynb");
  CHECK(nb.metadata()["papermill"]["parameters"]["name"] == "x");
}

TEST_CASE("inject_parameters without a parameters cell goes first", "[params]") {
  auto nb = make_notebook({code_cell("a"), code_cell("b")});
  const auto result = inject_parameters(nb, kParams, "python3", "python");
  CHECK(result.placement == InjectPlacement::at_top_no_parameters);
  CHECK(result.cell_index == 0);
  REQUIRE(nb.cells().size() == 3);
  CHECK(nb.cells()[0]["source"] == kSource);
  CHECK(nb.cells()[1]["source"] == "a");

  auto empty = make_notebook(json::array());
  CHECK(inject_parameters(empty, Parameters::object(), "python3", "python").cell_index == 0);
  CHECK(empty.cells()[0]["source"] == "# Parameters\n");
  CHECK(empty.metadata()["papermill"]["parameters"] == json::object());
}

TEST_CASE("inject_parameters upgrades a v4.4 notebook like nbformat.v4.upgrade", "[params]") {
  // papermill 2.7 on a 4.4 notebook writes nbformat_minor 5 with an id on every cell.
  json old_cell = code_cell("x = 1", {"parameters"});
  old_cell.erase("id");
  auto nb = make_notebook(json::array({old_cell}), 4);
  inject_parameters(nb, kParams, "python3", "python");
  CHECK(nb.document()["nbformat_minor"] == 5);
  REQUIRE(nb.cells().size() == 2);
  for (const auto& cell : nb.cells()) {
    REQUIRE(cell.contains("id"));
    CHECK(cell["id"].get<std::string>().size() == 8);
  }
}

TEST_CASE("inject_parameters picks the translator from the notebook or the overrides", "[params]") {
  auto nb = make_notebook(json::array({code_cell("a")}));
  nb.metadata() = {{"kernelspec", {{"name", "ir"}, {"language", "R"}}},
                   {"language_info", {{"name", "R"}}}};
  // papermill registers "python" and "pysparkkernel", not "python3": with -k python3 the
  // notebook's language (R) still decides, and R spells True as TRUE.
  const Parameters flag = Parameters::parse(R"({"flag": true})");
  CHECK(inject_parameters(nb, flag, "python3", "").cell_index == 0);
  CHECK(nb.cells()[0]["source"] == "# Parameters\nflag = TRUE\n");
  // A registered override kernel name wins, as in papermill.
  CHECK(inject_parameters(nb, kParams, "pysparkkernel", "").cell_index == 0);
  CHECK(nb.cells()[0]["source"] == kSource);

  // Neither the kernel nor the language has a translator: nothing changes.
  auto cobol = make_notebook(json::array({code_cell("a")}));
  cobol.metadata() = {{"kernelspec", {{"name", "cobolkernel"}, {"language", "cobol"}}}};
  CHECK_THROWS_WITH(inject_parameters(cobol, kParams, "", ""), Catch::Contains("'cobolkernel'"));
  CHECK(cobol.cells().size() == 1);
  CHECK_FALSE(cobol.metadata().contains("papermill"));

  auto bare = make_notebook(json::array({code_cell("a")}));
  bare.metadata() = json::object();
  CHECK_THROWS_WITH(inject_parameters(bare, kParams, "", "python"),
                    Catch::Contains("kernelspec.name"));
  CHECK_THROWS_WITH(inject_parameters(bare, kParams, "k", ""), Catch::Contains("language"));
  // language_info.name is preferred to kernelspec.language (papermill's nb_language).
  bare.metadata() = {{"kernelspec", {{"name", "custom"}, {"language", "R"}}},
                     {"language_info", {{"name", "python"}}}};
  CHECK(inject_parameters(bare, kParams, "", "").cell_index == 0);
}
