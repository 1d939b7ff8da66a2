// parameters_json_schema: a JSON Schema (draft 2020-12) of a notebook's parameters. papermill has
// no counterpart; the expected documents are nbexec's own format (docs/parameters.md, "JSON
// Schema").
#include <catch2/catch.hpp>

#include <nbexec/params/inspect/inspect.hpp>

#include <string>

using nbexec::params::inspect_parameters_source;
using nbexec::params::NotebookParameters;
using nbexec::params::parameters_json_schema;
using json = nlohmann::ordered_json;

namespace {

NotebookParameters python_cell(std::string_view source) {
  NotebookParameters out;
  out.has_parameters_cell = true;
  out.language = "python";
  out.parameters = inspect_parameters_source(source, "python3", "python", &out.warnings);
  return out;
}

}  // namespace

TEST_CASE("schema of a Python parameters cell", "[params][inspect]") {
  const auto schema = parameters_json_schema(python_cell(R"(msg = None
a: float = 2.25  # Variable a
b = [
    'Hello',  # First element
    'World'
]  # type: List[str] Nice list
c: "NoneType" = None
n: Optional[int] = None  # maybe a count
d = {'k': [1, True]}
when = datetime.now()  # not a literal
nan = float('nan')  # not JSON
)"),
                                             "complex");
  const json expected = json::parse(R"({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "complex",
    "type": "object",
    "properties": {
      "msg": {"default": null},
      "a": {"type": "number", "default": 2.25, "description": "Variable a"},
      "b": {"type": "array", "default": ["Hello", "World"], "description": "Nice list"},
      "c": {"type": "null", "default": null},
      "n": {"type": ["integer", "null"], "default": null, "description": "maybe a count"},
      "d": {"type": "object", "default": {"k": [1, true]}},
      "when": {"description": "not a literal"},
      "nan": {"type": "number", "$comment": "default float('nan') has no JSON form",
              "description": "not JSON"}
    },
    "additionalProperties": false
  })");
  CHECK(schema.dump(2) == expected.dump(2));
}

TEST_CASE("schema without a title or parameters", "[params][inspect]") {
  const auto schema = parameters_json_schema(NotebookParameters{});
  CHECK(schema.dump() ==
        R"({"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",)"
        R"("properties":{},"additionalProperties":false})");
}

TEST_CASE("schema keeps the first place and the last definition of a name", "[params][inspect]") {
  const auto schema = parameters_json_schema(python_cell("a = 1\nb = 'x'\na = 2.5\n"));
  CHECK(schema["properties"].dump() ==
        R"({"a":{"type":"number","default":2.5},"b":{"type":"string","default":"x"}})");
}

TEST_CASE("schema of R and Julia cells", "[params][inspect]") {
  NotebookParameters r;
  r.parameters = inspect_parameters_source("n = 3L  # count\nv = c(1, 2)\n", "ir", "R");
  CHECK(parameters_json_schema(r)["properties"].dump() ==
        R"({"n":{"type":"integer","default":3,"description":"count"},)"
        R"("v":{"type":"array","default":[1,2]}})");
  NotebookParameters julia;
  julia.parameters = inspect_parameters_source("x::Union{Nothing, String} = nothing\ny = Inf\n",
                                               "julia-1.10", "julia");
  CHECK(parameters_json_schema(julia)["properties"].dump() ==
        R"({"x":{"type":["string","null"],"default":null},)"
        R"("y":{"type":"number","$comment":"default Inf has no JSON form"}})");
}
