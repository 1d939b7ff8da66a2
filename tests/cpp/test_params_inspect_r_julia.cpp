// R and Julia parameters cells. papermill 2.7 inspects neither: its RTranslator and
// JuliaTranslator raise NotImplementedError, so inspect_notebook logs "Translator for 'R'
// language does not support parameter introspection." and returns {}.
#include "test_params_inspect_support.hpp"

#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/notebook/read.hpp>
#include <nbexec/params/inspect/inspect.hpp>

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

using namespace std::literals;
using nbexec::params::inspect_parameters_source;
using nbexec::params::ParameterInfo;
using nbexec::params::ValueKind;
using json = nlohmann::ordered_json;

namespace {

// papermill's fields, then nbexec's typed ones.
struct Expected : nbexec_test::PapermillFields {
  ValueKind declared;
  ValueKind default_kind;
  bool nullable;
  std::optional<json> value;
};

void check(std::string_view source, std::string_view language,
           const std::vector<Expected>& expected) {
  INFO(language << " source: " << source);
  std::vector<std::string> warnings;
  const auto got = inspect_parameters_source(source, "", language, &warnings);
  for (const auto& w : warnings) INFO("warning: " << w);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    const Expected& e = expected[i];
    INFO("parameter " << e.name);
    nbexec_test::check_papermill_fields(got[i], e);
    CHECK(got[i].declared_kind == e.declared);
    CHECK(got[i].default_kind == e.default_kind);
    CHECK(got[i].nullable == e.nullable);
    REQUIRE(got[i].default_value.has_value() == e.value.has_value());
    if (e.value) CHECK(got[i].default_value->dump() == e.value->dump());
  }
}

constexpr auto U = ValueKind::unknown;

}  // namespace

TEST_CASE("R parameters cells", "[params][inspect]") {
  check(R"R(# Parameters
alpha = 0.5  # the rate
n <- 10L
big <<- 3
name = "it's # not a comment"  # the name
raw = r"(C:\path)"
flag = TRUE
off <- F
none = NULL
missing = NA
values = c(1, 2.5, 3)
labels <- c("a", 'b')
mixed = c(1, "a")
conf = list(a = 1, b = "x", c = list(TRUE, NULL))
empty = list()
nothing = c()
neg = -Inf
hex = 0x10L
f = function(x) x + 1
path <- file.path("a", "b")
"right" -> target
)R",
        "R",
        {
            {"alpha", "None", "0.5", "the rate", U, ValueKind::number, false, json(0.5)},
            {"n", "None", "10L", "", U, ValueKind::integer, false, json(10)},
            {"big", "None", "3", "", U, ValueKind::number, false, json(3)},
            {"name", "None", R"("it's # not a comment")", "the name", U, ValueKind::string, false,
             json("it's # not a comment")},
            {"raw", "None", R"R(r"(C:\path)")R", "", U, ValueKind::string, false, json("C:\\path")},
            {"flag", "None", "TRUE", "", U, ValueKind::boolean, false, json(true)},
            {"off", "None", "F", "", U, ValueKind::boolean, false, json(false)},
            {"none", "None", "NULL", "", U, ValueKind::none, true, json(nullptr)},
            {"missing", "None", "NA", "", U, ValueKind::none, true, json(nullptr)},
            {"values", "None", "c(1, 2.5, 3)", "", U, ValueKind::list, false,
             json::parse("[1, 2.5, 3]")},
            {"labels", "None", R"(c("a", 'b'))", "", U, ValueKind::list, false,
             json::parse(R"(["a", "b"])")},
            {"mixed", "None", R"(c(1, "a"))", "", U, ValueKind::list, false, std::nullopt},
            {"conf", "None", R"(list(a = 1, b = "x", c = list(TRUE, NULL)))", "", U,
             ValueKind::dict, false, json::parse(R"({"a": 1, "b": "x", "c": [true, null]})")},
            {"empty", "None", "list()", "", U, ValueKind::list, false, json::array()},
            {"nothing", "None", "c()", "", U, ValueKind::none, true, json(nullptr)},
            {"neg", "None", "-Inf", "", U, ValueKind::number, false,
             json(-std::numeric_limits<double>::infinity())},
            {"hex", "None", "0x10L", "", U, ValueKind::integer, false, json(16)},
            {"f", "None", "function(x) x + 1", "", U, U, false, std::nullopt},
            {"path", "None", R"(file.path("a", "b"))", "", U, U, false, std::nullopt},
            {"target", "None", R"("right")", "", U, ValueKind::string, false, json("right")},
        });
}

TEST_CASE("R statements over several lines and on one line", "[params][inspect]") {
  check("x <- c(1,\n       2)  # two\ny = 1; z = 'a'  # zed\nlibrary(stats)\nw <-\n  5\n", "R",
        {
            {"x", "None", "c(1,2)", "two", U, ValueKind::list, false, json::parse("[1, 2]")},
            {"y", "None", "1", "", U, ValueKind::number, false, json(1)},
            {"z", "None", "'a'", "zed", U, ValueKind::string, false, json("a")},
            {"w", "None", "5", "", U, ValueKind::number, false, json(5)},
        });
}

TEST_CASE("R assignments that are not parameters", "[params][inspect]") {
  std::vector<std::string> warnings;
  const auto got = inspect_parameters_source(
      "library(stats)\nx[1] <- 2\nnames(y) = 'a'\nz <- 1\nif (TRUE) w = 1\n", "ir", "R", &warnings);
  REQUIRE(got.size() == 1);
  CHECK(got[0].name == "z");
  REQUIRE(warnings.size() == 3);
  CHECK(warnings[0] == "line 2: not a parameter assignment: 'x[1] <- 2'");
  CHECK(warnings[1].starts_with("line 3: "));
  CHECK(warnings[2].starts_with("line 5: "));
}

// Found by fuzz/fuzz_inspect: "_x <- 1" was reported as parameter "_x", which R cannot parse
// (papermill's R translator even drops the underscore when it injects the value).
TEST_CASE("R names do not start with an underscore", "[params][inspect]") {
  std::vector<std::string> warnings;
  const auto got = inspect_parameters_source("_x <- 1\n.y <- 2\nz_ <- 3\n", "ir", "R", &warnings);
  REQUIRE(got.size() == 2);
  CHECK(got[0].name == ".y");
  CHECK(got[1].name == "z_");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].starts_with("line 1: "));
  // Found the same way: the empty quoted name (R: "zero-length variable name").
  warnings.clear();
  CHECK(inspect_parameters_source("`` <- 1\n2 -> ``\n`a b` <- 3\n", "ir", "R", &warnings).size() ==
        1);
  CHECK(warnings.size() == 2);
}

TEST_CASE("R escapes", "[params][inspect]") {
  check(R"(s = "tab\there \u00e9 \x41 \"q\"")", "R",
        {{"s", "None", R"("tab\there \u00e9 \x41 \"q\"")", "", U, ValueKind::string, false,
          json("tab\there \xc3\xa9 A \"q\"")}});
  check(R"(s = "bad \q")", "R",
        {{"s", "None", R"("bad \q")", "", U, ValueKind::string, false, std::nullopt}});
}

// Found by fuzz/fuzz_inspect: a Julia string holding NUL was read, but the "\x00" nbexec's
// Julia translator writes for it was refused, so an injected value did not read back.
TEST_CASE("NUL in strings: Julia takes every spelling, R none", "[params][inspect]") {
  const auto value = [](std::string_view source, std::string_view language) {
    const auto got = inspect_parameters_source(source, "", language);
    REQUIRE(got.size() == 1);
    return got[0].default_value;
  };
  CHECK(value("s = \"a\\x00b\"", "julia") == json("a\0b"s));
  CHECK(value("s = \"a\\0b\"", "julia") == json("a\0b"s));
  CHECK(value("s = \"a\0b\"\n"s, "julia") == json("a\0b"s));
  CHECK_FALSE(value("s = \"a\\x00b\"", "R"));
  CHECK_FALSE(value("s = \"a\\0b\"", "R"));
  CHECK_FALSE(value("s = \"a\0b\"\n"s, "R"));
  CHECK_FALSE(value("s = r\"(a\0b)\"\n"s, "R"));
}

TEST_CASE("Julia parameters cells", "[params][inspect]") {
  check(R"(# Parameters
alpha = 0.5  # the rate
n::Int = 10
name::String = "a # b"  # the name
maybe::Union{Nothing, Float64} = nothing
flag = true
vals::Vector{Int} = [1, 2, 3]
words = ["a", "b"]
conf = Dict("a" => 1, "b" => [true])
typed = Dict{String, Any}("k" => "v")
t = (1, "x")
c = 'c'
r = raw"C:\path"
interp = "x = $alpha"
big = 1_000
h = 0xff
f32 = 1.5f0
neg = -Inf
const limit = 3
m = [1 2; 3 4]
x = rand(3)
)",
        "julia",
        {
            {"alpha", "None", "0.5", "the rate", U, ValueKind::number, false, json(0.5)},
            {"n", "Int", "10", "", ValueKind::integer, ValueKind::integer, false, json(10)},
            {"name", "String", R"("a # b")", "the name", ValueKind::string, ValueKind::string,
             false, json("a # b")},
            {"maybe", "Union{Nothing, Float64}", "nothing", "", ValueKind::number, ValueKind::none,
             true, json(nullptr)},
            {"flag", "None", "true", "", U, ValueKind::boolean, false, json(true)},
            {"vals", "Vector{Int}", "[1, 2, 3]", "", ValueKind::list, ValueKind::list, false,
             json::parse("[1, 2, 3]")},
            {"words", "None", R"(["a", "b"])", "", U, ValueKind::list, false,
             json::parse(R"(["a", "b"])")},
            {"conf", "None", R"(Dict("a" => 1, "b" => [true]))", "", U, ValueKind::dict, false,
             json::parse(R"({"a": 1, "b": [true]})")},
            {"typed", "None", R"(Dict{String, Any}("k" => "v"))", "", U, ValueKind::dict, false,
             json::parse(R"({"k": "v"})")},
            {"t", "None", R"((1, "x"))", "", U, ValueKind::list, false, json::parse(R"([1, "x"])")},
            {"c", "None", "'c'", "", U, ValueKind::string, false, json("c")},
            {"r", "None", R"(raw"C:\path")", "", U, ValueKind::string, false, json("C:\\path")},
            {"interp", "None", R"("x = $alpha")", "", U, ValueKind::string, false, std::nullopt},
            {"big", "None", "1_000", "", U, ValueKind::integer, false, json(1000)},
            {"h", "None", "0xff", "", U, ValueKind::integer, false, json(255)},
            {"f32", "None", "1.5f0", "", U, ValueKind::number, false, json(1.5)},
            {"neg", "None", "-Inf", "", U, ValueKind::number, false,
             json(-std::numeric_limits<double>::infinity())},
            {"limit", "None", "3", "", U, ValueKind::integer, false, json(3)},
            {"m", "None", "[1 2; 3 4]", "", U, ValueKind::list, false, std::nullopt},
            {"x", "None", "rand(3)", "", U, U, false, std::nullopt},
        });
}

TEST_CASE("Julia blocks and functions are not parameters", "[params][inspect]") {
  std::vector<std::string> warnings;
  const auto got = inspect_parameters_source(
      "function f(x)\n  y = 2\n  x + y\nend\ng(x) = 2x\nif true\n  z = 1\nend\n#= a\nblock =#\n"
      "a = [1,\n  2]  # list\nb = x'\n",
      "", "julia", &warnings);
  REQUIRE(got.size() == 2);
  CHECK(got[0].name == "a");
  CHECK(got[0].default_text == "[1,2]");
  CHECK(got[0].help == "list");
  CHECK(got[1].name == "b");
  CHECK(got[1].default_text == "x'");
  CHECK(warnings.empty());
}

TEST_CASE("kernel names and languages choose the grammar as papermill does", "[params][inspect]") {
  const auto first = [](std::string_view kernel, std::string_view language) {
    return inspect_parameters_source("x <- 1", kernel, language).size();
  };
  CHECK(first("ir", "R") == 1);
  CHECK(first("sparkrkernel", "") == 1);
  CHECK(first("ir", "") == 1);  // papermill: no translator for kernel 'ir' or language ''
  CHECK(first("", "r") == 1);
  CHECK(inspect_parameters_source("x = 1", "pysparkkernel", "", nullptr)[0].name == "x");
  CHECK(inspect_parameters_source("x = 1", "python3", "", nullptr).size() == 1);
  CHECK(inspect_parameters_source("x::Int = 1", "julia-1.10", "julia", nullptr).size() == 1);
  CHECK(inspect_parameters_source("x::Int = 1", "julia-1.10", "", nullptr).size() == 1);
  // The kernel name wins over the language, as in papermill's find_translator.
  CHECK(inspect_parameters_source("x <- 1", "sparkrkernel", "python", nullptr).size() == 1);
  CHECK_THROWS_WITH(inspect_parameters_source("val x = 1", "sparkkernel", "scala", nullptr),
                    Catch::Contains("'sparkkernel'") && Catch::Contains("Python, R and Julia"));
  CHECK_THROWS_WITH(inspect_parameters_source("x=1", "bash", "bash", nullptr),
                    Catch::Contains("'bash'"));
  CHECK_THROWS_AS(inspect_parameters_source("x=1", "cpp17", "C++17", nullptr),
                  nbexec::ParameterError);
  CHECK_THROWS_WITH(inspect_parameters_source("x=1", "", "", nullptr),
                    Catch::Contains("no kernel and no language"));
}

TEST_CASE("inspect_notebook_parameters reads the first parameters cell", "[params][inspect]") {
  const auto nb = nbexec::notebook::parse_notebook_text(R"({
    "cells": [
      {"cell_type": "code", "metadata": {}, "source": "a = 0", "outputs": [],
       "execution_count": null},
      {"cell_type": "code", "metadata": {"tags": ["x", "parameters"]},
       "source": ["n <- 3L  # count\n", "s = 'x'"], "outputs": [], "execution_count": null},
      {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "later = 1",
       "outputs": [], "execution_count": null}
    ],
    "metadata": {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"},
                 "language_info": {"name": "R"}},
    "nbformat": 4, "nbformat_minor": 4})");
  const auto found = nbexec::params::inspect_notebook_parameters(nb);
  CHECK(found.has_parameters_cell);
  CHECK(found.language == "R");
  REQUIRE(found.parameters.size() == 2);
  CHECK(found.parameters[0].name == "n");
  CHECK(found.parameters[0].help == "count");
  CHECK(found.parameters[1].name == "s");
  // The overrides win over the notebook's metadata.
  const auto as_python = nbexec::params::inspect_notebook_parameters(nb, "python3", "python");
  CHECK(as_python.language == "python");
  REQUIRE(as_python.parameters.size() == 1);  // `n <- 3L` is no Python assignment
  CHECK(as_python.parameters[0].name == "s");

  const auto none = nbexec::params::inspect_notebook_parameters(
      nbexec::notebook::parse_notebook_text(R"({"cells": [], "metadata": {},
        "nbformat": 4, "nbformat_minor": 4})"));
  CHECK_FALSE(none.has_parameters_cell);
  CHECK(none.parameters.empty());
}
