#include <nbexec/error.hpp>
#include <nbexec/notebook/read.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

using nbexec::NotebookError;
using nbexec::notebook::json;
using nbexec::notebook::load_notebook;
using nbexec::notebook::parse_notebook;
using nbexec::notebook::parse_notebook_text;

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_notebook_text(text, "input.ipynb");
  } catch (const NotebookError& e) {
    return e.what();
  }
  return "no error";
}

// A minimal 4.4 notebook around `cells` (JSON text of the array).
std::string with_cells(const std::string& cells) {
  return R"({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": )" + cells + "}";
}

std::filesystem::path scratch_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("nbexec-read-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("a document that is not an nbformat 4 notebook is named by its JSON path", "[notebook]") {
  CHECK(error_of("[1]") == "input.ipynb: expected a notebook (a JSON object), found an array");
  CHECK(error_of(R"({"cells": [], "metadata": {}})") ==
        "input.ipynb: /nbformat: missing (is this a Jupyter notebook?)");
  CHECK(error_of(R"({"nbformat": "4", "cells": [], "metadata": {}})") ==
        "input.ipynb: /nbformat: expected an integer, found a string");
  CHECK(error_of(R"({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []})") ==
        "input.ipynb: /nbformat: nbformat 3 notebooks are not supported; convert it to nbformat 4 "
        "first (jupyter nbconvert --to notebook --nbformat 4)");
  CHECK(error_of(R"({"nbformat": 5, "metadata": {}, "cells": []})")
            .find("/nbformat: nbformat 5 is not supported") != std::string::npos);
  CHECK(error_of(R"({"nbformat": 4, "nbformat_minor": -1, "metadata": {}, "cells": []})") ==
        "input.ipynb: /nbformat_minor: expected a non-negative integer, found a negative one");
  CHECK(error_of(R"({"nbformat": 4, "nbformat_minor": 4, "metadata": {}})") ==
        "input.ipynb: /cells: missing (every nbformat 4 notebook has a cell list)");
  CHECK(error_of(R"({"nbformat": 4, "nbformat_minor": 4, "cells": []})") ==
        "input.ipynb: /metadata: missing (every nbformat 4 notebook has one)");
  CHECK(error_of(R"({"nbformat": 4, "nbformat_minor": 4, "metadata": [], "cells": []})") ==
        "input.ipynb: /metadata: expected an object, found an array");
  CHECK(error_of(with_cells("{}")) ==
        "input.ipynb: /cells: expected an array of cells, found an object");
  CHECK(error_of(with_cells("[{\"cell_type\": \"raw\", \"source\": \"\"}, 7]")) ==
        "input.ipynb: /cells/1: expected a cell (an object), found an integer");
  CHECK(error_of(with_cells(R"([{"source": "x"}])")) ==
        "input.ipynb: /cells/0: cell without a cell_type");
  // A cell_type that is not a string parses (a newer minor's schema allows it); validation
  // names it for a 4.4 notebook.
  CHECK(error_of(with_cells(R"([{"cell_type": 1}])")) == "no error");
  CHECK(error_of(with_cells(R"([{"cell_type": "code", "source": 3}])")) ==
        "input.ipynb: /cells/0/source: expected a string or a list of strings");
  CHECK(error_of(with_cells(R"([{}, {}, {}, {"cell_type": "markdown", "source": ["a", null]}])")) ==
        "input.ipynb: /cells/0: cell without a cell_type");
  CHECK(error_of(with_cells(R"([{"cell_type": "markdown", "metadata": 1, "source": ""}])")) ==
        "input.ipynb: /cells/0/metadata: expected an object, found an integer");
  CHECK(error_of(with_cells(R"([{"cell_type": "code", "source": "", "outputs": {}}])")) ==
        "input.ipynb: /cells/0/outputs: expected an array of outputs, found an object");
  CHECK(error_of(
            with_cells(R"([{"cell_type": "code", "source": "", "outputs": [{"name": "x"}]}])")) ==
        "input.ipynb: /cells/0/outputs/0: output without an output_type");
  CHECK(
      error_of(with_cells(
          R"([{"cell_type": "code", "source": "", "outputs": [{"output_type": "stream", "text": ["a", 1]}]}])")) ==
      "input.ipynb: /cells/0/outputs/0/text: expected a string or a list of strings");
  CHECK(
      error_of(with_cells(
          R"([{"cell_type": "code", "source": "", "outputs": [{"output_type": "display_data", "data": []}]}])")) ==
      "input.ipynb: /cells/0/outputs/0/data: expected a mime bundle (an object), found an array");
  CHECK(error_of(with_cells(
            R"([{"cell_type": "markdown", "source": "", "attachments": {"a/b.png": 1}}])")) ==
        "input.ipynb: /cells/0/attachments/a~1b.png: expected a mime bundle (an object), found an "
        "integer");
}

TEST_CASE("the fourth cell's bad source is reported at /cells/3/source", "[notebook]") {
  const std::string good = R"({"cell_type": "markdown", "metadata": {}, "source": "ok"})";
  CHECK(error_of(with_cells("[" + good + "," + good + "," + good +
                            R"(, {"cell_type": "code", "source": {"x": 1}}])")) ==
        "input.ipynb: /cells/3/source: expected a string or a list of strings");
}

TEST_CASE("multi-line fields are joined and everything else is kept", "[notebook]") {
  const auto nb = parse_notebook_text(R"({
    "nbformat": 4, "nbformat_minor": 4, "x-top": {"kept": [1, 2.5]},
    "metadata": {"kernelspec": {"name": "python3", "display_name": "P"}, "custom": null},
    "cells": [
      {"cell_type": "code", "execution_count": 2, "metadata": {"x": true}, "x-cell": "kept",
       "source": ["a = 1\n", "b = 2"],
       "outputs": [
         {"output_type": "stream", "name": "stdout", "text": ["1\n", "2\n"]},
         {"output_type": "display_data", "metadata": {},
          "data": {"text/plain": ["a\n", "b"], "image/png": ["QUJD", "REVG"],
                   "application/json": ["kept", "as", "list"],
                   "application/vnd.x+json": ["kept"], "text/html": []}},
         {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["t1\n", "t2"]}]},
      {"cell_type": "markdown", "metadata": {}, "source": [],
       "attachments": {"p.png": {"image/png": ["AA", "BB"], "text/plain": ["x\n", "y"]}}},
      {"cell_type": "raw", "metadata": {}, "source": "plain string"},
      {"cell_type": "markdown", "metadata": {}, "outputs": [{"output_type": "stream", "text": ["not", "code"]}], "source": ""}
    ]})");
  const json& doc = nb.document();
  CHECK(doc["x-top"] == json::parse(R"({"kept": [1, 2.5]})"));
  CHECK(doc["metadata"]["custom"].is_null());
  const json& code = doc["cells"][0];
  CHECK(code["x-cell"] == "kept");
  CHECK(code["source"] == "a = 1\nb = 2");
  CHECK(code["outputs"][0]["text"] == "1\n2\n");
  const json& data = code["outputs"][1]["data"];
  CHECK(data["text/plain"] == "a\nb");
  CHECK(data["image/png"] == "QUJDREVG");  // nbformat joins any non-JSON mime list
  CHECK(data["application/json"] == json::array({"kept", "as", "list"}));
  CHECK(data["application/vnd.x+json"] == json::array({"kept"}));
  CHECK(data["text/html"] == "");
  CHECK(code["outputs"][2]["traceback"] == json::array({"t1\n", "t2"}));  // not a text field
  CHECK(doc["cells"][1]["source"] == "");
  CHECK(doc["cells"][1]["attachments"]["p.png"]["image/png"] == "AABB");
  CHECK(doc["cells"][1]["attachments"]["p.png"]["text/plain"] == "x\ny");
  CHECK(doc["cells"][2]["source"] == "plain string");
  // Only code cells' outputs are joined, as in nbformat's rejoin_lines.
  CHECK(doc["cells"][3]["outputs"][0]["text"] == json::array({"not", "code"}));
  CHECK(nb.kernel_name() == "python3");
}

TEST_CASE("lenient where nbformat.read is: no minor version, no source, future minor",
          "[notebook]") {
  const auto nb = parse_notebook_text(
      R"({"nbformat": 4, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {}}]})");
  CHECK(nb.nbformat_minor() == 0);
  CHECK_FALSE(nb.document()["cells"][0].contains("source"));
  const auto future = parse_notebook_text(
      R"({"nbformat": 4, "nbformat_minor": 99, "metadata": {}, "cells": [{"cell_type": "new-kind", "id": "a"}]})");
  CHECK(future.document()["cells"][0]["cell_type"] == "new-kind");
}

TEST_CASE("4.5 cell ids are repaired as nbformat.read repairs them", "[notebook]") {
  const auto nb =
      parse_notebook_text(R"({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
      {"cell_type": "raw", "id": "dup", "metadata": {}, "source": ""},
      {"cell_type": "raw", "id": "dup", "metadata": {}, "source": ""},
      {"cell_type": "raw", "metadata": {}, "source": ""}]})");
  const json& cells = nb.document()["cells"];
  CHECK(cells[0]["id"] == "dup");
  CHECK(cells[1]["id"] != "dup");
  CHECK(cells[1]["id"].get<std::string>().size() == 8);
  CHECK(cells[2]["id"].get<std::string>().size() == 8);
  CHECK(cells[1]["id"] != cells[2]["id"]);
  // Below 4.5 ids do not exist, so nothing is added.
  const auto old =
      parse_notebook_text(with_cells(R"([{"cell_type": "raw", "metadata": {}, "source": ""}])"));
  CHECK_FALSE(old.document()["cells"][0].contains("id"));
}

TEST_CASE("parse_notebook takes a parsed document too", "[notebook]") {
  json doc = json::parse(with_cells(R"([{"cell_type": "code", "source": ["x", "y"]}])"));
  CHECK(parse_notebook(doc).document()["cells"][0]["source"] == "xy");
  doc["cells"][0]["source"] = 1;
  CHECK_THROWS_WITH(parse_notebook(doc, "doc.ipynb"),
                    "doc.ipynb: /cells/0/source: expected a string or a list of strings");
}

TEST_CASE("load_notebook names an unreadable path and the reason", "[notebook]") {
  const auto dir = scratch_dir();
  CHECK_THROWS_WITH(
      load_notebook(dir / "missing.ipynb"),
      "cannot read " + (dir / "missing.ipynb").string() + ": No such file or directory");
  CHECK_THROWS_WITH(load_notebook(dir), "cannot read " + dir.string() + ": Is a directory");
  const auto bad = dir / "bad.ipynb";
  std::ofstream(bad) << "{\n  \"nbformat\": 4,\n  oops\n}";
  CHECK_THROWS_WITH(
      load_notebook(bad),
      bad.string() + ":3:3: malformed JSON: expecting a property name enclosed in double quotes");
  const auto good = dir / "good.ipynb";
  std::ofstream(good) << with_cells("[]");
  CHECK(load_notebook(good).nbformat() == 4);
  std::filesystem::remove_all(dir);
}

TEST_CASE("load_notebook(\"-\") reads standard input", "[notebook]") {
  const auto dir = scratch_dir();
  const auto file = dir / "stdin.ipynb";
  std::ofstream(file) << with_cells(
      R"([{"cell_type": "raw", "metadata": {}, "source": ["from ", "stdin"]}])");
  const int saved = ::dup(STDIN_FILENO);
  const int fd = ::open(file.c_str(), O_RDONLY);
  REQUIRE(saved >= 0);
  REQUIRE(fd >= 0);
  ::dup2(fd, STDIN_FILENO);
  ::close(fd);
  std::string source;
  std::string error;
  try {
    source = load_notebook("-").document()["cells"][0]["source"];
  } catch (const std::exception& e) {
    error = e.what();
  }
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  CHECK(error.empty());
  CHECK(source == "from stdin");
  std::filesystem::remove_all(dir);
}

TEST_CASE("load_notebook reads a file larger than its read chunks as the text parses",
          "[notebook]") {
  using nbexec::notebook::read_json_file;
  const auto dir = scratch_dir();
  const auto file = dir / "big.ipynb";
  // Image data of 3 MiB, as nbformat stores a PNG: one base64 string, three read chunks long.
  std::string png;
  for (std::size_t i = 0; png.size() < (std::size_t{3} << 20); ++i)
    png += "iVBORw0KGgoAAAANSUhEUgAA"[i % 24];
  const std::string text = with_cells(
      R"([{"cell_type": "code", "execution_count": 1, "metadata": {}, "source": ["a\n", "b"],
          "outputs": [{"output_type": "display_data", "metadata": {},
                       "data": {"image/png": ")" +
      png + R"(\n", "text/plain": ["<Figure>"]}}]}])");
  std::ofstream(file, std::ios::binary) << text;
  CHECK(read_json_file(file) == nbexec::notebook::read_json_text(text));
  const auto nb = load_notebook(file);
  CHECK(nb.document() == parse_notebook_text(text).document());
  CHECK(nb.document()["cells"][0]["outputs"][0]["data"]["image/png"] == png + "\n");

  // An error far into the file still names its line and column.
  std::ofstream(file, std::ios::binary) << "{\"a\": \"" << png << "\",\n \"b\": tru }";
  CHECK_THROWS_WITH(load_notebook(file), file.string() + ":2:7: malformed JSON: expecting a value");
  std::filesystem::remove_all(dir);
}

TEST_CASE("cells and outputs of a newer minor version are kept whatever their type tags hold",
          "[notebook]") {
  // nbformat's schema for a newer minor accepts any cell_type or output_type outside the known
  // ones, a non-string one included ("not": {"enum": [...]}), so what validation accepts must
  // parse. Lines are joined where they are lines; anything else stays as it is.
  const auto nb = parse_notebook_text(R"({"nbformat": 4, "nbformat_minor": 99, "metadata": {},
      "cells": [
        {"cell_type": 5, "metadata": {}, "source": [1, 2]},
        {"cell_type": {"kind": "x"}, "metadata": {}, "source": ["a", "b"], "attachments": 3},
        {"cell_type": "code", "metadata": {}, "source": "", "execution_count": null, "outputs": [
          {"output_type": {"a": 1}, "text": ["x", "y"]},
          {"output_type": "future", "text": [1]},
          {"output_type": 7}]}]})");
  const json& cells = nb.document()["cells"];
  CHECK(cells[0]["source"] == json::array({1, 2}));
  CHECK(nbexec::notebook::cell_source(cells[0]).empty());
  CHECK(cells[1]["source"] == "ab");
  CHECK(cells[1]["attachments"] == 3);
  // Attachments are joined as nbformat joins them for any cell (the writer splits them).
  const auto with_attachment = parse_notebook_text(R"({"nbformat": 4, "nbformat_minor": 99,
      "metadata": {}, "cells": [{"cell_type": "new", "metadata": {},
      "attachments": {"x.txt": {"text/plain": ["a\n", "b"]}, "y": 1}}]})");
  CHECK(with_attachment.document()["cells"][0]["attachments"] ==
        json{{"x.txt", {{"text/plain", "a\nb"}}}, {"y", 1}});
  const json& outputs = cells[2]["outputs"];
  CHECK(outputs[0]["text"] == "xy");
  CHECK(outputs[1]["text"] == json::array({1}));
  CHECK(outputs[2] == json{{"output_type", 7}});
  // Known types keep their rules.
  CHECK(error_of(with_cells(R"([{"cell_type": "code", "metadata": {}, "source": "",
      "outputs": [{"output_type": "stream", "name": "stdout", "text": [1]}]}])")) ==
        "input.ipynb: /cells/0/outputs/0/text: expected a string or a list of strings");
}
