// Every built-in translator against papermill 2.7's (black not installed). Each expected text is
// papermill.translators.translate_parameters(kernel, "", json.loads(kMixed)) pasted verbatim;
// the deliberate differences have their own cases below, each saying what papermill writes.
// Exception: in the R, Julia, Scala and C# texts papermill's "\xe9" is "\u00e9" (and Scala's
// "\U0001f600" a surrogate pair, Julia's "$" escaped): differences 6-8 in docs/parameters.md.
#include <catch2/catch.hpp>

#include <nbexec/error.hpp>
#include <nbexec/params/translate/render.hpp>
#include <nbexec/params/translate/translator.hpp>

#include <limits>
#include <string_view>

using nbexec::params::Parameters;
using nbexec::params::render_parameters_source;

namespace {

const char* const kMixed =
    "{\"n\": 3, \"big\": 3000000000, \"neg\": -2147483649, \"ratio\": 0.1, \"negz\": -0.0, \"e\": "
    "1e16, \"s\": \"say \\\"hi\\\" it's $HOME\\\\\\ttab\\n\\u00e9\\u20ac\\ud83d\\ude00\", "
    "\"empty\": \"\", \"flag\": true, \"off\": false, \"items\": [1, \"two\", 2.5], \"conf\": "
    "{\"lr\": 1e-05, \"tags\": [\"a\", \"b\"], \"k'q\": {\"z\": false}}}";

struct LanguageCase {
  std::string_view kernel;
  std::string_view expected;
};

const LanguageCase kMixedCases[] = {
    {"python",
     "# Parameters\nn = 3\nbig = 3000000000\nneg = -2147483649\nratio = 0.1\nnegz = -0.0\ne = "
     "1e+16\ns = \"say \\\"hi\\\" it's $HOME\\\\\\ttab\\n\\xe9\\u20ac\\U0001f600\"\nempty = "
     "\"\"\nflag = True\noff = False\nitems = [1, \"two\", 2.5]\nconf = {\"lr\": 1e-05, \"tags\": "
     "[\"a\", \"b\"], \"k'q\": {\"z\": False}}\n"},
    {"R",
     "# Parameters\nn = 3\nbig = 3000000000\nneg = -2147483649\nratio = 0.1\nnegz = -0.0\ne = "
     "1e+16\ns = \"say \\\"hi\\\" it's $HOME\\\\\\ttab\\n\\u00e9\\u20ac\\U0001f600\"\nempty = "
     "\"\"\nflag = TRUE\noff = FALSE\nitems = list(1, \"two\", 2.5)\nconf = list(\"lr\" = 1e-05, "
     "\"tags\" = list(\"a\", \"b\"), \"k'q\" = list(\"z\" = FALSE))\n"},
    {"scala",
     "// Parameters\nval n = 3\nval big = 3000000000L\nval neg = -2147483649L\nval ratio = "
     "0.1\nval negz = -0.0\nval e = 1e+16\nval s = \"say \\\"hi\\\" it's "
     "$HOME\\\\\\ttab\\n\\u00e9\\u20ac\\ud83d\\ude00\"\nval empty = \"\"\nval flag = true\nval off "
     "= "
     "false\nval items = Seq(1, \"two\", 2.5)\nval conf = Map(\"lr\" -> 1e-05, \"tags\" -> "
     "Seq(\"a\", \"b\"), \"k'q\" -> Map(\"z\" -> false))\n"},
    {"julia",
     "# Parameters\nn = 3\nbig = 3000000000\nneg = -2147483649\nratio = 0.1\nnegz = -0.0\ne = "
     "1e+16\ns = \"say \\\"hi\\\" it's \\$HOME\\\\\\ttab\\n\\u00e9\\u20ac\\U0001f600\"\nempty = "
     "\"\"\nflag = true\noff = false\nitems = [1, \"two\", 2.5]\nconf = Dict(\"lr\" => 1e-05, "
     "\"tags\" => [\"a\", \"b\"], \"k'q\" => Dict(\"z\" => false))\n"},
    {"matlab",
     "% Parameters\nn = 3;\nbig = 3000000000;\nneg = -2147483649;\nratio = 0.1;\nnegz = -0.0;\ne = "
     "1e+16;\ns = \"say \"\"hi\"\" it's $HOME\\\\\\ttab\\n\\xe9\\u20ac\\U0001f600\";\nempty = "
     "\"\";\nflag = true;\noff = false;\nitems = {1, \"two\", 2.5};\nconf = containers.Map({'lr', "
     "'tags', 'k''q'}, {1e-05, {\"a\", \"b\"}, containers.Map({'z'}, {false})});\n"},
    {".net-fsharp",
     "(* Parameters *)\nlet n = 3\nlet big = 3000000000L\nlet neg = -2147483649L\nlet ratio = "
     "0.1\nlet negz = -0.0\nlet e = 1e+16\nlet s = \"say \\\"hi\\\" it's "
     "$HOME\\\\\\ttab\\n\\xe9\\u20ac\\U0001f600\"\nlet empty = \"\"\nlet flag = true\nlet off = "
     "false\nlet items = [ 1; \"two\"; 2.5 ]\nlet conf = [ (\"lr\", 1e-05 :> IComparable); "
     "(\"tags\", [ \"a\"; \"b\" ] :> IComparable); (\"k'q\", [ (\"z\", false :> IComparable) ] |> "
     "Map.ofList :> IComparable) ] |> Map.ofList\n"},
    {".net-powershell",
     "# Parameters\n$n = 3\n$big = 3000000000\n$neg = -2147483649\n$ratio = 0.1\n$negz = -0.0\n$e "
     "= 1e+16\n$s = \"say `\"hi`\" it's $HOME\\\\\\ttab\\n\\xe9\\u20ac\\U0001f600\"\n$empty = "
     "\"\"\n$flag = $True\n$off = $False\n$items = @(1, \"two\", 2.5)\n$conf = @{\"lr\" = 1e-05\n "
     "\"tags\" = @(\"a\", \"b\")\n \"k'q\" = @{\"z\" = $False}}\n"},
    {".net-csharp",
     "// Parameters\nvar n = 3;\nvar big = 3000000000L;\nvar neg = -2147483649L;\nvar ratio = "
     "0.1;\nvar negz = -0.0;\nvar e = 1e+16;\nvar s = \"say \\\"hi\\\" it's "
     "$HOME\\\\\\ttab\\n\\u00e9\\u20ac\\U0001f600\";\nvar empty = \"\";\nvar flag = true;\nvar off "
     "= "
     "false;\nvar items = new [] { 1, \"two\", 2.5 };\nvar conf = new Dictionary<string,Object>{ { "
     "\"lr\" , 1e-05 }, { \"tags\" , new [] { \"a\", \"b\" } }, { \"k'q\" , new "
     "Dictionary<string,Object>{ { \"z\" , false } } } };\n"},
};

std::string render(const char* json, std::string_view kernel) {
  return render_parameters_source(Parameters::parse(json), kernel, "");
}

}  // namespace

TEST_CASE("every translator renders a mixed parameter set as papermill does",
          "[params][translate]") {
  for (const auto& c : kMixedCases) {
    INFO("kernel: " << c.kernel);
    CHECK(render(kMixed, c.kernel) == c.expected);
  }
  // pysparkkernel, sparkkernel and sparkrkernel share python's, scala's and R's translators.
  CHECK(render(kMixed, "pysparkkernel") == render(kMixed, "python"));
  CHECK(render(kMixed, "sparkkernel") == render(kMixed, "scala"));
  CHECK(render(kMixed, "sparkrkernel") == render(kMixed, "R"));
}

TEST_CASE("bash renders scalars and flat lists as papermill does", "[params][translate]") {
  CHECK(render("{\"n\": 3, \"big\": 3000000000, \"neg\": -2147483649, \"ratio\": 0.1, \"negz\": "
               "-0.0, \"e\": 1e+16, \"s\": \"say \\\"hi\\\" it's "
               "$HOME\\\\\\ttab\\n\\u00e9\\u20ac\\ud83d\\ude00\", \"empty\": \"\", \"flag\": true, "
               "\"off\": false, \"items\": [1, \"two\", 2.5]}",
               "bash") ==
        "# Parameters\nn=3\nbig=3000000000\nneg=-2147483649\nratio=0.1\nnegz=-0.0\ne=1e+16\ns='say "
        "\"hi\" it'\"'\"'s "
        "$HOME\\\ttab\n\303\251\342\202\254\360\237\230\200'\nempty=''\nflag=true\noff="
        "false\nitems=(1 two 2.5)\n");
  // python3: translate_parameters("bash", "", {"n": None, "l": [], "s": ..., "q": "a'b", "x": nan})
  const auto special =
      Parameters::parse(R"({"n": null, "l": [], "s": "safe-_@%+=:,./", "q": "a'b"})");
  CHECK(render_parameters_source(special, "bash", "") ==
        "# Parameters\nn=\nl=()\ns=safe-_@%+=:,./\nq='a'\"'\"'b'\n");
  CHECK(render_parameters_source({{"x", std::numeric_limits<double>::quiet_NaN()}}, "bash", "") ==
        "# Parameters\nx=nan\n");
}

TEST_CASE("int64 limits take papermill's L suffix", "[params][translate]") {
  const char* const limits = R"({"a": 9223372036854775807, "b": -9223372036854775808})";
  CHECK(render(limits, "scala") ==
        "// Parameters\nval a = 9223372036854775807L\nval b = -9223372036854775808L\n");
  CHECK(render(limits, ".net-csharp") ==
        "// Parameters\nvar a = 9223372036854775807L;\nvar b = -9223372036854775808L;\n");
  CHECK(render(limits, ".net-fsharp") ==
        "(* Parameters *)\nlet a = 9223372036854775807L\nlet b = -9223372036854775808L\n");
}

TEST_CASE("None and non-finite floats as papermill writes them where they are valid",
          "[params][translate]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  Parameters matlab = {{"n", nullptr}, {"x", nan}, {"y", -inf}, {"d", Parameters::object()}};
  CHECK(render_parameters_source(matlab, "matlab", "") ==
        "% Parameters\nn = NaN;\nx = nan;\ny = -inf;\nd = containers.Map({}, {});\n");
  Parameters powershell = {{"n", nullptr}, {"x", nan}, {"y", inf}, {"z", -inf}};
  CHECK(render_parameters_source(powershell, ".net-powershell", "") ==
        "# Parameters\n$n = $Null\n$x = [double]::NaN\n$y = [double]::PositiveInfinity\n"
        "$z = [double]::NegativeInfinity\n");
  CHECK(render(R"({"n": null, "_p": 1})", "R") == "# Parameters\nn = NULL\np = 1\n");
  CHECK(render(R"({"n": null})", "julia") == "# Parameters\nn = nothing\n");
  CHECK(render(R"({"n": null})", "scala") == "// Parameters\nval n = None\n");
  CHECK(render(R"({"n": null})", ".net-fsharp") == "(* Parameters *)\nlet n = None\n");
}

TEST_CASE("deliberate differences: valid code where papermill writes invalid code",
          "[params][translate]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const Parameters floats = {{"a", nan}, {"b", inf}, {"c", -inf}};
  // papermill writes nan, inf and -inf (Python's repr) in all five.
  CHECK(render_parameters_source(floats, "ir", "R") ==
        "# Parameters\na = NaN\nb = Inf\nc = -Inf\n");
  CHECK(render_parameters_source(floats, "julia-1.9", "julia") ==
        "# Parameters\na = NaN\nb = Inf\nc = -Inf\n");
  CHECK(render_parameters_source(floats, "scala", "") ==
        "// Parameters\nval a = Double.NaN\nval b = Double.PositiveInfinity\n"
        "val c = Double.NegativeInfinity\n");
  CHECK(render_parameters_source(floats, ".net-csharp", "") ==
        "// Parameters\nvar a = double.NaN;\nvar b = double.PositiveInfinity;\n"
        "var c = double.NegativeInfinity;\n");
  CHECK(render_parameters_source(floats, ".net-fsharp", "") ==
        "(* Parameters *)\nlet a = nan\nlet b = infinity\nlet c = -infinity\n");
  // papermill: 18446744073709551615L, past a Long/int64.
  const auto huge = Parameters::parse(R"({"u": 18446744073709551615})");
  CHECK(render_parameters_source(huge, ".net-fsharp", "") ==
        "(* Parameters *)\nlet u = 18446744073709551615UL\n");
  CHECK(render_parameters_source(huge, ".net-csharp", "") ==
        "// Parameters\nvar u = 18446744073709551615L;\n");
  CHECK_THROWS_WITH(render_parameters_source(huge, "scala", ""),
                    Catch::Contains("'u'") && Catch::Contains("Scala"));
  // papermill: "l=(1  x)" drops the None element; "((1) 2)" is not bash.
  CHECK(render(R"({"l": [1, null, "x"]})", "bash") == "# Parameters\nl=(1 '' x)\n");
  CHECK_THROWS_WITH(render(R"({"l": [[1], 2]})", "bash"),
                    Catch::Contains("'l'") && Catch::Contains("bash"));
  // papermill: " = 1".
  CHECK_THROWS_WITH(render(R"({"__": 1})", "R"), Catch::Contains("'__'") && Catch::Contains("R"));
}

TEST_CASE("a value a language cannot express names the parameter and the language",
          "[params][translate]") {
  // papermill raises NotImplementedError for both.
  CHECK_THROWS_AS(render(R"({"a": 1, "maybe": null})", ".net-csharp"), nbexec::ParameterError);
  CHECK_THROWS_WITH(render(R"({"a": 1, "maybe": null})", ".net-csharp"),
                    Catch::Contains("'maybe'") && Catch::Contains("C#"));
  CHECK_THROWS_WITH(render(R"({"conf": {"a": 1}})", "bash"), Catch::Contains("'conf'") &&
                                                                 Catch::Contains("dict") &&
                                                                 Catch::Contains("bash"));
  CHECK_THROWS_WITH(render(R"({"nested": [{"a": null}]})", ".net-csharp"),
                    Catch::Contains("'nested'") && Catch::Contains("C#"));
}
