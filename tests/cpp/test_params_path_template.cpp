// Path templating against Python's str.format: the expected strings were produced by
// CPython 3.11 with "TEMPLATE".format(**parameters) for the parameters below.
#include <nbexec/error.hpp>
#include <nbexec/params/path/path_template.hpp>

#include <catch2/catch.hpp>

#include <limits>
#include <regex>
#include <string>
#include <utility>
#include <vector>

using nbexec::params::parameterize_path;
using nbexec::params::Parameters;

namespace {

Parameters sample_parameters() {
  Parameters p = Parameters::parse(
      R"json({"alpha": 0.5, "n": 42, "neg": -7, "big": 12345678, "name": "Ada Lovelace", "flag": true, "none": null, "items": [1, "two", 3.5], "conf": {"lr": 0.01, "name": "x'y"}, "u": "héllo", "zero": -0.0, "f": 1234.5678, "inf": null})json");
  p["inf"] = std::numeric_limits<double>::infinity();
  p["zero"] = -0.0;
  return p;
}

nbexec::params::BuiltinParameters fixed_builtins() {
  // 2026-11-29 13:45:43.595765 UTC
  return {"0b7c6e1e-3f8a-4e0e-9a51-2b1de2a0c1f4",
          std::chrono::system_clock::time_point(std::chrono::microseconds(1795959943595765LL))};
}

}  // namespace

TEST_CASE("paths are filled in as Python's str.format fills them", "[params][path]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"out-{alpha}.ipynb", "out-0.5.ipynb"},
      {"{n:05d}", "00042"},
      {"{n:>6}|", "    42|"},
      {"{n:<6}|", "42    |"},
      {"{n:^7}|", "  42   |"},
      {"{neg:=+8}", "-      7"},
      {"{neg:08}", "-0000007"},
      {"{big:,}", "12,345,678"},
      {"{big:_}", "12_345_678"},
      {"{n:#x}", "0x2a"},
      {"{n:#o}", "0o52"},
      {"{n:b}", "101010"},
      {"{n:X}", "2A"},
      {"{n:e}", "4.200000e+01"},
      {"{n:.2f}", "42.00"},
      {"{n:%}", "4200.000000%"},
      {"{alpha:.1%}", "50.0%"},
      {"{alpha:e}", "5.000000e-01"},
      {"{alpha:10.3f}|", "     0.500|"},
      {"{f:.3}", "1.23e+03"},
      {"{f:.6}", "1234.57"},
      {"{f:g}", "1234.57"},
      {"{f:,.2f}", "1,234.57"},
      {"{f:E}", "1.234568E+03"},
      {"{inf:f}", "inf"},
      {"{inf:F}", "INF"},
      {"{zero}", "-0.0"},
      {"{zero:z.1f}", "0.0"},
      {"{zero:.1f}", "-0.0"},
      {"{name}", "Ada Lovelace"},
      {"{name!r}", "'Ada Lovelace'"},
      {"{name!a}", "'Ada Lovelace'"},
      {"{u!a}", "'h\\xe9llo'"},
      {"{u:*^9}", "**héllo**"},
      {"{name:.3}", "Ada"},
      {"{name:>15}|", "   Ada Lovelace|"},
      {"{flag}", "True"},
      {"{flag:>5}", "    1"},
      {"{flag!r}", "True"},
      {"{none}", "None"},
      {"{none!r}", "None"},
      {"{items}", "[1, 'two', 3.5]"},
      {"{items[1]}", "two"},
      {"{items[2]:.2f}", "3.50"},
      {"{conf}", "{'lr': 0.01, 'name': \"x'y\"}"},
      {"{conf[lr]}", "0.01"},
      {"{conf[name]!r}", "\"x'y\""},
      {"{name[0]}", "A"},
      {"{u[1]}", "é"},
      {"{{literal}}-{n}", "{literal}-42"},
      {"a}}b", "a}b"},
      {"{n:{n}}|", "                                        42|"},
      {"{items!s}", "[1, 'two', 3.5]"},
      {"{conf!a}", "{'lr': 0.01, 'name': \"x'y\"}"},
      {"{f:10}", " 1234.5678"},
      {"{alpha:+}", "+0.5"},
      {"{n: }", " 42"},
      {"{f:_.1f}", "1_234.6"},
      {"{n:c}", "*"},
      {"{alpha:.0}", "0.5"},
      {"{alpha:.0f}", "0"},
      {"{f:.0e}", "1e+03"},
      {"{n:#b}", "0b101010"},
      {"{alpha:.3}", "0.5"},
      {"{f:.10}", "1234.5678"},
      {"{n:g}", "42"},
      {"runs/{name}/{n:03d}-{alpha}.ipynb", "runs/Ada Lovelace/042-0.5.ipynb"},
  };
  const Parameters parameters = sample_parameters();
  for (const auto& [path, expected] : cases) {
    INFO(path);
    CHECK(parameterize_path(path, parameters, fixed_builtins()) == expected);
  }
}

TEST_CASE("path templates Python rejects are errors naming the path", "[params][path]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{missing}", "missing parameter 'missing'"},
      {"{}", "Replacement index 0 out of range"},
      {"{0}", "Replacement index 0 out of range"},
      {"{n", "expected '}' before end of string"},
      {"a}b", "Single '}' encountered"},
      {"{n:d", "expected '}' before end of string"},
      {"{name:d}", "Unknown format code 'd' for object of type 'str'"},
      {"{none:>4}", "unsupported format string passed to NoneType.__format__"},
      {"{items:>3}", "unsupported format string passed to list.__format__"},
      {"{n!x}", "Unknown conversion specifier x"},
      {"{items[9]}", "list index out of range"},
      {"{items[x]}", "list indices must be integers or slices, not str"},
      {"{conf[nope]}", "'nope'"},
      {"{n:.2d}", "Precision not allowed in integer format specifier"},
      {"{name:+}", "Sign not allowed in string format specifier"},
      {"{n:,x}", "Cannot specify ',' with 'x'."},
      {"{a{b}", "unexpected '{' in field name"},
      {"{n:{n:{n}}}", "Max string recursion exceeded"},
      {"{pm[nope]}", "'nope'"},
  };
  const Parameters parameters = sample_parameters();
  for (const auto& [path, message] : cases) {
    INFO(path);
    try {
      parameterize_path(path, parameters, fixed_builtins(), "output path");
      FAIL("no error for " << path);
    } catch (const nbexec::ParameterError& error) {
      const std::string what = error.what();
      CHECK(what.find(message) != std::string::npos);
      CHECK(what.find("output path '" + path + "'") != std::string::npos);
    }
  }
}

TEST_CASE("a missing parameter names the ones given", "[params][path]") {
  Parameters p = Parameters::parse(R"({"alpha": 1, "beta": 2})");
  CHECK_THROWS_WITH(parameterize_path("out-{gamma}.ipynb", p, fixed_builtins()),
                    Catch::Contains("missing parameter 'gamma' (given: alpha, beta)"));
}

TEST_CASE("papermill's pm built-ins fill paths; a parameter named pm wins", "[params][path]") {
  const auto builtins = fixed_builtins();
  const Parameters none = Parameters::object();
  CHECK(parameterize_path("run-{pm[run_uuid]}.ipynb", none, builtins) ==
        "run-0b7c6e1e-3f8a-4e0e-9a51-2b1de2a0c1f4.ipynb");
  CHECK(parameterize_path("{pm[current_datetime_utc]}", none, builtins) ==
        "2026-11-29 13:45:43.595765+00:00");
  CHECK(parameterize_path("{pm[current_datetime_utc]:%Y-%m-%dT%H%M%S.%f%z %Z}", none, builtins) ==
        "2026-11-29T134543.595765+0000 UTC");
  CHECK(parameterize_path("{pm[current_datetime_utc]!r}", none, builtins) ==
        "datetime.datetime(2026, 11, 29, 13, 45, 43, 595765, tzinfo=datetime.timezone.utc)");
  CHECK(parameterize_path("{pm[current_datetime_utc].year}-{pm[current_datetime_utc].month}", none,
                          builtins) == "2026-11");
  // Local time has no zone: %z and %Z are empty, as for a naive Python datetime.
  CHECK(parameterize_path("{pm[current_datetime_local]:%z%Z}", none, builtins).empty());
  CHECK_THROWS_WITH(parameterize_path("{pm}", none, builtins), Catch::Contains("{pm[run_uuid]}"));
  const Parameters own = Parameters::parse(R"({"pm": {"run_uuid": "mine"}})");
  CHECK(parameterize_path("{pm[run_uuid]}", own, builtins) == "mine");
}

TEST_CASE("fresh built-ins are a version 4 UUID and the current time", "[params][path]") {
  const auto a = nbexec::params::make_builtin_parameters();
  const auto b = nbexec::params::make_builtin_parameters();
  CHECK(a.run_uuid != b.run_uuid);
  CHECK(std::regex_match(
      a.run_uuid,
      std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(std::chrono::system_clock::now() - a.now < std::chrono::seconds(5));
}
