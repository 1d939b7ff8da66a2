// infer_value against papermill's _resolve_type (papermill/cli.py).
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/params/sources/sources.hpp>
#include <nbexec/params/translate/render.hpp>

#include <cmath>
#include <string>
#include <string_view>

using namespace std::literals;
using nbexec::params::infer_value;
using nbexec::params::render_python_value;

namespace {

struct InferCase {
  std::string_view text;
  std::string_view rendered;
};

// Expected values computed with python3 (papermill 2.7):
//   PythonTranslator.translate(papermill.cli._resolve_type(text))
// Rendering shows the Python type: 5 (int), 5.0 (float), "5" (str), True, None.
constexpr InferCase kInferCases[] = {
    {"True"sv, "True"sv},
    {"False"sv, "False"sv},
    {"None"sv, "None"sv},
    {"true"sv, "\"true\""sv},
    {"none"sv, "\"none\""sv},
    {" True"sv, "\" True\""sv},
    {"5"sv, "5"sv},
    {" 5 "sv, "5"sv},
    {"-5"sv, "-5"sv},
    {"+5"sv, "5"sv},
    {"- 5"sv, "\"- 5\""sv},
    {"007"sv, "7"sv},
    {"1_000"sv, "1000"sv},
    {"1__0"sv, "\"1__0\""sv},
    {"_1"sv, "\"_1\""sv},
    {"1_"sv, "\"1_\""sv},
    {"0x10"sv, "\"0x10\""sv},
    {"9223372036854775807"sv, "9223372036854775807"sv},
    {"-9223372036854775808"sv, "-9223372036854775808"sv},
    {"18446744073709551615"sv, "18446744073709551615"sv},
    {"1e3"sv, "1000.0"sv},
    {"1E-3"sv, "0.001"sv},
    {".5"sv, "0.5"sv},
    {"5."sv, "5.0"sv},
    {"-.5"sv, "-0.5"sv},
    {"1.5"sv, "1.5"sv},
    {"1_0.5"sv, "10.5"sv},
    {"1_.5"sv, "\"1_.5\""sv},
    {"1e1_0"sv, "10000000000.0"sv},
    {"nan"sv, "float('nan')"sv},
    {"NaN"sv, "float('nan')"sv},
    {"-nan"sv, "float('nan')"sv},
    {"inf"sv, "float('inf')"sv},
    {"-inf"sv, "float('-inf')"sv},
    {"+Infinity"sv, "float('inf')"sv},
    {"INFINITY"sv, "float('inf')"sv},
    {"infinit"sv, "\"infinit\""sv},
    {"1e"sv, "\"1e\""sv},
    {"e5"sv, "\"e5\""sv},
    {"1.e3"sv, "1000.0"sv},
    {" \t1.5\n"sv, "1.5"sv},
    {"\343\200\2005\343\200\200"sv, "5"sv},  // ideographic spaces around 5
    {"\331\243"sv, "3"sv},                   // ARABIC-INDIC DIGIT THREE
    {"\331\241.\331\245"sv, "1.5"sv},
    {"\331\243_\331\243"sv, "33"sv},
    {"\0345"sv, "\"\\x1c5\""sv},  // \x1c is isspace() but int() does not strip it
    {"\302\2055"sv, "5"sv},       // U+0085 is stripped
    {"abc"sv, "\"abc\""sv},
    {""sv, "\"\""sv},
    {"  "sv, "\"  \""sv},
    {"1.0e+400"sv, "float('inf')"sv},
    {"-1e-400"sv, "-0.0"sv},
    {"0.1"sv, "0.1"sv},
    {"1e16"sv, "1e+16"sv},
    {"1e15"sv, "1000000000000000.0"sv},
    {"12abc"sv, "\"12abc\""sv},
    {"3.14159"sv, "3.14159"sv},
    {"1/2"sv, "\"1/2\""sv},
    {"0b101"sv, "\"0b101\""sv},
    {"\331\243x"sv, "\"\\u0663x\""sv},
};

}  // namespace

TEST_CASE("infer_value follows papermill's _resolve_type", "[params]") {
  for (const auto& c : kInferCases) {
    INFO("text: " << c.text);
    CHECK(render_python_value(infer_value(c.text)) == c.rendered);
  }
}

TEST_CASE("infer_value produces JSON types a caller can test", "[params]") {
  CHECK(infer_value("True") == true);
  CHECK(infer_value("None").is_null());
  CHECK(infer_value("42").is_number_integer());
  CHECK(infer_value("42") == 42);
  CHECK(infer_value("-42").get<long long>() == -42);
  CHECK(infer_value("18446744073709551615").is_number_unsigned());
  CHECK(infer_value("4.0").is_number_float());
  CHECK(infer_value("4.0").get<double>() == 4.0);
  CHECK(std::isnan(infer_value("nan").get<double>()));
  CHECK(infer_value("-inf").get<double>() == -INFINITY);
  CHECK(infer_value("hello") == "hello");
}

TEST_CASE("infer_value past CPython's 4300-digit int limit falls through to float", "[params]") {
  // python3: _resolve_type('0'*5000 + '1') == 1.0 and _resolve_type('1'*4301) == inf, because
  // int() refuses more than 4300 digits and float() accepts them.
  CHECK(render_python_value(infer_value(std::string(5000, '0') + "1")) == "1.0");
  CHECK(render_python_value(infer_value(std::string(4301, '1'))) == "float('inf')");
}

TEST_CASE("infer_value refuses an integer beyond 64 bits", "[params]") {
  // Python would keep 2**64 as an int; nbexec has no big integers and says so.
  CHECK_THROWS_AS(infer_value("18446744073709551616"), nbexec::ParameterError);
  CHECK_THROWS_AS(infer_value("-9223372036854775809"), nbexec::ParameterError);
  CHECK_THROWS_WITH(infer_value(std::string(300, '9')), Catch::Contains("-r"));
}
