// merge_parameters against papermill's CLI (papermill/cli.py: -b, -f, -y, -p, -r in that order,
// each folded in with dict.update).
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/params/sources/sources.hpp>
#include <nbexec/params/translate/render.hpp>

#include "params/sources/base64.hpp"

#include <unistd.h>
#include <filesystem>
#include <fstream>

using nbexec::ParameterError;
using nbexec::params::merge_parameters;
using nbexec::params::ParameterSources;
using nbexec::params::render_parameters_source;

namespace {

std::filesystem::path write_temp(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("nbexec-merge-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

}  // namespace

TEST_CASE("merge_parameters applies papermill's source order", "[params]") {
  const auto file = write_temp("f.yaml", "shared: from_f\nfile_only: 1\nb_key: from_f\n");
  ParameterSources sources;
  // base64 of "base: 1.5\nshared: from_b\nb_key: from_b\n"
  sources.base64_yaml = {"YmFzZTogMS41CnNoYXJlZDogZnJvbV9iCmJfa2V5OiBmcm9tX2IK"};
  sources.files = {file};
  sources.yaml = {"shared: from_y\nyaml_only: [1, on]\n", "yaml_only: second"};
  sources.inferred = {{"shared", "42"}, {"pnum", "1e3"}, {"pstr", "hello"}};
  sources.raw = {{"shared", "raw"}, {"raw_only", "True"}};
  const auto merged = merge_parameters(sources);
  std::filesystem::remove(file);

  // The injected cell papermill 2.7 wrote for the same command line:
  //   papermill in.ipynb out.ipynb --prepare-only -b <above> -f f.yaml
  //     -y $'shared: from_y\nyaml_only: [1, on]\n' -y 'yaml_only: second'
  //     -p shared 42 -p pnum 1e3 -p pstr hello -r shared raw -r raw_only True
  CHECK(render_parameters_source(merged, "python3", "python") ==
        "# Parameters\nbase = 1.5\nshared = \"raw\"\nb_key = \"from_f\"\nfile_only = 1\n"
        "yaml_only = \"second\"\npnum = 1000.0\npstr = \"hello\"\nraw_only = \"True\"\n");
}

TEST_CASE("merge_parameters: later sources win, first position stays", "[params]") {
  ParameterSources sources;
  sources.yaml = {"a: 1\nb: 2\nc: 3", "b: x"};
  sources.inferred = {{"a", "None"}, {"d", "2.5"}};
  sources.raw = {{"c", "3"}};
  const auto merged = merge_parameters(sources);
  CHECK(merged.dump() == R"({"a":null,"b":"x","c":"3","d":2.5})");
  CHECK(merge_parameters({}).dump() == "{}");
}

TEST_CASE("merge_parameters reads base64 as Python's b64decode does", "[params]") {
  ParameterSources sources;
  // Whitespace and characters outside the alphabet are skipped; data after padding ignored.
  sources.base64_yaml = {"YTog MQ==", "Y-T_o!g*M Q\n==garbage"};
  CHECK(merge_parameters(sources).dump() == R"({"a":1})");
  // python3: base64.b64encode('a: 1\nb: é'.encode('utf-16')) -- PyYAML honours the BOM.
  sources.base64_yaml = {"//5hADoAIAAxAAoAYgA6ACAA6QA="};
  CHECK(merge_parameters(sources).dump() == "{\"a\":1,\"b\":\"\xc3\xa9\"}");
}

TEST_CASE("merge_parameters reports bad base64 and bad YAML by source", "[params]") {
  ParameterSources sources;
  sources.base64_yaml = {"eDogWzEsIDJd", "YTogMQ"};
  CHECK_THROWS_WITH(merge_parameters(sources),
                    Catch::Contains("-b #2") && Catch::Contains("Incorrect padding"));
  sources.base64_yaml = {"YTogM"};
  CHECK_THROWS_WITH(merge_parameters(sources), Catch::Contains("cannot be 1 more"));
  sources.base64_yaml = {"\xc3\xa9"};
  CHECK_THROWS_WITH(merge_parameters(sources), Catch::Contains("ASCII"));
  sources.base64_yaml = {"LSAxCi0gMgo="};  // "- 1\n- 2\n": a list, not a mapping
  CHECK_THROWS_WITH(merge_parameters(sources), Catch::Contains("-b #1"));

  ParameterSources yaml;
  yaml.yaml = {"ok: 1", "a: [1,"};
  CHECK_THROWS_WITH(merge_parameters(yaml), Catch::StartsWith("-y #2 (YAML): line 1"));

  ParameterSources file;
  file.files = {"/nonexistent/nbexec/params.yaml"};
  CHECK_THROWS_WITH(merge_parameters(file), Catch::Contains("/nonexistent/nbexec/params.yaml"));

  ParameterSources inferred;
  inferred.inferred = {{"seed", "123456789012345678901234567890"}};
  CHECK_THROWS_WITH(merge_parameters(inferred), Catch::StartsWith("-p seed:"));
}

TEST_CASE("python_b64decode follows binascii.a2b_base64", "[params]") {
  using nbexec::params::detail::python_b64decode;
  std::string error;
  // python3: base64.b64decode(s) for each s.
  CHECK(python_b64decode("YTogMQ==", &error) == std::string("a: 1"));
  CHECK(python_b64decode("=YTogMQ==", &error) == std::string("a: 1"));
  CHECK(python_b64decode("YTogMQ=x=", &error) == std::string("a: 1\x0c"));
  CHECK(python_b64decode("", &error) == std::string());
  CHECK_FALSE(python_b64decode("YTogMQ=", &error).has_value());
  CHECK(error == "Incorrect padding");
  CHECK_FALSE(python_b64decode("YTogM", &error).has_value());
  CHECK(error ==
        "Invalid base64-encoded string: number of data characters (5) cannot be 1 more than a "
        "multiple of 4");
}

TEST_CASE("merge_parameters refuses names that are not identifiers, naming the source",
          "[params]") {
  ParameterSources inferred;
  inferred.inferred = {{"a-b", "1"}};
  CHECK_THROWS_WITH(
      merge_parameters(inferred),
      Catch::StartsWith("-p: parameter name 'a-b' is not an identifier") && Catch::Contains("'-'"));
  ParameterSources raw;
  raw.raw = {{"1st", "x"}};
  CHECK_THROWS_WITH(merge_parameters(raw),
                    Catch::Contains("'1st'") && Catch::Contains("starts with a digit"));
  ParameterSources yaml;
  yaml.yaml = {"ok: 1\n'has space': 2"};
  CHECK_THROWS_WITH(merge_parameters(yaml),
                    Catch::StartsWith("-y #1 (YAML)") && Catch::Contains("'has space'"));
  ParameterSources empty;
  empty.raw = {{"", "x"}};
  CHECK_THROWS_WITH(merge_parameters(empty), Catch::Contains("empty"));
  ParameterSources keys;
  keys.yaml = {"1: one"};  // PyYAML gives the int key 1; papermill would write "1 = ..."
  CHECK_THROWS_AS(merge_parameters(keys), ParameterError);
  ParameterSources control;
  control.raw = {{"a\tb", "x"}};
  CHECK_THROWS_WITH(merge_parameters(control), Catch::Contains("control"));

  // Identifiers, including non-ASCII ones Python accepts, pass.
  ParameterSources good;
  good.raw = {{"_private", "1"}, {"alpha_2", "2"}, {"\xce\xb1", "3"}, {"Beta", "4"}};
  CHECK(merge_parameters(good).size() == 4);
}

// Found by fuzz/fuzz_parameters: a -p/-r value that is not UTF-8 merged, then failed only when
// the cell was rendered, with an error that could not name the option.
TEST_CASE("merge_parameters refuses -p and -r values that are not UTF-8, naming the option",
          "[params]") {
  ParameterSources inferred;
  inferred.inferred = {{"a", "\xff"}};
  CHECK_THROWS_WITH(merge_parameters(inferred),
                    Catch::StartsWith("-p a: the value is not valid UTF-8 (byte 0)"));
  ParameterSources raw;
  raw.raw = {{"name", "ok\xed\xa0\x80"}};  // an encoded surrogate
  CHECK_THROWS_WITH(merge_parameters(raw),
                    Catch::StartsWith("-r name: the value is not valid UTF-8"));
  ParameterSources fine;
  fine.raw = {{"name", "h\xc3\xa9llo"}};
  CHECK(render_parameters_source(merge_parameters(fine), "python3", "python")
            .find("name = \"h\\xe9llo\"") != std::string::npos);
}
