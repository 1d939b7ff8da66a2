// Python parameters cells: papermill's grammar (PythonTranslator.inspect) without its losses,
// and the typed fields nbexec adds.
#include "test_params_inspect_support.hpp"

#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
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

using Expected = nbexec_test::PapermillFields;

struct Case {
  std::string_view source;
  std::vector<Expected> parameters;
};

std::vector<ParameterInfo> inspect(std::string_view source,
                                   std::vector<std::string>* warnings = nullptr) {
  return inspect_parameters_source(source, "python3", "python", warnings);
}

void check(const Case& c) {
  INFO("source: " << c.source);
  const auto got = inspect(c.source);
  REQUIRE(got.size() == c.parameters.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    nbexec_test::check_papermill_fields(got[i], c.parameters[i]);
  }
}

// Expected values from papermill 2.7: PythonTranslator.inspect({"source": source}).
const std::vector<Case> kPapermillCases = {
    {"msg = None\na: float = 2.25 # Variable a\nb = [\n    'Hello', # First element\n"
     "# Dummy comment\n    'World'\n] # type: List[str] Nice list\n\n# Interesting c variable\n"
     "c: \"NoneType\" = None\n",
     {{"msg", "None", "None", ""},
      {"a", "float", "2.25", "Variable a"},
      {"b", "List[str]", "['Hello','World']", "Nice list"},
      {"c", "NoneType", "None", ""}}},
    {"a: int=1", {{"a", "int", "1", ""}}},
    {"a:int=1 # help", {{"a", "int", "1", "help"}}},
    {"x = 1  #type:int", {{"x", "int", "1", ""}}},
    {"x: Optional[int] = None", {{"x", "Optional[int]", "None", ""}}},
    {"x: 'List[int]' = []", {{"x", "List[int]", "[]", ""}}},
    {"x = {\n  'a': 1,  # c\n  'b': [1,\n        2],\n}  # the dict",
     {{"x", "None", "{'a': 1,'b': [1,2],}", "the dict"}}},
    {"_x = 1", {{"_x", "None", "1", ""}}},
    {"x = -1", {{"x", "None", "-1", ""}}},
    {"x=1", {{"x", "None", "1", ""}}},
    {"x = 1  # help # more", {{"x", "None", "1", "help # more"}}},
    {"x = [1,\n 2] # type: list", {{"x", "list", "[1,2]", ""}}},
    {"x: Dict[str, int] = {}", {{"x", "Dict[str, int]", "{}", ""}}},
    {"x = 1_000", {{"x", "None", "1_000", ""}}},
    {"x = f\"{a}\"  # hi", {{"x", "None", "f\"{a}\"", "hi"}}},
    {"x = 1 # type:", {{"x", "None", "1", ""}}},
    {"x = float('nan')", {{"x", "None", "float('nan')", ""}}},
    {"x = 'a\\nb'", {{"x", "None", "'a\\nb'", ""}}},
    {"x = (1, 2)", {{"x", "None", "(1, 2)", ""}}},
    {"x = None  # nothing", {{"x", "None", "None", "nothing"}}},
    {"n: int = 10  # the count", {{"n", "int", "10", "the count"}}},
    {"x = os.getcwd()", {{"x", "None", "os.getcwd()", ""}}},
    {"x = [i for i in range(3)]", {{"x", "None", "[i for i in range(3)]", ""}}},
    {"x = 'a' 'b'", {{"x", "None", "'a' 'b'", ""}}},
    {"x = (\"a\"\n     \"b\")  # h", {{"x", "None", "(\"a\"\"b\")", "h"}}},
    {"x = 1  # ", {{"x", "None", "1", ""}}},
    {"x = 1\r\ny = 2  # h\r\n", {{"x", "None", "1", ""}, {"y", "None", "2", "h"}}},
    {"x: int = 1 # type: str", {{"x", "int", "1", ""}}},
    {"x = {\"a\": 1}  # type: dict", {{"x", "dict", "{\"a\": 1}", ""}}},
    {"if x: a = 1\ndel x\nprint(\"=\")", {}},
    {"", {}},
    {"# only a comment\n\n", {}},
};

// Cases where papermill 2.7 is wrong; what it returns is in the comment.
const std::vector<Case> kFixedCases = {
    // papermill cuts the default at the '#': ('s', 'None', '"x', 'y"  # the help').
    {"s = \"x # y\"  # the help", {{"s", "None", "\"x # y\"", "the help"}}},
    // papermill: ('x', 'None', "'''a", "b'''").
    {"x = '''a # b'''", {{"x", "None", "'''a # b'''", ""}}},
    // papermill glues a bare annotation to the previous default: ('a', 'None', '1b: int', '').
    {"a = 1\nb: int", {{"a", "None", "1", ""}}},
    // papermill drops every line with more than one '=': [].
    {"s = 'a=b'", {{"s", "None", "'a=b'", ""}}},
    {"t = a == 3", {{"t", "None", "a == 3", ""}}},
    {"f = dict(a=1)  # kwargs", {{"f", "None", "dict(a=1)", "kwargs"}}},
    {"a = 1; b = 2  # two", {{"a", "None", "1", ""}, {"b", "None", "2", "two"}}},
    {"a = b = 1", {{"a", "None", "1", ""}, {"b", "None", "1", ""}}},
    // papermill keeps the semicolon: ('a', 'None', '1;', '').
    {"a = 1;", {{"a", "None", "1", ""}}},
    // papermill glues the next statement to the value: ('a', 'None', '1print(a)', '').
    {"a = 1\nprint(a)\nimport os", {{"a", "None", "1", ""}}},
    // papermill's annotation pattern has no '|' or '.': [].
    {"x: int | None = None", {{"x", "int | None", "None", ""}}},
    {"x: typing.List[int] = []", {{"x", "typing.List[int]", "[]", ""}}},
    // papermill stops the type at the first blank: ('x', 'Dict[str,', '1', 'int] help me').
    {"x = {} # type: Dict[str, int] help me", {{"x", "Dict[str, int]", "{}", "help me"}}},
    // papermill joins the lines of a string: '"""abc' + 'def"""'.
    {"x = \"\"\"abc\ndef\"\"\"", {{"x", "None", "\"\"\"abc\ndef\"\"\"", ""}}},
    // papermill keeps the backslash: "'a' \\'b'".
    {"x = 'a' \\\n    'b'", {{"x", "None", "'a''b'", ""}}},
    // papermill glues words of two lines: '(1 if Trueelse 2)'.
    {"y = (1 if True\n     else 2)", {{"y", "None", "(1 if True else 2)", ""}}},
    // papermill reads a block's body as top level: ('z', 'None', '1', '').
    {"if True:\n    z = 1", {}},
    // papermill takes help only from the last line: ('x', 'None', '[1,2]', '').
    {"x = [  # the list\n  1,\n  2]", {{"x", "None", "[1,2]", "the list"}}},
    // papermill calls 'ignore' a type: ('x', 'ignore', '1', '').
    {"x = 1  # type: ignore", {{"x", "None", "1", ""}}},
    // papermill reads a comparison line without spaces... and drops it; `==` at line start too.
    {"x = {'a': 1 == 1}", {{"x", "None", "{'a': 1 == 1}", ""}}},
    // papermill: ('x', 'None', 'lambda a=1: a', '')? No: two '=' drop it: [].
    {"x = lambda a=1: a", {{"x", "None", "lambda a=1: a", ""}}},
};

}  // namespace

TEST_CASE("python inspect agrees with papermill where papermill is right", "[params][inspect]") {
  for (const auto& c : kPapermillCases) check(c);
}

TEST_CASE("python inspect reads what papermill loses", "[params][inspect]") {
  for (const auto& c : kFixedCases) check(c);
}

TEST_CASE("python inspect warns about lines it cannot read", "[params][inspect]") {
  std::vector<std::string> warnings;
  const auto got = inspect("a = 1\n= 2\nx.y = 3\nb: int\nc = [1,\n", &warnings);
  REQUIRE(got.size() == 1);
  CHECK(got[0].name == "a");
  REQUIRE(warnings.size() == 4);
  CHECK(warnings[0].starts_with("line 2: "));
  CHECK(warnings[1].starts_with("line 3: "));
  CHECK(warnings[2].starts_with("line 4: annotation without a value"));
  CHECK(warnings[3].starts_with("line 5: unclosed bracket"));

  warnings.clear();
  const auto cut = inspect("a = 1\nb = 'open\nc = 2\n", &warnings);
  REQUIRE(cut.size() == 1);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "line 2: unterminated string; the rest of the cell is not read");
}

namespace {

struct Typed {
  std::string_view source;
  ValueKind declared;
  ValueKind default_kind;
  bool nullable;
  std::optional<json> value;
};

}  // namespace

TEST_CASE("python inspect types declarations and literal defaults", "[params][inspect]") {
  const std::vector<Typed> cases = {
      {"x = 1", ValueKind::unknown, ValueKind::integer, false, json(1)},
      {"x = -0x1F", ValueKind::unknown, ValueKind::integer, false, json(-31)},
      {"x = 0o17", ValueKind::unknown, ValueKind::integer, false, json(15)},
      {"x = 0b101", ValueKind::unknown, ValueKind::integer, false, json(5)},
      {"x = 1_000_000", ValueKind::unknown, ValueKind::integer, false, json(1000000)},
      {"x = 99999999999999999999", ValueKind::unknown, ValueKind::integer, false, std::nullopt},
      {"x = -9223372036854775808", ValueKind::unknown, ValueKind::integer, false,
       json(std::numeric_limits<std::int64_t>::min())},
      {"x = 18446744073709551615", ValueKind::unknown, ValueKind::integer, false,
       json(std::uint64_t{18446744073709551615ULL})},
      {"x = 2.5", ValueKind::unknown, ValueKind::number, false, json(2.5)},
      {"x = 1e3", ValueKind::unknown, ValueKind::number, false, json(1000.0)},
      {"x = .5", ValueKind::unknown, ValueKind::number, false, json(0.5)},
      {"x = -1.5e-3", ValueKind::unknown, ValueKind::number, false, json(-0.0015)},
      {"x = 1j", ValueKind::unknown, ValueKind::unknown, false, std::nullopt},
      {"x = 'a\\tb\\x41\\u00e9\\101\\q'", ValueKind::unknown, ValueKind::string, false,
       json("a\tbA\xc3\xa9"
            "A\\q")},
      {"x = r'C:\\dir\\n'", ValueKind::unknown, ValueKind::string, false, json("C:\\dir\\n")},
      {"x = 'a' \"b\" '''c'''", ValueKind::unknown, ValueKind::string, false, json("abc")},
      {"x = f'plain'", ValueKind::unknown, ValueKind::string, false, json("plain")},
      {"x = f'{y}'", ValueKind::unknown, ValueKind::string, false, std::nullopt},
      {"x = '\\ud800'", ValueKind::unknown, ValueKind::string, false, std::nullopt},
      {"x = b'abc'", ValueKind::unknown, ValueKind::unknown, false, std::nullopt},
      {"x = True", ValueKind::unknown, ValueKind::boolean, false, json(true)},
      {"x = None", ValueKind::unknown, ValueKind::none, true, json(nullptr)},
      {"x = [1, 'a', None, [True]]", ValueKind::unknown, ValueKind::list, false,
       json::parse(R"([1, "a", null, [true]])")},
      {"x = (1,)", ValueKind::unknown, ValueKind::list, false, json::parse("[1]")},
      {"x = ()", ValueKind::unknown, ValueKind::list, false, json::array()},
      {"x = (1)", ValueKind::unknown, ValueKind::integer, false, json(1)},
      {"x = {'b': 1, 'a': {'c': [2.5]}, 'b': 3}", ValueKind::unknown, ValueKind::dict, false,
       json::parse(R"({"b": 3, "a": {"c": [2.5]}})")},
      {"x = {1: 'a'}", ValueKind::unknown, ValueKind::dict, false, std::nullopt},
      {"x = {'a': y, 'b': 2, 'a': 1}", ValueKind::unknown, ValueKind::dict, false,
       json::parse(R"({"a": 1, "b": 2})")},
      {"x = {'a': 1, 'a': y}", ValueKind::unknown, ValueKind::dict, false, std::nullopt},
      {"x = {1, 2}", ValueKind::unknown, ValueKind::unknown, false, std::nullopt},
      {"x = [y, 1]", ValueKind::unknown, ValueKind::list, false, std::nullopt},
      {"x = [i for i in range(3)]", ValueKind::unknown, ValueKind::list, false, std::nullopt},
      {"x = {**y}", ValueKind::unknown, ValueKind::dict, false, std::nullopt},
      {"x = [1] * 3", ValueKind::unknown, ValueKind::unknown, false, std::nullopt},
      {"x = 1 + 2", ValueKind::unknown, ValueKind::unknown, false, std::nullopt},
      {"x = os.getcwd()", ValueKind::unknown, ValueKind::unknown, false, std::nullopt},
      {"x = y", ValueKind::unknown, ValueKind::unknown, false, std::nullopt},
      {"x = -True", ValueKind::unknown, ValueKind::unknown, false, std::nullopt},
      {"x: int = 1", ValueKind::integer, ValueKind::integer, false, json(1)},
      {"x: float = 1", ValueKind::number, ValueKind::integer, false, json(1)},
      {"x: str = None", ValueKind::string, ValueKind::none, true, json(nullptr)},
      {"x: bool = True", ValueKind::boolean, ValueKind::boolean, false, json(true)},
      {"x: list = []", ValueKind::list, ValueKind::list, false, json::array()},
      {"x: dict = {}", ValueKind::dict, ValueKind::dict, false, json::object()},
      {"x: List[int] = []", ValueKind::list, ValueKind::list, false, json::array()},
      {"x: typing.Dict[str, int] = {}", ValueKind::dict, ValueKind::dict, false, json::object()},
      {"x: Optional[int] = 3", ValueKind::integer, ValueKind::integer, true, json(3)},
      {"x: typing.Optional[str] = 'a'", ValueKind::string, ValueKind::string, true, json("a")},
      {"x: int | None = 3", ValueKind::integer, ValueKind::integer, true, json(3)},
      {"x: None | str = 'a'", ValueKind::string, ValueKind::string, true, json("a")},
      {"x: Union[int, float] = 1", ValueKind::number, ValueKind::integer, false, json(1)},
      {"x: Union[int, str] = 1", ValueKind::unknown, ValueKind::integer, false, json(1)},
      {"x: Union[str, None] = 'a'", ValueKind::string, ValueKind::string, true, json("a")},
      {"x: 'Optional[int]' = 1", ValueKind::integer, ValueKind::integer, true, json(1)},
      {"x: Optional['int'] = 1", ValueKind::integer, ValueKind::integer, true, json(1)},
      {"x: \"NoneType\" = None", ValueKind::none, ValueKind::none, true, json(nullptr)},
      {"x: Any = 1", ValueKind::unknown, ValueKind::integer, false, json(1)},
      {"x: Literal['a', 'b'] = 'a'", ValueKind::string, ValueKind::string, false, json("a")},
      {"x: Annotated[int, 'meta'] = 1", ValueKind::integer, ValueKind::integer, false, json(1)},
      {"x = 1  # type: float", ValueKind::number, ValueKind::integer, false, json(1)},
      {"x = None  # type: Optional[List[str]]", ValueKind::list, ValueKind::none, true,
       json(nullptr)},
  };
  for (const auto& c : cases) {
    INFO("source: " << c.source);
    const auto got = inspect(c.source);
    REQUIRE(got.size() == 1);
    CHECK(got[0].declared_kind == c.declared);
    CHECK(got[0].default_kind == c.default_kind);
    CHECK(got[0].nullable == c.nullable);
    REQUIRE(got[0].default_value.has_value() == c.value.has_value());
    if (c.value) CHECK(got[0].default_value->dump() == c.value->dump());
  }
}

TEST_CASE("python inspect evaluates non-finite floats", "[params][inspect]") {
  const auto got = inspect(
      "a = float('nan')\nb = float(\"-inf\")\nc = -float('inf')\nd = math.inf\ne = float(2)\n"
      "f = np.nan\n");
  REQUIRE(got.size() == 6);
  CHECK(std::isnan(got[0].default_value->get<double>()));
  CHECK(got[1].default_value->get<double>() == -INFINITY);
  CHECK(got[2].default_value->get<double>() == -INFINITY);
  CHECK(got[3].default_value->get<double>() == INFINITY);
  CHECK(got[4].default_value->get<double>() == 2.0);
  CHECK(std::isnan(got[5].default_value->get<double>()));
  for (const auto& p : got) CHECK(p.default_kind == ValueKind::number);
  CHECK(inspect("x = -0.0")[0].default_value->get<double>() == 0.0);
  CHECK(std::signbit(inspect("x = -0.0")[0].default_value->get<double>()));
}

TEST_CASE("kind() prefers the declaration and ignores a bare None default", "[params][inspect]") {
  CHECK(inspect("x: float = 1")[0].kind() == ValueKind::number);
  CHECK(inspect("x = 1")[0].kind() == ValueKind::integer);
  CHECK(inspect("msg = None")[0].kind() == ValueKind::unknown);
  CHECK(inspect("x: int = None")[0].kind() == ValueKind::integer);
}

TEST_CASE("deeply nested defaults and annotations do not exhaust the stack", "[params][inspect]") {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto got = inspect("x = " + deep);
  REQUIRE(got.size() == 1);
  CHECK(got[0].default_kind == ValueKind::list);
  CHECK_FALSE(got[0].default_value.has_value());
  const std::string shallow = std::string(50, '[') + std::string(50, ']');
  CHECK(inspect("x = " + shallow)[0].default_value.has_value());
  std::string nested_type = "x: ";
  for (int i = 0; i < 50000; ++i) nested_type += "List[";
  nested_type += "int" + std::string(50000, ']') + " = []";
  CHECK(inspect(nested_type)[0].declared_kind == ValueKind::unknown);
  CHECK(inspect_parameters_source("x = " + deep, "ir", "R").size() == 1);
  CHECK(inspect_parameters_source("x = " + deep, "julia", "julia").size() == 1);
  std::string r_deep = "x = ";
  for (int i = 0; i < 50000; ++i) r_deep += "c(";
  r_deep += std::string(50000, ')');
  const auto r = inspect_parameters_source(r_deep, "ir", "R");
  CHECK(r[0].default_kind == ValueKind::list);
  CHECK_FALSE(r[0].default_value.has_value());
}
