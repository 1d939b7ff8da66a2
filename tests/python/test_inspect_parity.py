"""nbexec._core.inspect_notebook_text against papermill.inspect_notebook (papermill 2.7).

Where papermill is right the four fields (name, inferred_type_name, default, help) must be equal;
where it is wrong the test states nbexec's answer and checks that papermill indeed differs, so
each known difference stays documented (docs/parameters.md, "Inspection", lists them).
"""

from __future__ import annotations

import ast
import logging
import math
import random
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from helpers import CORPUS

papermill = pytest.importorskip("papermill")
from nbexec import _core  # noqa: E402

FIELDS = ("name", "inferred_type_name", "default", "help")


def _notebook(source: str, kernel: str = "python3", language: str = "python") -> str:
    nb = new_notebook(cells=[new_code_cell("x_before = 0"),
                             new_code_cell(source, metadata={"tags": ["parameters"]})])
    nb.metadata["kernelspec"] = {"name": kernel, "language": language, "display_name": kernel}
    nb.metadata["language_info"] = {"name": language}
    return nbformat.writes(nb)


def _papermill(text: str, tmp_path: Path) -> dict:
    path = tmp_path / "nb.ipynb"
    path.write_text(text, encoding="utf-8")
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    return papermill.inspect_notebook(str(path))


def _nbexec(text: str) -> dict:
    found = _core.inspect_notebook_text(text)
    # papermill's dict: a repeated name keeps its first place and its last definition.
    return {p["name"]: {k: p[k] for k in FIELDS} for p in found["parameters"]}


def _tuples(params: dict) -> list[tuple]:
    return [tuple(p[k] for k in FIELDS) for p in params.values()]


# Parameters cells papermill reads correctly.
AGREE = [
    "msg = None",
    "a: float = 2.25 # Variable a",
    "b = [\n    'Hello', # First element\n# Dummy comment\n    'World'\n] # type: List[str] Nice list",
    "c: \"NoneType\" = None",
    "a: int=1",
    "a:int=1 # help",
    "x = 1  #type:int",
    "x: Optional[int] = None",
    "x: 'List[int]' = []",
    "x = {\n  'a': 1,  # c\n  'b': [1,\n        2],\n}  # the dict",
    "_x = 1\ny = -1\nz=1",
    "x = 1  # help # more",
    "x: Dict[str, int] = {}",
    "x = 1_000  # underscores",
    "x = f\"{a}\"  # hi",
    "x = float('nan')",
    "x = 'a\\nb'",
    "x = (1, 2)\ny = {'a': [1, {'b': None}]}",
    "n: int = 10  # the count\ns: str = 'hi'\nf: bool = False",
    "x = os.getcwd()",
    "x = [i for i in range(3)]",
    "x = 'a' 'b'",
    "x = (\"a\"\n     \"b\")  # h",
    "x = 1  # ",
    "# only comments\n\n# here",
    "x = 'unicode é ✓'  # ünïcode help",
    "alpha = 0.6\nratio = 0.1\nname = \"flights\"",
    "x = 1\r\ny = 2  # h\r\n",
    "x: int = 1 # type: str",
    "x = {\"a\": 1}  # type: dict",
    "if x: a = 1\ndel x\nprint(\"=\")",
]

# (source, nbexec's parameters as (name, type, default, help) tuples, what papermill does)
DIFFER = [
    ("s = \"x # y\"  # the help", [("s", "None", "\"x # y\"", "the help")],
     "cuts the default at the '#'"),
    ("x = '''a # b'''", [("x", "None", "'''a # b'''", "")], "cuts a triple-quoted default at '#'"),
    ("a = 1\nb: int", [("a", "None", "1", "")], "glues a bare annotation to the default"),
    ("s = 'a=b'", [("s", "None", "'a=b'", "")], "drops a line with two '='"),
    ("t = a == 3", [("t", "None", "a == 3", "")], "drops a line with '=='"),
    ("f = dict(a=1)  # kwargs", [("f", "None", "dict(a=1)", "kwargs")],
     "drops a line with keyword arguments"),
    ("a = 1; b = 2  # two", [("a", "None", "1", ""), ("b", "None", "2", "two")],
     "drops both assignments"),
    ("a = b = 1", [("a", "None", "1", ""), ("b", "None", "1", "")], "drops a chained assignment"),
    ("a = 1;", [("a", "None", "1", "")], "keeps the semicolon in the default"),
    ("a = 1\nprint(a)", [("a", "None", "1", "")], "glues the next statement to the default"),
    ("x: int | None = None", [("x", "int | None", "None", "")], "drops a '|' annotation"),
    ("x: typing.List[int] = []", [("x", "typing.List[int]", "[]", "")],
     "drops a dotted annotation"),
    ("x = {} # type: Dict[str, int] help me", [("x", "Dict[str, int]", "{}", "help me")],
     "ends the type comment at the first blank"),
    ("x = \"\"\"abc\ndef\"\"\"", [("x", "None", "\"\"\"abc\ndef\"\"\"", "")],
     "joins the lines of a string"),
    ("x = 'a' \\\n    'b'", [("x", "None", "'a''b'", "")], "keeps the line-joining backslash"),
    ("y = (1 if True\n     else 2)", [("y", "None", "(1 if True else 2)", "")],
     "glues two words of two lines"),
    ("if True:\n    z = 1", [], "reads a block's body as top level"),
    ("x = [  # the list\n  1,\n  2]", [("x", "None", "[1,2]", "the list")],
     "takes help only from the last line"),
    ("x = 1  # type: ignore", [("x", "None", "1", "")], "calls 'ignore' a type"),
    ("x = lambda a=1: a", [("x", "None", "lambda a=1: a", "")], "drops a lambda with a default"),
]


@pytest.mark.parametrize("source", AGREE)
def test_agrees_with_papermill(source, tmp_path):
    text = _notebook(source)
    assert _tuples(_nbexec(text)) == _tuples(_papermill(text, tmp_path))


@pytest.mark.parametrize("source,expected,papermill_does", DIFFER,
                         ids=[d[2] for d in DIFFER])
def test_reads_what_papermill_loses(source, expected, papermill_does, tmp_path):
    text = _notebook(source)
    got = [tuple(p[k] for k in FIELDS) for p in _core.inspect_notebook_text(text)["parameters"]]
    assert got == expected
    assert _tuples(_papermill(text, tmp_path)) != expected, f"papermill no longer {papermill_does}"


def test_r_and_julia_are_inspected(tmp_path):
    r_text = _notebook("n <- 3L  # count\nv = c(1, 2)", kernel="ir", language="R")
    assert _papermill(r_text, tmp_path) == {}  # papermill: no introspection for R
    found = _core.inspect_notebook_text(r_text)
    assert found["language"] == "R"
    assert [(p["name"], p["kind"], p.get("default_value")) for p in found["parameters"]] == [
        ("n", "integer", 3), ("v", "array", [1, 2])]
    jl_text = _notebook("x::Float64 = 1  # rate", kernel="julia-1.10", language="julia")
    assert _papermill(jl_text, tmp_path) == {}
    (x,) = _core.inspect_notebook_text(jl_text)["parameters"]
    assert (x["inferred_type_name"], x["kind"], x["help"]) == ("Float64", "number", "rate")


def test_typed_fields_and_values():
    text = _notebook("a: Optional[int] = None\nb = float('-inf')\nc = {'k': [1, 'x']}\n"
                     "d = compute()\ne = 2**70 if False else 99999999999999999999999")
    params = {p["name"]: p for p in _core.inspect_notebook_text(text)["parameters"]}
    assert params["a"]["kind"] == "integer" and params["a"]["nullable"] is True
    assert params["a"]["default_value"] is None and "default_value" in params["a"]
    assert params["b"]["default_value"] == -math.inf
    assert params["c"]["default_value"] == {"k": [1, "x"]}
    assert params["d"]["kind"] == "unknown" and "default_value" not in params["d"]
    assert params["e"]["default_kind"] == "unknown"


def test_no_parameters_cell():
    nb = new_notebook(cells=[new_code_cell("a = 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "P"}
    found = _core.inspect_notebook_text(nbformat.writes(nb))
    assert found["has_parameters_cell"] is False and found["parameters"] == []


def test_unsupported_language_is_a_parameter_error():
    with pytest.raises(_core.ParameterError, match="scala"):
        _core.inspect_notebook_text(_notebook("val x = 1", kernel="spylon", language="scala"))


def _corpus_notebooks():
    folder = CORPUS / "papermill" / "notebooks"
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.rglob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 - broken notebooks are other tests' business
            continue
        if any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
            out.append(path)
    return out


CORPUS_NOTEBOOKS = _corpus_notebooks()


@pytest.mark.parametrize("path", CORPUS_NOTEBOOKS or [None],
                         ids=[p.name for p in CORPUS_NOTEBOOKS] or ["absent"])
def test_corpus(path, tmp_path):
    if path is None:
        pytest.skip(f"no papermill corpus at {CORPUS / 'papermill'} (../shared is absent)")
    text = path.read_text(encoding="utf-8")
    expected = papermill.inspect_notebook(str(path))
    found = _core.inspect_notebook_text(text)
    assert found["has_parameters_cell"]
    if path.name == "complex_parameters.ipynb":
        # papermill drops `d = a == 3` (two '='); nbexec reads it, and warns about `= 2`.
        assert "d" not in expected
        d = next(p for p in found["parameters"] if p["name"] == "d")
        assert (d["default"], d["kind"]) == ("a == 3", "unknown")
        assert any(w.startswith("line 14: ") for w in found["warnings"])
        expected["d"] = {k: d[k] for k in FIELDS}
    if found["language"] == "R":
        # papermill has no R introspection (notimplemented_translator.ipynb).
        assert expected == {}
        expected = {p["name"]: {k: p[k] for k in FIELDS} for p in found["parameters"]}
    assert _nbexec(text) == expected


def test_schema_text():
    text = _notebook("a: float = 2.25  # Variable a\nb: Optional[int] = None\nc = float('nan')")
    schema = _core.parameters_json_schema(text, title="demo")  # a dict, no JSON text
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "demo"
    assert schema["additionalProperties"] is False
    assert schema["properties"]["a"] == {"type": "number", "default": 2.25,
                                         "description": "Variable a"}
    assert schema["properties"]["b"] == {"type": ["integer", "null"], "default": None}
    assert "default" not in schema["properties"]["c"]
    try:
        import jsonschema
    except ImportError:  # structural checks above are all there is
        return
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"a": 1, "b": None, "c": 0.5})
    assert not validator.is_valid({"a": "x"})
    assert not validator.is_valid({"unknown": 1})


def _cell(source: str) -> list[tuple]:
    return [tuple(p[k] for k in FIELDS)
            for p in _core.inspect_notebook_text(_notebook(source))["parameters"]]


def test_generated_cells_agree():
    """Cells papermill reads right, built from pieces: every combination seen agrees."""
    from papermill.translators import PythonTranslator

    rng = random.Random(20261129)
    values = ["1", "-2.5", "'s'", '"d q"', "None", "True", "[1, 2]", "{'a': 1}", "(1,)", "f(x)",
              "a.b", "1e3", "'é'", "[\n  1,\n  2\n]", "{\n 'k': [1,\n 2],  # inner\n}", "x + 1",
              "[]", "'a' 'b'"]
    annotations = ["", ": int", ":int", ": 'str'", ": List[int]", ": Dict[str, int]",
                   ": Optional[float]"]
    comments = ["", "  # help", "#h", "  # type: int", "  # type: List[str] some help", "  #",
                "  # a, b: c"]
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    for _ in range(300):
        lines = []
        for _ in range(rng.randint(1, 4)):
            lines.append(rng.choice(["a", "b_1", "_x", "msg", "Var"]) + rng.choice(["", " "]) +
                         rng.choice(annotations) + rng.choice([" = ", "=", " =  "]) +
                         rng.choice(values) + rng.choice(comments))
            if rng.random() < 0.2:
                lines.append(rng.choice(["", "# c", "   "]))
        source = "\n".join(lines)
        expected = [tuple(p) for p in PythonTranslator.inspect({"source": source})]
        assert _cell(source) == expected, source


# Defaults against ast.literal_eval: same value (tuples as lists), or no value where JSON has no
# form for it; the last column says why a literal has no value.
LITERALS = [
    "0", "-17", "1_000_000", "0x1F", "-0o17", "0b101", "9223372036854775807",
    "-9223372036854775808", "18446744073709551615", "2.5", "-0.0", "1e-7", ".5", "5.", "1e400",
    "'plain'", "'esc\\t\\n\\\\\\'\\x41\\u00e9\\U0001F600\\101'", "r'raw\\n'", "'''tri\nple'''",
    "'a' \"b\"", "u'u'", "True", "False", "None", "[]", "()", "{}", "[1, 'a', None, [True, 2.5]]",
    "(1,)", "(1, (2, 3))", "{'k': {'n': [1, {'m': None}]}, 'z': ()}", "{'a': 1, 'a': 2}",
    "[1, 2,]",
]
NO_VALUE = ["99999999999999999999", "{1: 'a'}", "{1, 2}", "b'x'", "1j", "'\\N{BULLET}'", "[x]",
            "1 + 2", "-True"]


@pytest.mark.parametrize("literal", LITERALS)
def test_literal_values_match_literal_eval(literal):
    (p,) = _core.inspect_notebook_text(_notebook(f"x = {literal}"))["parameters"]

    def plain(v):
        if isinstance(v, tuple | list):
            return [plain(i) for i in v]
        if isinstance(v, dict):
            return {k: plain(i) for k, i in v.items()}
        return v

    expected = plain(ast.literal_eval(literal))
    assert p["default_value"] == expected
    assert type(p["default_value"]) is type(expected)
    if isinstance(expected, float):
        assert math.copysign(1, p["default_value"]) == math.copysign(1, expected)


@pytest.mark.parametrize("literal", NO_VALUE)
def test_literals_without_json_value(literal):
    (p,) = _core.inspect_notebook_text(_notebook(f"x = {literal}"))["parameters"]
    assert "default_value" not in p
