"""The Python parameter API (inspect_notebook, parameters_schema, check/validate_parameters)
against papermill's inspect_notebook and the jsonschema validator."""

from __future__ import annotations

import jsonschema
import nbformat
import papermill
import pytest
from helpers import make_notebook

import nbexec

CELL = """\
alpha: float = 0.5  # learning rate
epochs = 3  # type: int
name = "run"
layers = [
    64,
    32,
]  # sizes
model = None
"""


@pytest.fixture
def notebook(tmp_path):
    path = tmp_path / "nb.ipynb"
    nbformat.write(make_notebook(["pass"], parameters_cell=CELL), str(path))
    return path


def test_inspect_notebook_has_papermills_shape_and_values(notebook):
    ours = nbexec.inspect_notebook(notebook)
    theirs = papermill.inspect_notebook(str(notebook))
    assert ours == theirs
    assert list(ours) == ["alpha", "epochs", "name", "layers", "model"]
    assert ours["alpha"] == {"name": "alpha", "inferred_type_name": "float", "default": "0.5",
                             "help": "learning rate"}


def test_inspect_notebook_fills_the_path_from_parameters(notebook, tmp_path):
    templated = tmp_path / "{stem}.ipynb"
    assert nbexec.inspect_notebook(templated, {"stem": "nb"}) == nbexec.inspect_notebook(notebook)
    with pytest.raises(nbexec.ParameterError, match="missing parameter 'stem'"):
        nbexec.inspect_notebook(templated)


def test_notebook_parameters_are_typed(notebook):
    found = nbexec.notebook_parameters(notebook)
    assert found["has_parameters_cell"] is True
    kinds = {p["name"]: (p["kind"], p.get("default_value")) for p in found["parameters"]}
    assert kinds == {
        "alpha": ("number", 0.5),
        "epochs": ("integer", 3),
        "name": ("string", "run"),
        "layers": ("array", [64, 32]),
        "model": ("unknown", None),
    }


def test_parameters_schema_is_a_valid_draft_2020_12_schema(notebook):
    schema = nbexec.parameters_schema(notebook, title="training")
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["title"] == "training"
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"alpha": 1, "epochs": 5, "name": "x", "layers": [], "model": {}})
    assert not validator.is_valid({"epochs": "five"})
    assert not validator.is_valid({"unknown": 1})
    # Every default fits its own schema.
    defaults = {k: v["default"] for k, v in schema["properties"].items() if "default" in v}
    assert validator.is_valid(defaults)


def test_check_parameters_rejects_what_run_rejects(notebook):
    assert nbexec.check_parameters(notebook, {"alpha": 2, "epochs": 1, "model": "m"}) == []
    problems = nbexec.check_parameters(notebook, {"alpha": "high", "layers": {"a": 1}, "x": 1})
    assert [(p["kind"], p["name"]) for p in problems] == [
        ("type_mismatch", "alpha"), ("type_mismatch", "layers"), ("unknown_name", "x")]
    assert "declared as float" in problems[0]["message"]
    with pytest.raises(TypeError):
        nbexec.check_parameters(notebook, [("alpha", 1)])
    with pytest.raises(TypeError):
        nbexec.check_parameters(notebook, {"alpha": object()})
