#include <nbexec/notebook/read.hpp>
#include <nbexec/notebook/validate.hpp>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

using nbexec::notebook::Diagnostic;
using nbexec::notebook::json;
using nbexec::notebook::parse_notebook;
using nbexec::notebook::read_json_text;
using nbexec::notebook::validate_notebook;

namespace {

// A valid 4.5 notebook as nbformat writes it (line lists), with one cell of each kind.
json valid_notebook() {
  return json::parse(R"({
    "nbformat": 4, "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"},
                 "language_info": {"name": "python", "codemirror_mode": {"name": "ipython"}},
                 "title": "t", "authors": [{"name": "a"}], "anything": {"goes": [1]}},
    "cells": [
      {"id": "code-1", "cell_type": "code", "execution_count": 3,
       "metadata": {"tags": ["a", "b"], "collapsed": true, "scrolled": "auto", "name": "first",
                    "jupyter": {"outputs_hidden": false},
                    "execution": {"iopub.status.busy": "2024-01-01T00:00:00Z"}},
       "source": ["x = 1\n", "x"],
       "outputs": [
         {"output_type": "stream", "name": "stdout", "text": ["1\n"]},
         {"output_type": "display_data", "metadata": {}, "data": {"text/plain": "x", "image/png": "AA",
          "application/json": {"a": [1]}, "application/vnd.foo+json": 5}},
         {"output_type": "execute_result", "execution_count": 3, "metadata": {}, "data": {"text/plain": ["1"]}},
         {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["t"]}]},
      {"id": "md_1", "cell_type": "markdown", "metadata": {}, "source": "# t",
       "attachments": {"a.png": {"image/png": "AA"}}},
      {"id": "RAW", "cell_type": "raw", "metadata": {"format": "text/latex"}, "source": []}]})");
}

std::map<std::string, std::string> findings(const json& doc) {
  std::map<std::string, std::string> out;
  for (const Diagnostic& d : validate_notebook(doc))
    out[d.path] += (out.count(d.path) ? " | " : "") + d.message;
  return out;
}

// The only finding for `doc`, as "path: message".
std::string only_finding(const json& doc) {
  const auto diagnostics = validate_notebook(doc);
  if (diagnostics.size() != 1) {
    std::string all = std::to_string(diagnostics.size()) + " findings:";
    for (const auto& d : diagnostics) all += " [" + d.path + ": " + d.message + "]";
    return all;
  }
  return diagnostics[0].path + ": " + diagnostics[0].message;
}

}  // namespace

TEST_CASE("a valid notebook has no findings, as on disk and as held in memory", "[notebook]") {
  CHECK(validate_notebook(valid_notebook()).empty());
  CHECK(validate_notebook(parse_notebook(valid_notebook()).document()).empty());
}

TEST_CASE("the top level follows the schema", "[notebook]") {
  CHECK(only_finding(json::array()) == ": expected a notebook (a JSON object), found an array");
  json doc = valid_notebook();
  doc.erase("cells");
  doc["extra"] = 1;
  CHECK(findings(doc) ==
        std::map<std::string, std::string>{
            {"", "missing required property \"cells\""},
            {"/extra", "unexpected property (the nbformat 4.5 schema has no \"extra\" here)"}});
  doc = valid_notebook();
  doc["nbformat"] = 3;
  CHECK(only_finding(doc) == "/nbformat: expected 4, found 3 (only nbformat 4 is checked)");
  doc["nbformat"] = 4.0;
  CHECK(only_finding(doc) == "/nbformat: expected the integer 4, found a floating-point number");
  doc = valid_notebook();
  doc["nbformat_minor"] = "5";
  CHECK(only_finding(doc) == "/nbformat_minor: expected an integer, found a string");
  doc["nbformat_minor"] = -1;
  CHECK(findings(doc).count("/nbformat_minor") == 1);
  doc = valid_notebook();
  doc["cells"] = json::object();
  CHECK(only_finding(doc) == "/cells: expected an array of cells, found an object");
}

TEST_CASE("notebook metadata types are checked", "[notebook]") {
  json doc = valid_notebook();
  doc["metadata"]["kernelspec"] = {{"name", 3}};
  doc["metadata"]["language_info"] = {
      {"name", "python"}, {"codemirror_mode", 2}, {"mimetype", false}};
  doc["metadata"]["orig_nbformat"] = 0;
  doc["metadata"]["title"] = json::array();
  doc["metadata"]["authors"] = "me";
  CHECK(findings(doc) ==
        std::map<std::string, std::string>{
            {"/metadata/kernelspec", "missing required property \"display_name\""},
            {"/metadata/kernelspec/name", "expected a string, found an integer"},
            {"/metadata/language_info/codemirror_mode",
             "expected a string or an object, found an integer"},
            {"/metadata/language_info/mimetype", "expected a string, found a boolean"},
            {"/metadata/orig_nbformat", "expected an integer of 1 or more"},
            {"/metadata/title", "expected a string, found an array"},
            {"/metadata/authors", "expected an array, found a string"}});
  doc = valid_notebook();
  doc["metadata"]["language_info"] = json::object();
  CHECK(only_finding(doc) == "/metadata/language_info: missing required property \"name\"");
  // title and authors only arrived in 4.2.
  doc = valid_notebook();
  doc["nbformat_minor"] = 1;
  for (auto& cell : doc["cells"]) cell.erase("id");
  doc["cells"][0]["metadata"].erase("jupyter");
  doc["cells"][0]["metadata"].erase("execution");
  doc["metadata"]["title"] = 1;
  CHECK(validate_notebook(doc).empty());
}

TEST_CASE("cells follow their type's schema", "[notebook]") {
  json doc = valid_notebook();
  doc["cells"][0].erase("outputs");
  doc["cells"][0]["execution_count"] = 1.0;
  doc["cells"][0]["attachments"] = json::object();  // code cells have none
  doc["cells"][1]["source"] = json::array({"a", 1});
  doc["cells"][1]["outputs"] = json::array();  // markdown cells have none
  doc["cells"][2]["metadata"]["format"] = 1;
  doc["cells"].push_back(
      {{"cell_type", "heading"}, {"metadata", json::object()}, {"source", ""}, {"id", "h"}});
  doc["cells"].push_back({{"source", ""}});
  doc["cells"].push_back(json::array());
  CHECK(findings(doc) ==
        std::map<std::string, std::string>{
            {"/cells/0", "missing required property \"outputs\""},
            {"/cells/0/execution_count",
             "expected a non-negative integer or null, found a floating-point number"},
            {"/cells/0/attachments",
             "unexpected property (the nbformat 4.5 schema has no \"attachments\" here)"},
            {"/cells/1/source", "expected a string or a list of strings, found an array"},
            {"/cells/1/outputs",
             "unexpected property (the nbformat 4.5 schema has no \"outputs\" here)"},
            {"/cells/2/metadata/format", "expected a string, found an integer"},
            {"/cells/3/cell_type",
             "unknown cell type \"heading\" (expected \"code\", \"markdown\" or \"raw\")"},
            {"/cells/4", "missing required property \"cell_type\""},
            {"/cells/5", "expected a cell (an object), found an array"}});
  doc = valid_notebook();
  doc["cells"][0]["execution_count"] = -1;
  CHECK(only_finding(doc) ==
        "/cells/0/execution_count: expected a non-negative integer or null, found -1");
  doc["cells"][0]["execution_count"] = true;
  CHECK(only_finding(doc) ==
        "/cells/0/execution_count: expected a non-negative integer or null, found a boolean");
}

TEST_CASE("cell metadata follows the schema", "[notebook]") {
  json doc = valid_notebook();
  json& m = doc["cells"][0]["metadata"];
  m["tags"] = {"ok", "a,b", "", 3, "ok"};
  m["name"] = "two\nlines";
  m["collapsed"] = "yes";
  m["scrolled"] = 1;
  m["jupyter"] = "hidden";
  m["execution"] = {{"iopub.status.idle", 5}, {"custom.time", "ok"}, {"inner\nnewline", 1}};
  CHECK(findings(doc) ==
        std::map<std::string, std::string>{
            {"/cells/0/metadata/tags/1", "expected a non-empty string without commas"},
            {"/cells/0/metadata/tags/2", "expected a non-empty string without commas"},
            {"/cells/0/metadata/tags/3", "expected a non-empty string without commas"},
            {"/cells/0/metadata/tags/4", "tag \"ok\" appears twice (tags must be unique)"},
            {"/cells/0/metadata/name", "expected a non-empty single-line string"},
            {"/cells/0/metadata/collapsed", "expected a boolean, found a string"},
            {"/cells/0/metadata/scrolled", "expected true, false or \"auto\""},
            {"/cells/0/metadata/jupyter", "expected an object, found a string"},
            {"/cells/0/metadata/execution/iopub.status.idle",
             "expected a string (an ISO 8601 time), found an integer"}});
  // Python's `$` matches before a final newline, so nbformat accepts "name\n" (checked with
  // nbformat.validator.isvalid), and so does this validator.
  doc = valid_notebook();
  doc["cells"][0]["metadata"]["name"] = "name\n";
  doc["cells"][0]["id"] = "id\n";
  CHECK(validate_notebook(doc).empty());
}

TEST_CASE("cell ids: pattern, length, uniqueness, and only from 4.5", "[notebook]") {
  json doc = valid_notebook();
  doc["cells"][0]["id"] = "$illegal_chars";
  doc["cells"][1]["id"] = std::string(65, 'a');
  doc["cells"][2]["id"] = "";
  CHECK(
      findings(doc) ==
      std::map<std::string, std::string>{
          {"/cells/0/id", "cell id \"$illegal_chars\" may only hold letters, digits, '-' and '_'"},
          {"/cells/1/id", "a cell id is 1 to 64 characters long, found 65"},
          {"/cells/2/id", "a cell id is 1 to 64 characters long, found 0"}});
  doc = valid_notebook();
  doc["cells"][1]["id"] = std::string(64, 'a');
  doc["cells"][2]["id"] = "code-1";
  CHECK(only_finding(doc) == "/cells/2/id: duplicate cell id \"code-1\" (first used by /cells/0)");
  doc = valid_notebook();
  doc["cells"][1].erase("id");
  doc["cells"][2]["id"] = 7;
  CHECK(findings(doc) ==
        std::map<std::string, std::string>{{"/cells/1", "missing required property \"id\""},
                                           {"/cells/2/id", "expected a string, found an integer"}});
  doc = valid_notebook();
  doc["nbformat_minor"] = 4;
  doc["cells"][1].erase("id");
  doc["cells"][2].erase("id");
  CHECK(only_finding(doc) ==
        "/cells/0/id: unexpected property: cell ids need nbformat_minor 5 or more");
}

TEST_CASE("outputs follow their type's schema", "[notebook]") {
  json doc = valid_notebook();
  json& outputs = doc["cells"][0]["outputs"];
  outputs[0].erase("name");
  outputs[0]["text"] = 5;
  outputs[1]["transient"] = json::object();  // belongs to messages, never to files
  outputs[1]["data"]["text/html"] = {{"not", "text"}};
  outputs[1]["data"]["application/vnd.bad+xml"] = 1;
  outputs[2].erase("execution_count");
  outputs[3]["traceback"] = "one string";
  outputs.push_back({{"output_type", "pyout"}});
  outputs.push_back({{"text", "x"}});
  outputs.push_back({{"output_type", "display_data"}, {"data", json::object()}, {"metadata", 1}});
  CHECK(findings(doc) ==
        std::map<std::string, std::string>{
            {"/cells/0/outputs/0", "missing required property \"name\""},
            {"/cells/0/outputs/0/text", "expected a string or a list of strings, found an integer"},
            {"/cells/0/outputs/1/transient",
             "unexpected property (the nbformat 4.5 schema has no \"transient\" here)"},
            {"/cells/0/outputs/1/data/text~1html",
             "expected a string or a list of strings, found an object (only application/json and "
             "application/*+json data may be other JSON)"},
            {"/cells/0/outputs/1/data/application~1vnd.bad+xml",
             "expected a string or a list of strings, found an integer (only application/json and "
             "application/*+json data may be other JSON)"},
            {"/cells/0/outputs/2", "missing required property \"execution_count\""},
            {"/cells/0/outputs/3/traceback", "expected an array of strings, found a string"},
            {"/cells/0/outputs/4/output_type",
             "unknown output type \"pyout\" (expected \"execute_result\", \"display_data\", "
             "\"stream\" or \"error\")"},
            {"/cells/0/outputs/5", "missing required property \"output_type\""},
            {"/cells/0/outputs/6/metadata", "expected an object, found an integer"}});
  doc = valid_notebook();
  doc["cells"][1]["attachments"]["a.png"] = "AA";
  CHECK(only_finding(doc) ==
        "/cells/1/attachments/a.png: expected a mime bundle (an object), found a string");
}

TEST_CASE("a newer minor version is checked as nbformat does: relaxed 4.5 rules", "[notebook]") {
  json doc = valid_notebook();
  doc["nbformat_minor"] = 9;
  doc["future"] = true;
  doc["cells"][0]["future"] = 1;
  doc["cells"][0]["outputs"].push_back({{"output_type", "hologram"}, {"payload", 1}});
  doc["cells"][0]["outputs"][1]["data"]["text/plain"] = 42;
  doc["cells"].push_back({{"cell_type", "hologram"}, {"metadata", json::object()}});
  CHECK(validate_notebook(doc).empty());
  // Still required: ids, and metadata on unknown cells; ids still unique.
  doc["cells"][1].erase("id");
  doc["cells"][2]["id"] = "code-1";
  doc["cells"][3].erase("metadata");
  CHECK(findings(doc) ==
        std::map<std::string, std::string>{
            {"/cells/1", "missing required property \"id\""},
            {"/cells/2/id", "duplicate cell id \"code-1\" (first used by /cells/0)"},
            {"/cells/3", "missing required property \"metadata\""}});
}

TEST_CASE("schema details that differ by minor version", "[notebook]") {
  json doc = valid_notebook();
  doc["nbformat_minor"] = 3;
  for (auto& cell : doc["cells"]) cell.erase("id");
  doc["cells"][0]["metadata"]["execution"] = "not checked before 4.4";
  CHECK(validate_notebook(doc).empty());
  doc["cells"][0]["metadata"]["jupyter"] = 1;
  CHECK(only_finding(doc) == "/cells/0/metadata/jupyter: expected an object, found an integer");
  doc["nbformat_minor"] = 2;  // "jupyter" metadata is only defined from 4.3
  CHECK(validate_notebook(doc).empty());
  doc.erase("nbformat_minor");  // read as 0, and reported missing
  CHECK(only_finding(doc) == ": missing required property \"nbformat_minor\"");
}

TEST_CASE("nbformat's own test notebooks get findings exactly when nbformat rejects them",
          "[notebook]") {
  const std::filesystem::path corpus = NBEXEC_SOURCE_DIR "/../shared/corpus/nbformat";
  if (!std::filesystem::is_directory(corpus)) {
    WARN("skipped: " << corpus.string() << " is absent (a fresh clone has no ../shared)");
    return;
  }
  // Verdicts of nbformat.validator.isvalid (nbformat 5.11), which checks without repairing.
  // nbformat.validate() itself passes invalid_unique_cell_id and v4_5_no_cell_id only because it
  // first rewrites the ids in place (with a warning); nbexec's reader does that repair too.
  const std::map<std::string, bool> nbformat_valid = {
      {"test4.ipynb", true},
      {"test4.5.ipynb", true},
      {"test4custom.ipynb", true},
      {"test4docinfo.ipynb", true},
      {"test4jupyter_metadata.ipynb", true},
      {"test4jupyter_metadata_timings.ipynb", true},
      {"test4plus.ipynb", true},
      {"many_tracebacks.ipynb", true},
      {"invalid.ipynb", false},
      {"invalid_cell_id.ipynb", false},
      {"invalid_unique_cell_id.ipynb", false},
      {"v4_5_invalid_metadata.ipynb", false},
      {"v4_5_no_cell_id.ipynb", false},
      {"no_min_version.ipynb", false},
  };
  for (const auto& [name, valid] : nbformat_valid) {
    INFO(name);
    std::ifstream in(corpus / name, std::ios::binary);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    const json doc = read_json_text(text.str(), name);
    REQUIRE_NOTHROW(parse_notebook(doc, name));  // every v4 file parses, valid or not
    CHECK(validate_notebook(doc).empty() == valid);
  }
}
