// Rendering against papermill's PythonTranslator (papermill/translators.py, black not installed).
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/params/translate/render.hpp>
#include <nbexec/params/translate/translator.hpp>

#include "params/common/python_number.hpp"

#include <limits>
#include <string_view>

using namespace std::literals;
using nbexec::params::Parameters;
using nbexec::params::render_parameters_source;
using nbexec::params::render_python_value;
using Json = nlohmann::ordered_json;

namespace {

struct FloatCase {
  double value;
  std::string_view rendered;
};

// python3: PythonTranslator.translate(v) for each v (hex literal from float.hex()); the random
// ones are random.seed(7) bit patterns and uniforms.
constexpr FloatCase kFloatCases[] = {
    {0x1.999999999999ap-4, "0.1"},
    {0x1.3333333333334p-2, "0.30000000000000004"},
    {0x1.4f8b588e368f1p-17, "1e-05"},
    {0x1.a36e2eb1c432dp-14, "0.0001"},
    {0x1.1c37937e08000p+53, "1e+16"},
    {0x1.c6bf526340000p+49, "1000000000000000.0"},
    {0x1.b69b4ba630f35p+56, "1.2345678901234568e+17"},
    {0x1.8000000000000p+0, "1.5"},
    {-0x1.4000000000000p+1, "-2.5"},
    {0x1.9000000000000p+6, "100.0"},
    {0x0.0000000000001p-1022, "5e-324"},
    {0x1.fffffffffffffp+1023, "1.7976931348623157e+308"},
    {0x1.0000000000000p-1022, "2.2250738585072014e-308"},
    {0x1.5555555555555p-2, "0.3333333333333333"},
    {0x1.5555555555555p-1, "0.6666666666666666"},
    {0x1.0000000000000p+53, "9007199254740992.0"},
    {0x1.01f31f46ed246p-13, "0.000123"},
    {0x1.34a456d5cfaadp+10, "1234.5678"},
    {0x1.0f0cf064dd592p+73, "1e+22"},
    {0x1.ad7f29abcaf48p-24, "1e-07"},
    {-0x0.0p+0, "-0.0"},
    {0x0.0p+0, "0.0"},
    {0x1.5ee2a2eb5a5c4p+53, "1.2345678901234568e+16"},
    {0x1.1c37937e07fffp+53, "9999999999999998.0"},
    {0x1.249ad2594c37dp+332, "1e+100"},
    {0x1.f75104d551d69p-16, "3e-05"},
    {0x1.3a6f252e6b438p+918, "2.7216092808335446e+276"},
    {0x1.99387269e0d37p-215, "3.035766360112293e-65"},
    {0x1.e3fe8a6a3a450p-925, "6.665830898196862e-279"},
    {0x1.f8412128b2f33p+658, "2.3558459513947972e+198"},
    {0x1.c7408892f902bp-831, "1.2418970069620836e-250"},
    {0x1.8cc2e5d9dc9f8p+170, "2.319469273766672e+51"},
    {0x1.12eca0ed90475p+840, "7.873531487934826e+252"},
    {0x1.b3ae681e74ef5p-584, "2.6878898238430084e-176"},
    {0x1.051ad099950d8p-847, "1.086847153644306e-255"},
    {0x1.6aa4d6f03675ap-167, "7.572358053192185e-51"},
    {0x1.e0b9211e20b8fp-531, "2.6713290337373985e-160"},
    {0x1.8b7671738f7d9p+105, "6.266356115726005e+31"},
    {0x1.0eedb6cad4a26p-902, "3.13010388235547e-272"},
    {0x1.0c967d3ac94afp+135, "4.569785438180719e+40"},
    {-0x1.6f61827c86326p+19, "-752396.0777007088"},
    {-0x1.0e464243e0f0cp+19, "-553522.0707859709"},
    {0x1.f1c938ef929c8p+17, "254866.4448111786"},
    {0x1.b5373c5137304p+19, "895417.8849140112"},
    {0x1.2d2ef2d898ad0p+17, "154205.89723499725"},
    {-0x1.9397867d49564p+17, "-206639.0506984397"},
};

struct StringCase {
  std::string_view text;
  std::string_view rendered;
};

// python3: PythonTranslator.translate_escaped_str(s), i.e. s.encode('unicode_escape') with
// '"' escaped, in double quotes.
constexpr StringCase kStringCases[] = {
    {"plain"sv, "\"plain\""sv},
    {"say \"hi\""sv, "\"say \\\"hi\\\"\""sv},
    {"back\\slash"sv, "\"back\\\\slash\""sv},
    {"tab\tnl\nret\r"sv, "\"tab\\tnl\\nret\\r\""sv},
    {"\000\001\037\177"sv, "\"\\x00\\x01\\x1f\\x7f\""sv},
    {"\302\200\302\237\302\240\303\251\303\277"sv, "\"\\x80\\x9f\\xa0\\xe9\\xff\""sv},
    {"\304\200\342\202\254\357\277\277\357\273\277"sv, "\"\\u0100\\u20ac\\uffff\\ufeff\""sv},
    {"\360\237\230\200\364\217\277\277"sv, "\"\\U0001f600\\U0010ffff\""sv},
    {"'single'"sv, "\"'single'\""sv},
    {"mixed \"\\\" end"sv, "\"mixed \\\"\\\\\\\" end\""sv},
    {"\342\200\250 sep"sv, "\"\\u2028 sep\""sv},
    {""sv, "\"\""sv},
};

}  // namespace

TEST_CASE("render_python_value renders floats as Python's repr", "[params]") {
  for (const auto& c : kFloatCases) {
    INFO("rendered: " << c.rendered);
    CHECK(render_python_value(c.value) == c.rendered);
  }
  CHECK(render_python_value(std::numeric_limits<double>::quiet_NaN()) == "float('nan')");
  CHECK(render_python_value(std::numeric_limits<double>::infinity()) == "float('inf')");
  CHECK(render_python_value(-std::numeric_limits<double>::infinity()) == "float('-inf')");
}

TEST_CASE("render_python_value escapes strings like unicode_escape", "[params]") {
  for (const auto& c : kStringCases) {
    INFO("expected: " << c.rendered);
    CHECK(render_python_value(std::string(c.text)) == c.rendered);
  }
}

TEST_CASE("render_python_value refuses strings that are not UTF-8", "[params]") {
  CHECK_THROWS_AS(render_python_value("bad \xff byte"), nbexec::ParameterError);
  CHECK_THROWS_AS(render_python_value("\xed\xa0\x80"), nbexec::ParameterError);  // surrogate
  CHECK_THROWS_AS(render_python_value("\xc0\xaf"), nbexec::ParameterError);      // overlong
}

TEST_CASE("render_python_value renders scalars, lists and dicts", "[params]") {
  CHECK(render_python_value(nullptr) == "None");
  CHECK(render_python_value(true) == "True");
  CHECK(render_python_value(false) == "False");
  CHECK(render_python_value(0) == "0");
  CHECK(render_python_value(-17) == "-17");
  CHECK(render_python_value(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
  CHECK(render_python_value(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
  CHECK(render_python_value(Json::array()) == "[]");
  CHECK(render_python_value(Json::object()) == "{}");
  // Key order is the mapping's order; keys go through translate_str.
  CHECK(render_python_value(Json::parse(R"({"z": [1, {"q\"": null}], "a": 2.0})")) ==
        R"({"z": [1, {"q\"": None}], "a": 2.0})");
  CHECK_THROWS_AS(render_python_value(Json::binary({1, 2})), nbexec::ParameterError);
}

TEST_CASE("render_parameters_source matches PythonTranslator.codify", "[params]") {
  // python3: PythonTranslator.codify(json.loads(text)) -- same text as below.
  const auto parameters = Parameters::parse(
      "{\"alpha\": 0.6, \"ratio\": 0.1, \"n\": 10, \"big\": 18446744073709551615, \"neg\": -3, "
      "\"name\": \"run \\\"one\\\"\", \"flag\": true, \"off\": false, \"nothing\": null, "
      "\"items\": [1, \"two\", 3.5, [], {}], \"conf\": {\"lr\": 1e-05, \"nested\": {\"k\": "
      "[true, null]}, \"\303\251\": \"\303\274\"}}");
  const std::string expected =
      "# Parameters\nalpha = 0.6\nratio = 0.1\nn = 10\nbig = 18446744073709551615\nneg = -3\n"
      "name = \"run \\\"one\\\"\"\nflag = True\noff = False\nnothing = None\n"
      "items = [1, \"two\", 3.5, [], {}]\n"
      "conf = {\"lr\": 1e-05, \"nested\": {\"k\": [True, None]}, \"\\xe9\": \"\\xfc\"}\n";
  CHECK(render_parameters_source(parameters, "python3", "python") == expected);
}

TEST_CASE("render_parameters_source comments as papermill does", "[params]") {
  const auto one = Parameters::parse(R"({"x": 1})");
  // python3: translate_parameters("pysparkkernel", "other", {"x": 1}, "Injected") and
  // PythonTranslator.codify({"x": 1}, c) for c in ("", "  spaced \t"), codify({}).
  CHECK(render_parameters_source(one, "pysparkkernel", "other", "Injected") ==
        "# Injected\nx = 1\n");
  CHECK(render_parameters_source(one, "python3", "python", "") == "#\nx = 1\n");
  CHECK(render_parameters_source(one, "python3", "python", "  spaced \t") == "#   spaced\nx = 1\n");
  CHECK(render_parameters_source(Parameters::object(), "python3", "python") == "# Parameters\n");
  CHECK(render_parameters_source(Parameters(), "python3", "python") == "# Parameters\n");
}

TEST_CASE("translators are found by kernel name, then language", "[params]") {
  const auto one = Parameters::parse(R"({"x": 1})");
  // Kernel name wins over the language (papermill's find_translator).
  CHECK(render_parameters_source(one, "python", "R") == "# Parameters\nx = 1\n");
  CHECK(render_parameters_source(one, "my-venv-kernel", "python") == "# Parameters\nx = 1\n");
  // Names are matched exactly, as dict keys are.
  CHECK_THROWS_AS(render_parameters_source(one, "python3", "Python"), nbexec::ParameterError);
  CHECK_THROWS_WITH(render_parameters_source(one, "ir-kernel", "cobol"),
                    Catch::Contains("ir-kernel") && Catch::Contains("cobol"));
  CHECK(render_parameters_source(one, "ir", "R") == "# Parameters\nx = 1\n");
  CHECK_THROWS_AS(render_parameters_source(Parameters::array({1}), "python3", "python"),
                  nbexec::ParameterError);
}

TEST_CASE("python_float_repr and unicode_escape helpers", "[params]") {
  using nbexec::params::unicode_escape;
  using nbexec::params::detail::python_float_repr;
  // python3: repr(x) for each x.
  CHECK(python_float_repr(1e-4) == "0.0001");
  CHECK(python_float_repr(9.999999999999999e15) == "1e+16");
  CHECK(python_float_repr(9999999999999998.0) == "9999999999999998.0");
  CHECK(python_float_repr(-1e-5) == "-1e-05");
  CHECK(python_float_repr(1e300) == "1e+300");
  CHECK(unicode_escape("a\"b") == "a\"b");  // the quote is escaped later, by translate_escaped_str
  CHECK(unicode_escape("\x7f") == "\\x7f");
}
