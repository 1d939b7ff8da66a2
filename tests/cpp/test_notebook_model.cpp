#include <nbexec/notebook/notebook.hpp>
#include <nbexec/notebook/validate.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string>

using nbexec::notebook::cell_has_tag;
using nbexec::notebook::cell_source;
using nbexec::notebook::find_tagged_cell;
using nbexec::notebook::json;
using nbexec::notebook::new_cell_id;
using nbexec::notebook::new_code_cell;
using nbexec::notebook::normalize_cell_ids;
using nbexec::notebook::Notebook;
using nbexec::notebook::validate_notebook;

TEST_CASE("kernel name and language come from the notebook metadata", "[notebook]") {
  Notebook nb;
  CHECK(nb.kernel_name().empty());
  CHECK(nb.language().empty());
  nb.metadata()["language_info"] = {{"name", "R"}};
  CHECK(nb.language() == "R");
  nb.metadata()["kernelspec"] = {{"name", "python3"}, {"display_name", "Python 3"}};
  CHECK(nb.kernel_name() == "python3");
  CHECK(nb.language() == "R");  // no kernelspec.language: language_info.name
  nb.metadata()["kernelspec"]["language"] = "python";
  CHECK(nb.language() == "R");  // papermill's nb_language: language_info.name first
  nb.metadata()["kernelspec"] = "not an object";
  CHECK(nb.kernel_name().empty());
  CHECK(nb.language() == "R");
  Notebook odd(json{{"metadata", 5}});
  CHECK(odd.kernel_name().empty());
  CHECK(odd.language().empty());
  CHECK(odd.nbformat() == 0);
  CHECK(odd.nbformat_minor() == 0);
}

TEST_CASE("a default notebook is an empty, valid 4.5 notebook", "[notebook]") {
  Notebook nb;
  CHECK(nb.nbformat() == 4);
  CHECK(nb.nbformat_minor() == 5);
  CHECK(nb.cells().empty());
  CHECK(validate_notebook(nb.document()).empty());
}

TEST_CASE("new_code_cell matches nbformat.v4.new_code_cell", "[notebook]") {
  // nbformat.v4.new_code_cell("x = 1") minus its random id.
  const json expected = json::parse(
      R"({"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": "x = 1"})");
  CHECK(new_code_cell("x = 1", 4) == expected);
  json cell = new_code_cell("x = 1", 5);
  REQUIRE(cell.contains("id"));
  cell.erase("id");
  CHECK(cell == expected);

  Notebook nb;
  nb.cells().push_back(new_code_cell("a", 5));
  nb.cells().push_back(new_code_cell("b", 5));
  CHECK(validate_notebook(nb.document()).empty());
}

TEST_CASE("new_cell_id has nbformat's shape: 8 lowercase hex characters", "[notebook]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_cell_id();
    REQUIRE(id.size() == 8);
    REQUIRE(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);  // 32 random bits: a collision in 1000 is a 1e-4 event
}

TEST_CASE("cell_source and tags", "[notebook]") {
  const json cell = json::parse(
      R"({"cell_type": "code", "metadata": {"tags": ["x", "parameters", 3]}, "source": ["a\n", "b"]})");
  CHECK(cell_source(cell) == "a\nb");
  CHECK(cell_source(json::parse(R"({"cell_type": "code"})")) == "");
  CHECK(cell_has_tag(cell, "parameters"));
  CHECK_FALSE(cell_has_tag(cell, "param"));
  CHECK_FALSE(cell_has_tag(json::parse(R"({"metadata": {"tags": "parameters"}})"), "parameters"));
  CHECK_FALSE(cell_has_tag(json::parse(R"({"metadata": 1})"), "parameters"));

  Notebook nb;
  nb.cells().push_back(new_code_cell("a", 5));
  nb.cells().push_back(cell);
  nb.cells().push_back(cell);
  CHECK(find_tagged_cell(nb, "parameters") == 1);
  CHECK(find_tagged_cell(nb, "injected-parameters") == -1);
  CHECK(find_tagged_cell(Notebook(json::object()), "parameters") == -1);
}

TEST_CASE("normalize_cell_ids gives missing and repeated ids new ones from 4.5", "[notebook]") {
  Notebook nb;
  nb.cells() = json::parse(R"([{"id": "a"}, {"id": "a"}, {}, {"id": "b"}, {"id": 3}])");
  CHECK(normalize_cell_ids(nb) == 2);
  CHECK(nb.cells()[0]["id"] == "a");
  CHECK(nb.cells()[1]["id"] != "a");
  CHECK(nb.cells()[2].contains("id"));
  CHECK(nb.cells()[3]["id"] == "b");
  CHECK(nb.cells()[4]["id"] == 3);  // not a string: left for the validator to report
  CHECK(normalize_cell_ids(nb) == 0);
  nb.document()["nbformat_minor"] = 4;
  nb.cells() = json::parse(R"([{}, {"id": "x"}, {"id": "x"}])");
  CHECK(normalize_cell_ids(nb) == 0);
  CHECK_FALSE(nb.cells()[0].contains("id"));
}
