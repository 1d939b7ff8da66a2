"""Parameter values cannot become code.

Whoever sets a pipeline's parameters (-p, -r, -y, -f, -b, a KFP input) controls only values:
the injected cell nbexec writes for a Python kernel must parse to plain assignments of
literals that evaluate to exactly the values given, however the strings are built (quotes,
triple quotes, backslashes, line breaks Python counts but JSON does not, NUL, braces). Names
that are not identifiers are refused before anything is rendered.
"""

from __future__ import annotations

import ast
import json
import math
import random

import pytest

from nbexec import _core

# Pieces that break out of naive quoting in one language or another.
HOSTILE_PIECES = [
    '"', "'", '"""', "'''", "\\", "\\\\", '\\"', "\n", "\r", "\r\n", "\x00", "\x0b", "\x0c",
    "\x1c", "\x85", "\u2028", "\u2029", "\ufeff", "#", "{", "}", "{{", "${x}", "%s", "`",
    "); import os; os.system('echo pwned') #", '"; __import__("os").system("id"); "',
    "\\N{BULLET}", "\\x41", "\\u0041", "é", "\U0001F600", " ", "\t", "f'{1}'", "b'",
    "r'", "u'", "'''\nimport os\n'''",
]

# Only these node types may appear in a rendered Python parameters cell.
ALLOWED_NODES = (
    ast.Module, ast.Assign, ast.Name, ast.Store, ast.Load, ast.Constant, ast.List, ast.Dict,
    ast.Tuple, ast.UnaryOp, ast.USub, ast.UAdd, ast.Expr,
)


def hostile_string(rng: random.Random) -> str:
    return "".join(rng.choice(HOSTILE_PIECES) for _ in range(rng.randint(0, 8)))


def hostile_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind <= 1:
        return hostile_string(rng)
    if kind == 2:
        return rng.choice([0, -1, 2**63 - 1, -(2**63), 7])
    if kind == 3:
        return rng.choice([0.5, -0.0, 1e300, float("inf"), float("-inf"), float("nan")])
    if kind == 4:
        return rng.choice([True, False, None])
    if kind == 5:
        return hostile_string(rng)
    if kind == 6:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {hostile_string(rng): hostile_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def is_float_call(node: ast.AST) -> bool:
    # papermill writes float('inf'), float('-inf') and float('nan') for the non-finite floats.
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "float" and len(node.args) == 1 and not node.keywords
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in ("inf", "-inf", "nan"))


def check_only_literals(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if is_float_call(node):
            continue
        if isinstance(node, ast.Name) and node.id == "float":
            continue  # the callee of an allowed float(...) call
        if isinstance(node, ast.Constant) and node.value in ("inf", "-inf", "nan"):
            continue
        assert isinstance(node, ALLOWED_NODES), f"{type(node).__name__} in {ast.dump(tree)}"


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("seed", range(40))
def test_rendered_python_cell_is_literals_only(seed):
    rng = random.Random(seed)
    parameters = {f"p{i}": hostile_value(rng) for i in range(25)}
    source = _core.render_parameters(parameters, "python3", "python")
    tree = ast.parse(source)
    check_only_literals(tree)
    assigned = [node for node in tree.body if isinstance(node, ast.Assign)]
    assert [a.targets[0].id for a in assigned] == list(parameters)
    namespace: dict = {}
    exec(compile(tree, "<parameters>", "exec"), {"__builtins__": {"float": float}}, namespace)
    for name, value in parameters.items():
        assert same(namespace[name], value), (name, value, namespace[name])


@pytest.mark.parametrize("name", [
    "x=1;import os", "a b", "1abc", "", "x\n", "__import__('os')", "a.b", "a[0]", "a-b",
])
def test_names_that_are_not_identifiers_are_refused(name):
    with pytest.raises(_core.ParameterError, match="not an identifier"):
        _core.render_parameters({name: 1}, "python3", "python")
    with pytest.raises(_core.ParameterError, match="not an identifier"):
        _core.merge_parameters([], [], [], [(name, "1")], [])


@pytest.mark.parametrize("seed", range(10))
def test_raw_and_inferred_strings_render_back_exactly(seed):
    rng = random.Random(1000 + seed)
    texts = [hostile_string(rng).replace("\x00", "") for _ in range(20)]
    raw = [(f"r{i}", text) for i, text in enumerate(texts)]
    merged = _core.merge_parameters([], [], [], [], raw)
    assert merged == {name: text for name, text in raw}
    namespace: dict = {}
    exec(_core.render_parameters(merged, "python3", "python"), {"__builtins__": {}}, namespace)
    assert namespace == merged


def test_hostile_string_reaches_a_real_kernel_unchanged(run_cli, write_notebook, tmp_path):
    value = "\"\"\"; import os; os.system('echo pwned') #\n'''\\\u2028{x}\x0b"
    nb = write_notebook(["import json; print(json.dumps(value))"], parameters_cell="value = ''")
    out = tmp_path / "out.ipynb"
    result = run_cli("run", str(nb), str(out), "-r", "value", value)
    assert result.returncode == 0, result.stderr
    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    printed = "".join("".join(o.get("text", "")) for o in cells[-1]["outputs"])
    assert json.loads(printed) == value
    # Had the string escaped its quotes, os.system's echo would have printed a line of its own.
    lines = [line for cell in cells for o in cell.get("outputs", [])
             for line in "".join(o.get("text", "")).splitlines()]
    assert "pwned" not in lines
