// parse_parameters_yaml / load_parameters_file against PyYAML 6 with papermill's
// NoDatesSafeLoader (papermill/iorw.py).
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/params/sources/sources.hpp>
#include <nbexec/params/translate/render.hpp>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

using namespace std::literals;
using nbexec::ParameterError;
using nbexec::params::load_parameters_file;
using nbexec::params::parse_parameters_yaml;
using nbexec::params::render_python_value;

namespace {

struct YamlCase {
  std::string_view yaml;
  std::string_view rendered;
};

// Expected values computed with python3 (PyYAML 6.0.3, papermill 2.7):
//   PythonTranslator.translate(yaml.load(text, Loader=papermill.iorw.NoDatesSafeLoader))
// The rendering pins Python's types: 1 (int), 1.0 (float), "1" (str), True, None, and order.
constexpr YamlCase kYamlCases[] = {
    {"a: 1e3"sv, "{\"a\": \"1e3\"}"sv},
    {"a: 1.0e+3"sv, "{\"a\": 1000.0}"sv},
    {"a: 1.0e3"sv, "{\"a\": \"1.0e3\"}"sv},
    {"a: 1e+3"sv, "{\"a\": \"1e+3\"}"sv},
    {"a: 1.0E-3"sv, "{\"a\": 0.001}"sv},
    {"a: 1.5e+3"sv, "{\"a\": 1500.0}"sv},
    {"a: 0o17"sv, "{\"a\": \"0o17\"}"sv},
    {"a: 0x1F"sv, "{\"a\": 31}"sv},
    {"a: 0x1f_ff"sv, "{\"a\": 8191}"sv},
    {"a: -0x10"sv, "{\"a\": -16}"sv},
    {"a: 0b101"sv, "{\"a\": 5}"sv},
    {"a: -0b11"sv, "{\"a\": -3}"sv},
    {"a: 017"sv, "{\"a\": 15}"sv},
    {"a: -012"sv, "{\"a\": -10}"sv},
    {"a: 0_7"sv, "{\"a\": 7}"sv},
    {"a: 08"sv, "{\"a\": \"08\"}"sv},
    {"a: 09"sv, "{\"a\": \"09\"}"sv},
    {"a: 00"sv, "{\"a\": 0}"sv},
    {"a: 0_"sv, "{\"a\": 0}"sv},
    {"a: +0"sv, "{\"a\": 0}"sv},
    {"a: -0"sv, "{\"a\": 0}"sv},
    {"a: +1"sv, "{\"a\": 1}"sv},
    {"a: 1_000"sv, "{\"a\": 1000}"sv},
    {"a: 1__2"sv, "{\"a\": 12}"sv},
    {"a: 1_"sv, "{\"a\": 1}"sv},
    {"a: _1"sv, "{\"a\": \"_1\"}"sv},
    {"a: 1:30"sv, "{\"a\": 90}"sv},
    {"a: -1:30"sv, "{\"a\": -90}"sv},
    {"a: 190:20:30"sv, "{\"a\": 685230}"sv},
    {"a: 1:5"sv, "{\"a\": 65}"sv},
    {"a: 0:30"sv, "{\"a\": \"0:30\"}"sv},
    {"a: 1:60"sv, "{\"a\": \"1:60\"}"sv},
    {"a: 1:30.5"sv, "{\"a\": 90.5}"sv},
    {"a: 1:3:5."sv, "{\"a\": 3785.0}"sv},
    {"a: 0:30."sv, "{\"a\": 30.0}"sv},
    {"a: .5"sv, "{\"a\": 0.5}"sv},
    {"a: -.5"sv, "{\"a\": \"-.5\"}"sv},
    {"a: 1."sv, "{\"a\": 1.0}"sv},
    {"a: 0."sv, "{\"a\": 0.0}"sv},
    {"a: 1_0.5_"sv, "{\"a\": 10.5}"sv},
    {"a: 1._"sv, "{\"a\": 1.0}"sv},
    {"a: .inf"sv, "{\"a\": float('inf')}"sv},
    {"a: -.Inf"sv, "{\"a\": float('-inf')}"sv},
    {"a: +.INF"sv, "{\"a\": float('inf')}"sv},
    {"a: .NaN"sv, "{\"a\": float('nan')}"sv},
    {"a: .nan"sv, "{\"a\": float('nan')}"sv},
    {"a: -.nan"sv, "{\"a\": \"-.nan\"}"sv},
    {"a: .Nan"sv, "{\"a\": \".Nan\"}"sv},
    {"a: 3.14159265358979"sv, "{\"a\": 3.14159265358979}"sv},
    {"a: 1.0e+400"sv, "{\"a\": float('inf')}"sv},
    {"a: 0.1"sv, "{\"a\": 0.1}"sv},
    {"a: 100.0"sv, "{\"a\": 100.0}"sv},
    {"a: 1.0e+16"sv, "{\"a\": 1e+16}"sv},
    {"a: 1.0e-05"sv, "{\"a\": 1e-05}"sv},
    {"a: -0.0"sv, "{\"a\": -0.0}"sv},
    {"a: y"sv, "{\"a\": \"y\"}"sv},
    {"a: n"sv, "{\"a\": \"n\"}"sv},
    {"a: Y"sv, "{\"a\": \"Y\"}"sv},
    {"a: yes"sv, "{\"a\": True}"sv},
    {"a: Yes"sv, "{\"a\": True}"sv},
    {"a: YES"sv, "{\"a\": True}"sv},
    {"a: No"sv, "{\"a\": False}"sv},
    {"a: On"sv, "{\"a\": True}"sv},
    {"a: ON"sv, "{\"a\": True}"sv},
    {"a: off"sv, "{\"a\": False}"sv},
    {"a: oFF"sv, "{\"a\": \"oFF\"}"sv},
    {"a: TRUE"sv, "{\"a\": True}"sv},
    {"a: tRue"sv, "{\"a\": \"tRue\"}"sv},
    {"a: True"sv, "{\"a\": True}"sv},
    {"a: FALSE"sv, "{\"a\": False}"sv},
    {"a: ~"sv, "{\"a\": None}"sv},
    {"a:"sv, "{\"a\": None}"sv},
    {"a: null"sv, "{\"a\": None}"sv},
    {"a: Null"sv, "{\"a\": None}"sv},
    {"a: NULL"sv, "{\"a\": None}"sv},
    {"a: nULL"sv, "{\"a\": \"nULL\"}"sv},
    {"a: None"sv, "{\"a\": \"None\"}"sv},
    {"a: 2020-01-01"sv, "{\"a\": \"2020-01-01\"}"sv},
    {"a: 2020-01-01 10:00:00"sv, "{\"a\": \"2020-01-01 10:00:00\"}"sv},
    {"a: 2001-12-14t21:59:43.10-05:00"sv, "{\"a\": \"2001-12-14t21:59:43.10-05:00\"}"sv},
    {"a: '123'"sv, "{\"a\": \"123\"}"sv},
    {"a: \"true\""sv, "{\"a\": \"true\"}"sv},
    {"a: '~'"sv, "{\"a\": \"~\"}"sv},
    {"a: ''"sv, "{\"a\": \"\"}"sv},
    {"a: \"\\u00e9\\t\\x41\""sv, "{\"a\": \"\\xe9\\tA\"}"sv},
    {"a: 'it''s'"sv, "{\"a\": \"it's\"}"sv},
    {"a: |\n  12\n"sv, "{\"a\": \"12\\n\"}"sv},
    {"a: >\n  folded\n  text\n"sv, "{\"a\": \"folded text\\n\"}"sv},
    {"a: x\n  y"sv, "{\"a\": \"x y\"}"sv},
    {"a: !!str 123"sv, "{\"a\": \"123\"}"sv},
    {"a: !!str"sv, "{\"a\": \"\"}"sv},
    {"a: !!str ~"sv, "{\"a\": \"~\"}"sv},
    {"a: !!int '12'"sv, "{\"a\": 12}"sv},
    {"a: !!int 0x10"sv, "{\"a\": 16}"sv},
    {"a: !!int 1:30"sv, "{\"a\": 90}"sv},
    {"a: !!float 1"sv, "{\"a\": 1.0}"sv},
    {"a: !!float .5"sv, "{\"a\": 0.5}"sv},
    {"a: !!float 1e3"sv, "{\"a\": 1000.0}"sv},
    {"a: !!bool yes"sv, "{\"a\": True}"sv},
    {"a: !!null ''"sv, "{\"a\": None}"sv},
    {"a: !!null x"sv, "{\"a\": None}"sv},
    {"a: !!map {b: 1}"sv, "{\"a\": {\"b\": 1}}"sv},
    {"a: !!seq [1]"sv, "{\"a\": [1]}"sv},
    {"1: a"sv, "{\"1\": \"a\"}"sv},
    {"true: x"sv, "{\"True\": \"x\"}"sv},
    {"~: y"sv, "{\"None\": \"y\"}"sv},
    {"1.5: z"sv, "{\"1.5\": \"z\"}"sv},
    {"!!str 1: a"sv, "{\"1\": \"a\"}"sv},
    {"=: 1"sv, "{\"=\": 1}"sv},
    {"'<<': 1"sv, "{\"<<\": 1}"sv},
    {"a: [1, b, {c: d}]"sv, "{\"a\": [1, \"b\", {\"c\": \"d\"}]}"sv},
    {"a: [yes, No, ~]"sv, "{\"a\": [True, False, None]}"sv},
    {"a: { }"sv, "{\"a\": {}}"sv},
    {"a: []"sv, "{\"a\": []}"sv},
    {"b: 1\na: 2\nb: 3"sv, "{\"b\": 3, \"a\": 2}"sv},
    {"a: &x {b: 1, c: 2}\nd:\n  <<: *x\n  c: 3"sv,
     "{\"a\": {\"b\": 1, \"c\": 2}, \"d\": {\"b\": 1, \"c\": 3}}"sv},
    {"a: &x {b: 1}\nb: &y {b: 2, c: 5}\nd:\n  <<: [*x, *y]\n"sv,
     "{\"a\": {\"b\": 1}, \"b\": {\"b\": 2, \"c\": 5}, \"d\": {\"b\": 1, \"c\": 5}}"sv},
    {"a: {<<: {b: 1}, b: 2}"sv, "{\"a\": {\"b\": 2}}"sv},
    // An own key overriding a merged one changes the merging mapping only: the anchored one
    // stays as written for every later alias of it.
    {"a: &x {b: 1, c: 2}\nd: {<<: *x, c: 3}\ne: *x\nf: {<<: *x}"sv,
     "{\"a\": {\"b\": 1, \"c\": 2}, \"d\": {\"b\": 1, \"c\": 3}, \"e\": {\"b\": 1, \"c\": 2}, "
     "\"f\": {\"b\": 1, \"c\": 2}}"sv},
    {"base: &b {x: 1, y: 2}\nmid: &m\n  <<: *b\n  z: 3\ntop:\n  <<: *m\n  x: 9"sv,
     "{\"base\": {\"x\": 1, \"y\": 2}, \"mid\": {\"x\": 1, \"y\": 2, \"z\": 3}, \"top\": {\"x\": 9, \"y\": 2, \"z\": 3}}"sv},
    {"a: &anchor [1, 2]\nb: *anchor"sv, "{\"a\": [1, 2], \"b\": [1, 2]}"sv},
    {"\357\273\277a: 1"sv, "{\"a\": 1}"sv},
    {"a: 1 # comment\n# only comment\nb: 'x' # c"sv, "{\"a\": 1, \"b\": \"x\"}"sv},
    {"---\na: 1\n...\n"sv, "{\"a\": 1}"sv},
    {"%YAML 1.1\n---\na: 1"sv, "{\"a\": 1}"sv},
    {"a: 9223372036854775807"sv, "{\"a\": 9223372036854775807}"sv},
    {"a: -9223372036854775808"sv, "{\"a\": -9223372036854775808}"sv},
    {"a: 18446744073709551615"sv, "{\"a\": 18446744073709551615}"sv},
    {"nested:\n  list:\n    - 1\n    - two\n    - 3.0\n  map: {k: v}\nflag: off"sv,
     "{\"nested\": {\"list\": [1, \"two\", 3.0], \"map\": {\"k\": \"v\"}}, \"flag\": False}"sv},
    {"s: caf\303\251 \360\237\230\200\nt: \"tab\\there\""sv,
     "{\"s\": \"caf\\xe9 \\U0001f600\", \"t\": \"tab\\there\"}"sv},
    // The non-specific tag "!" resolves like a plain scalar, quoted or not; Python's `$` lets a
    // block scalar's final newline through ("7\n" is the int 7).
    {"a: ! 21"sv, "{\"a\": 21}"sv},
    {"a: ! '21'"sv, "{\"a\": 21}"sv},
    {"a: !"sv, "{\"a\": None}"sv},
    {"a: !\nb: ! yes"sv, "{\"a\": None, \"b\": True}"sv},
    {"a: &x ! 21\nb: *x"sv, "{\"a\": 21, \"b\": 21}"sv},
    {"\357\273\277a: ! 21\nb: '3'"sv, "{\"a\": 21, \"b\": \"3\"}"sv},
    {"a: ! >\n  7\n"sv, "{\"a\": 7}"sv},
};

std::string error_of(std::string_view yaml, const std::string& origin = "params.yaml") {
  try {
    parse_parameters_yaml(yaml, origin);
  } catch (const ParameterError& error) {
    return error.what();
  }
  return "(no error)";
}

// A scratch directory removed at the end of the test.
struct TempDir {
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("nbexec-params-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path write(const std::string& name, std::string_view content) const {
    const auto file = path / name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }
  std::filesystem::path path;
  static inline int counter = 0;
};

}  // namespace

TEST_CASE("parse_parameters_yaml types scalars as PyYAML's NoDatesSafeLoader", "[params]") {
  for (const auto& c : kYamlCases) {
    INFO("yaml: " << c.yaml);
    CHECK(render_python_value(parse_parameters_yaml(c.yaml, "test")) == c.rendered);
  }
}

TEST_CASE("parse_parameters_yaml gives JSON types and keeps key order", "[params]") {
  const auto p = parse_parameters_yaml("zeta: 1\nalpha: 2.5\nmid: [x, {k: ~}]\nflag: yes\n", "t");
  REQUIRE(p.is_object());
  CHECK(p.dump() == R"({"zeta":1,"alpha":2.5,"mid":["x",{"k":null}],"flag":true})");
  CHECK(p["zeta"].is_number_integer());
  CHECK(p["alpha"].is_number_float());
  const auto nan = parse_parameters_yaml("a: .nan\nb: -.inf", "t");
  CHECK(std::isnan(nan["a"].get<double>()));
  CHECK(nan["b"].get<double>() == -INFINITY);
  CHECK(parse_parameters_yaml("a: 18446744073709551615", "t")["a"].is_number_unsigned());
  // JSON is YAML: a -f file may be JSON.
  CHECK(parse_parameters_yaml(R"({"foo": 54321, "s": "x", "l": [1.5, true]})", "t").dump() ==
        R"({"foo":54321,"s":"x","l":[1.5,true]})");
}

TEST_CASE("an empty YAML document is no parameters", "[params]") {
  for (const auto text : {""sv, "# only a comment\n"sv, "---\n"sv, "~"sv, "null"sv, "\n\n"sv}) {
    INFO("yaml: " << text);
    const auto p = parse_parameters_yaml(text, "t");
    CHECK(p.is_object());
    CHECK(p.empty());
  }
}

TEST_CASE("YAML that is not a mapping is refused", "[params]") {
  CHECK_THROWS_WITH(parse_parameters_yaml("- 1\n- 2\n", "-y #1"), Catch::Contains("-y #1") &&
                                                                      Catch::Contains("mapping") &&
                                                                      Catch::Contains("list"));
  CHECK_THROWS_WITH(parse_parameters_yaml("just text", "t"), Catch::Contains("scalar"));
  // papermill's `yaml.load(...) or {}` would quietly drop these falsy documents; nbexec reports
  // them, since they cannot be what the user meant.
  CHECK_THROWS_AS(parse_parameters_yaml("0", "t"), ParameterError);
  CHECK_THROWS_AS(parse_parameters_yaml("false", "t"), ParameterError);
  CHECK_THROWS_AS(parse_parameters_yaml("[]", "t"), ParameterError);
}

TEST_CASE("parse_yaml_value reads any top level with the parameters' typing and checks",
          "[params]") {
  using nbexec::params::parse_yaml_value;
  CHECK(parse_yaml_value("- {a: yes}\n- 010\n", "t").dump() == R"([{"a":true},8])");
  CHECK(parse_yaml_value("0x1F", "t") == 31);
  CHECK(parse_yaml_value("", "t").is_null());
  CHECK(parse_yaml_value("# only a comment\n", "t").is_null());
  CHECK_THROWS_WITH(parse_yaml_value("- 1\n---\n- 2\n", "g.yaml"),
                    Catch::Contains("g.yaml: line 3") && Catch::Contains("single YAML document"));
  CHECK_THROWS_WITH(parse_yaml_value("- !!binary aGk=\n", "g.yaml"),
                    Catch::Contains("unsupported YAML tag"));
  CHECK_THROWS_WITH(parse_yaml_value("- [1, 2\n", "g.yaml"), Catch::Contains("g.yaml: line"));
}

TEST_CASE("malformed YAML names the origin and the line", "[params]") {
  CHECK_THROWS_WITH(parse_parameters_yaml("a: b: c", "params.yaml"),
                    Catch::StartsWith("params.yaml: line 1, column 5: invalid YAML"));
  CHECK_THROWS_WITH(parse_parameters_yaml("a: 1\nb: [1, 2\nc: 3", "params.yaml"),
                    Catch::Contains("params.yaml: line 3"));
  CHECK_THROWS_WITH(parse_parameters_yaml("x: 1\ny:\n  - a\n - b", "f.yml"),
                    Catch::Contains("f.yml: line 4"));
  CHECK_THROWS_WITH(parse_parameters_yaml("a: 1\n\tb: 2", "f.yml"), Catch::Contains("line 2"));
  CHECK_THROWS_WITH(parse_parameters_yaml("a: 1\n---\nb: 2", "f.yml"),
                    Catch::Contains("line 3") && Catch::Contains("single YAML document"));
}

TEST_CASE("characters PyYAML's reader refuses are refused with their place", "[params]") {
  CHECK(error_of("a: 1\nb: x\001y") ==
        "params.yaml: line 2, column 5: character U+0001 is not allowed in YAML (control "
        "characters must be escaped in a double-quoted string)");
  CHECK_THROWS_WITH(parse_parameters_yaml("a: \xff", "t"),
                    Catch::Contains("line 1, column 4") && Catch::Contains("UTF-8"));
  CHECK_THROWS_AS(parse_parameters_yaml("a: \x7f", "t"), ParameterError);
  CHECK_THROWS_AS(parse_parameters_yaml("a: \xc2\x80", "t"), ParameterError);  // U+0080
  CHECK_THROWS_AS(parse_parameters_yaml("a: b\0c"sv, "t"), ParameterError);
  // ... while what PyYAML accepts passes: U+0085, U+00A0, a BOM, astral characters.
  CHECK(parse_parameters_yaml("a: \"x\xc2\x85\xc2\xa0\xf0\x9f\x98\x80\"", "t")["a"] ==
        "x\xc2\x85\xc2\xa0\xf0\x9f\x98\x80");
}

TEST_CASE("values PyYAML's constructor rejects are refused", "[params]") {
  // PyYAML: ConstructorError, ValueError, KeyError or IndexError for each of these.
  CHECK_THROWS_WITH(parse_parameters_yaml("a: !foo bar", "t"),
                    Catch::Contains("line 1, column 4") && Catch::Contains("'!foo'"));
  CHECK_THROWS_WITH(parse_parameters_yaml("[1, 2]: x", "t"), Catch::Contains("unhashable key"));
  CHECK_THROWS_WITH(parse_parameters_yaml("a: =", "t"), Catch::Contains("'='"));
  CHECK_THROWS_WITH(parse_parameters_yaml("a: <<", "t"), Catch::Contains("merge"));
  CHECK_THROWS_WITH(parse_parameters_yaml("a: 0x_", "t"), Catch::Contains("!!int"));
  CHECK_THROWS_AS(parse_parameters_yaml("a: 0b_", "t"), ParameterError);
  CHECK_THROWS_AS(parse_parameters_yaml("a: !!int abc", "t"), ParameterError);
  CHECK_THROWS_AS(parse_parameters_yaml("a: !!int 1e3", "t"), ParameterError);
  CHECK_THROWS_AS(parse_parameters_yaml("a: !!int", "t"), ParameterError);
  CHECK_THROWS_AS(parse_parameters_yaml("a: !!float abc", "t"), ParameterError);
  CHECK_THROWS_AS(parse_parameters_yaml("a: !!float", "t"), ParameterError);
  CHECK_THROWS_AS(parse_parameters_yaml("a: !!bool maybe", "t"), ParameterError);
  CHECK_THROWS_WITH(parse_parameters_yaml("<<: 1", "t"), Catch::Contains("for merging"));
  CHECK_THROWS_WITH(parse_parameters_yaml("<<: [1]", "t"), Catch::Contains("for merging"));
}

TEST_CASE("YAML values Python could hold but nbexec cannot are refused", "[params]") {
  // PyYAML builds bytes, datetime.date, set and an ordered pair list for these tags; none of
  // them is a value papermill can render sensibly.
  for (const auto text : {"a: !!binary aGVsbG8="sv, "a: !!timestamp 2020-01-01"sv, "a: !!set {b}"sv,
                          "a: !!omap [b: 1]"sv, "a: !!pairs [b: 1]"sv}) {
    INFO("yaml: " << text);
    CHECK_THROWS_WITH(parse_parameters_yaml(text, "t"), Catch::Contains("unsupported YAML tag"));
  }
  // Integers beyond 64 bits: Python ints, but nbexec keeps JSON's 64-bit integers.
  CHECK_THROWS_WITH(parse_parameters_yaml("a: 1\nb: 18446744073709551616", "f.yaml"),
                    Catch::Contains("f.yaml: line 2") && Catch::Contains("64 bits"));
  CHECK_THROWS_AS(parse_parameters_yaml("a: -9223372036854775809", "t"), ParameterError);
  CHECK_THROWS_AS(parse_parameters_yaml("a: 0x1_0000_0000_0000_0000", "t"), ParameterError);
  CHECK_THROWS_AS(parse_parameters_yaml("a: 100000:0:0:0:0:0:0:0:0:0", "t"), ParameterError);
}

TEST_CASE("hostile YAML is bounded", "[params]") {
  const std::string deep = "a: " + std::string(400, '[') + std::string(400, ']');
  CHECK_THROWS_AS(parse_parameters_yaml(deep, "t"), ParameterError);
  // Nine levels of ten aliases each expand to 10^9 values.
  std::string bomb = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    const std::string prev = "*l" + std::to_string(i - 1);
    bomb += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) bomb += (k ? ", " : "") + prev;
    bomb += "]\n";
  }
  // Sized before anything is built: l5 is the first list past a million values (1,111,111),
  // and the error names it rather than a place inside its expansion.
  CHECK_THROWS_WITH(parse_parameters_yaml(bomb, "t"),
                    Catch::StartsWith("t: line 6, column 5: the document expands to more than a "
                                      "million values"));
  // Below the bound, aliases expand in full: 5 x 11,111 values.
  std::string shared = bomb.substr(0, bomb.find("l5:"));
  shared += "all: [*l3, *l3, *l3, *l3, *l3]\n";
  const auto expanded = parse_parameters_yaml(shared, "t");
  REQUIRE(expanded["all"].size() == 5);
  CHECK(expanded["all"][4][9][9][9][9] == "x");
  // A mapping merged through many aliases counts its entries once per place it lands.
  std::string merges = "base: &b {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7}\n";
  merges += "list: &m [";
  for (int i = 0; i < 1000; ++i) merges += (i ? ", " : "") + std::string("{<<: *b}");
  merges +=
      "]\nmore: [*m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, "
      "*m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, "
      "*m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m, *m]\n";
  // 60 x 1,000 mappings x (1 + 8 keys + 8 values) = 1,020,000 values.
  CHECK_THROWS_WITH(parse_parameters_yaml(merges, "t"),
                    Catch::StartsWith("t: line 3, column 7: the document expands"));
}

// Found by fuzz/fuzz_parameters: yaml-cpp 0.7's LoadAll never returned (allocating an empty
// document per turn) on a token its parser cannot consume.
TEST_CASE("YAML that stalls yaml-cpp's parser is a syntax error, at once", "[params]") {
  for (const auto text : {","sv, "\n,\n"sv, ",):\n2)\n"sv, "a: 1\n,"sv, "- a\n,"sv}) {
    INFO(text);
    CHECK_THROWS_AS(parse_parameters_yaml(text, "f.yml"), ParameterError);
  }
  CHECK_THROWS_WITH(parse_parameters_yaml(",", "f.yml"),
                    Catch::StartsWith("f.yml: line 1, column 1: invalid YAML: found a character "
                                      "that cannot start any token"));
  CHECK_THROWS_WITH(parse_parameters_yaml("a: 1\n---\nb: 2\n---\n,", "f.yml"),
                    Catch::Contains("line 3") && Catch::Contains("single YAML document"));
}

TEST_CASE("load_parameters_file reads YAML and JSON files", "[params]") {
  TempDir dir;
  const auto yaml = dir.write("p.yaml", "\xef\xbb\xbfname: run\nsize: 3\nwhen: 2024-05-01\n");
  CHECK(load_parameters_file(yaml).dump() == R"({"name":"run","size":3,"when":"2024-05-01"})");
  const auto json = dir.write("p.json", R"({"foo": 54321})");
  CHECK(load_parameters_file(json).dump() == R"({"foo":54321})");
  const auto empty = dir.write("empty.yaml", "");
  CHECK(load_parameters_file(empty).empty());
  const auto bad = dir.write("bad.yaml", "ok: 1\nbad: [\n");
  CHECK_THROWS_WITH(load_parameters_file(bad), Catch::Contains(bad.string() + ": line"));
}

TEST_CASE("load_parameters_file names a file it cannot read", "[params]") {
  TempDir dir;
  const auto missing = dir.path / "missing.yaml";
  CHECK_THROWS_WITH(load_parameters_file(missing),
                    Catch::Contains(missing.string()) && Catch::Contains("No such file"));
  CHECK_THROWS_WITH(load_parameters_file(dir.path), Catch::Contains("directory"));
}

TEST_CASE("the papermill corpus parameter files load as PyYAML loads them", "[params]") {
  const std::filesystem::path corpus = std::filesystem::path(NBEXEC_SOURCE_DIR) / ".." / "shared" /
                                       "corpus" / "papermill" / "parameters";
  if (!std::filesystem::exists(corpus / "example.yaml")) {
    WARN("papermill corpus not found at " << corpus.string() << "; skipped");
    return;
  }
  // python3: papermill.iorw.read_yaml_file('example.yaml') ==
  //   {'foo': 12345, 'bar': 'value', 'baz': {'k1': 'v1', 'k2': 'v2'}, 'a_date': '2019-01-01'}
  const auto yaml = load_parameters_file(corpus / "example.yaml");
  CHECK(yaml.dump() ==
        R"({"foo":12345,"bar":"value","baz":{"k1":"v1","k2":"v2"},"a_date":"2019-01-01"})");
  CHECK(
      render_python_value(yaml) ==
      R"({"foo": 12345, "bar": "value", "baz": {"k1": "v1", "k2": "v2"}, "a_date": "2019-01-01"})");
  // python3: read_yaml_file('example.json') == {'foo': 54321}
  if (std::filesystem::exists(corpus / "example.json")) {
    CHECK(load_parameters_file(corpus / "example.json").dump() == R"({"foo":54321})");
  }
}
