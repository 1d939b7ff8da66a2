// Secret parameters: the forms masked, the mask over outputs, the checks before anything is
// written, and the placeholder in the notebook a prepare-only run writes. The real kernel and
// every file written are covered end to end by tests/python/test_cli_secrets.py.
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/run.hpp>
#include <nbexec/secrets.hpp>

#include "run/secret_mask.hpp"
#include "test_kernel_support.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace nbexec;
using nbexec::run_detail::secret_forms;
using nbexec::run_detail::SecretMask;
using nbexec_test::TempDir;
using nlohmann::json;

namespace {

bool has(const std::vector<std::string>& forms, const std::string& form) {
  return std::find(forms.begin(), forms.end(), form) != forms.end();
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("secret forms are the value, its repr, JSON and HTML insides", "[secrets]") {
  // s3cr'et\vålue<1> with a real backslash and a non-ASCII letter.
  const std::string value = "s3cr'et\\v\xC3\xA5lue<1>";
  const auto forms = secret_forms(value);
  CHECK(has(forms, value));
  CHECK(has(forms, "s3cr\\'et\\\\v\xC3\xA5lue<1>"));         // repr in single quotes
  CHECK(has(forms, "s3cr'et\\\\v\xC3\xA5lue<1>"));           // repr in double quotes, JSON raw
  CHECK(has(forms, "s3cr'et\\\\v\\u00e5lue<1>"));            // json.dumps (ensure_ascii)
  CHECK(has(forms, "s3cr&#x27;et\\v\xC3\xA5lue&lt;1&gt;"));  // html.escape
  // Longest first, each once.
  CHECK(std::is_sorted(forms.begin(), forms.end(),
                       [](const auto& a, const auto& b) { return a.size() > b.size(); }));
  CHECK(std::adjacent_find(forms.begin(), forms.end()) == forms.end());
}

TEST_CASE("secret forms escape control characters and characters beyond the BMP", "[secrets]") {
  const auto forms = secret_forms("ab\tc\x01\xF0\x9F\x94\x91");
  CHECK(has(forms, "ab\\tc\\x01\xF0\x9F\x94\x91"));  // repr
  CHECK(has(forms, "ab\\tc\\u0001\\ud83d\\udd11"));  // json.dumps: a surrogate pair
}

TEST_CASE("the mask replaces every form in every string but binary data", "[secrets]") {
  std::map<std::string, std::string> secrets;
  secrets["token"] = "hunter2'x";
  const SecretMask mask(secrets);
  REQUIRE_FALSE(mask.empty());
  CHECK(mask.apply("a hunter2'x b 'hunter2\\'x' c") == "a ******** b '********' c");

  json content = json::object();
  content["data"] = json::object();
  content["data"]["text/plain"] = "'hunter2\\'x'";
  content["data"]["image/png"] = "aHVudGVyMid4hunter2'x";
  content["data"]["application/json"] = json::object();
  content["data"]["application/json"]["t"] = "hunter2'x";
  content["traceback"] = json::array();
  content["traceback"].push_back("ValueError: hunter2'x");
  mask.apply(content);
  CHECK(content["data"]["text/plain"] == "'********'");
  CHECK(content["data"]["image/png"] == "aHVudGVyMid4hunter2'x");  // not touched
  CHECK(content["data"]["application/json"]["t"] == "********");
  CHECK(content["traceback"][0] == "ValueError: ********");
}

TEST_CASE("the mask replaces secrets in object keys too, losing no entry", "[secrets]") {
  const SecretMask mask(std::map<std::string, std::string>{{"token", "hunter2-x"}});
  json scrap = json::parse(R"({"data": {"application/json": {"hunter2-x": 1, "********": 2,
                                  "'hunter2-x'": {"hunter2-x": "hunter2-x"}, "plain": 3}}})");
  mask.apply(scrap);
  const json& data = scrap["data"]["application/json"];
  CHECK(scrap.dump().find("hunter2") == std::string::npos);
  CHECK(data.size() == 4);
  CHECK(data["********"] == 2);  // a key that was there already keeps its name
  CHECK(data["********#2"] == 1);
  CHECK(data["'********'"] == json{{"********", "********"}});
  CHECK(data["plain"] == 3);
}

TEST_CASE("an empty mask changes nothing", "[secrets]") {
  const SecretMask mask;
  CHECK(mask.empty());
  json value = "hunter2";
  mask.apply(value);
  CHECK(value == "hunter2");
}

TEST_CASE("only ipc or an encrypted wire is private", "[secrets]") {
  CHECK(wire_is_private("ipc", false));
  CHECK_FALSE(wire_is_private("tcp", false));
  CHECK(wire_is_private("tcp", true));
}

TEST_CASE("unusable secrets are refused before anything runs", "[secrets]") {
  RunOptions options;
  options.transport = "ipc";
  options.secrets["token"] = "long enough";
  CHECK_NOTHROW(check_secrets(options));

  // tcp with "auto" encryption may still be private (a kernelspec that declares curve): the
  // started kernel decides, through check_secret_wire.
  options.transport = "tcp";
  CHECK_NOTHROW(check_secrets(options));
  CHECK_THROWS_AS(check_secret_wire(options, "tcp", false), UsageError);
  CHECK_NOTHROW(check_secret_wire(options, "tcp", true));
  CHECK_NOTHROW(check_secret_wire(options, "ipc", false));
  // Asked for in clear: refused before anything is written.
  options.encryption = "off";
  try {
    check_secrets(options);
    FAIL("tcp without encryption was accepted");
  } catch (const UsageError& error) {
    CHECK(std::string(error.what()).find("in clear") != std::string::npos);
    CHECK(error.remedy() == Remedy::insecure_secrets);
  }
  options.allow_insecure_secrets = true;
  CHECK_NOTHROW(check_secrets(options));
  CHECK_NOTHROW(check_secret_wire(options, "tcp", false));

  options.secrets["token"] = "";
  CHECK_THROWS_AS(check_secrets(options), UsageError);
  options.secrets["token"] = "abc";
  CHECK_THROWS_AS(check_secrets(options), UsageError);
  options.secrets["token"] = "abcd";
  CHECK_NOTHROW(check_secrets(options));
  options.parameters["token"] = 1;
  CHECK_THROWS_AS(check_secrets(options), UsageError);
}

TEST_CASE("a prepare-only run writes the placeholder, never the value", "[secrets]") {
  TempDir dir;
  json cell = {{"cell_type", "code"},      {"execution_count", nullptr},
               {"id", "a1b2c3d4"},         {"metadata", json::object()},
               {"outputs", json::array()}, {"source", "token = 'x'\n"}};
  cell["metadata"]["tags"] = json::array();
  cell["metadata"]["tags"].push_back("parameters");
  json cells = json::array();
  cells.push_back(cell);
  json metadata = {
      {"kernelspec", {{"name", "python3"}, {"language", "python"}, {"display_name", "Python 3"}}}};
  nbexec_test::write_file(
      dir / "in.ipynb",
      json{{"cells", cells}, {"metadata", metadata}, {"nbformat", 4}, {"nbformat_minor", 5}}
          .dump());
  RunOptions options;
  options.input_path = dir / "in.ipynb";
  options.output_path = dir / "out.ipynb";
  options.prepare_only = true;
  options.parameter_check = ParameterCheck::warn;  // alpha is not declared
  options.secrets["token"] = "hunter2-value";
  options.parameters["alpha"] = 2;
  const RunResult result = run_notebook(options);

  const std::string written = read_text(dir / "out.ipynb");
  CHECK(written.find("hunter2") == std::string::npos);
  const json nb = json::parse(written);
  CHECK(nb["metadata"]["papermill"]["parameters"]["token"] == secret_placeholder);
  CHECK(nb["metadata"]["papermill"]["parameters"]["alpha"] == 2);
  std::string source;
  for (const auto& line : nb["cells"][1]["source"]) source += line.get<std::string>();
  CHECK(source.find("token = \"<secret>\"") != std::string::npos);
  CHECK(source.find("secrets: token") != std::string::npos);
}
