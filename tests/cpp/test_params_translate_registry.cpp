// The public translator API: a language added from C++ is one Translator subclass and one
// register_translator call.
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/params/translate/render.hpp>
#include <nbexec/params/translate/translator.hpp>

#include <algorithm>
#include <memory>

using nbexec::params::Parameters;
using nbexec::params::register_translator;
using nbexec::params::render_parameters_source;

namespace {

// A toy Lua: only the hooks that differ from papermill's base.
class LuaTranslator final : public nbexec::params::Translator {
 public:
  std::string language_name() const override { return "Lua"; }
  std::string translate_none() const override { return "nil"; }
  std::string translate_list(const nlohmann::ordered_json& value) const override {
    std::string out = "{";
    for (const auto& item : value) out += (out.size() > 1 ? ", " : "") + translate(item);
    return out + "}";
  }
  std::string comment(std::string_view text) const override {
    return nbexec::params::strip("-- " + std::string(text));
  }
  std::string assign(std::string_view name, std::string_view value) const override {
    return "local " + std::string(name) + " = " + std::string(value);
  }
};

}  // namespace

TEST_CASE("a translator registered from C++ is found by kernel name and language",
          "[params][translate]") {
  register_translator("test-lua", std::make_shared<LuaTranslator>());
  const auto parameters = Parameters::parse(R"({"a": [1, null, "x\"y"], "b": true, "c": 0.5})");
  const std::string expected =
      "-- Parameters\nlocal a = {1, nil, \"x\\\"y\"}\nlocal b = true\nlocal c = 0.5\n";
  CHECK(render_parameters_source(parameters, "test-lua", "") == expected);
  CHECK(render_parameters_source(parameters, "lua-kernel", "test-lua") == expected);
  // Hooks it does not override keep papermill's base behaviour, errors included.
  CHECK_THROWS_WITH(render_parameters_source(Parameters::parse(R"({"d": {}})"), "test-lua", ""),
                    Catch::Contains("'d'") && Catch::Contains("dict") && Catch::Contains("Lua"));
  const auto names = nbexec::params::translator_names();
  CHECK(names.front() == "python");
  CHECK(std::find(names.begin(), names.end(), "test-lua") != names.end());
}

TEST_CASE("registering a name again replaces its translator", "[params][translate]") {
  register_translator("test-replace", std::make_shared<LuaTranslator>());
  const auto found = nbexec::params::find_translator("test-replace", "");
  register_translator("test-replace", nbexec::params::find_translator("bash", ""));
  CHECK(render_parameters_source(Parameters::parse(R"({"x": 1})"), "test-replace", "") ==
        "# Parameters\nx=1\n");
  // A translator found before the replacement stays usable.
  CHECK(found->language_name() == "Lua");
  CHECK_THROWS_AS(register_translator("test-null", nullptr), nbexec::ParameterError);
}

TEST_CASE("render_parameters_source refuses names that are not identifiers",
          "[params][translate]") {
  CHECK_THROWS_WITH(render_parameters_source(Parameters::parse(R"({"a-b": 1})"), "python", ""),
                    Catch::Contains("'a-b'") && Catch::Contains("identifier"));
}
