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


def test_merge_parameters_follows_papermills_order(tmp_path):
    import base64

    params_file = tmp_path / "p.yaml"
    params_file.write_text("a: from-file\nb: 2\nwhen: 2024-01-02\n")
    merged = nbexec.merge_parameters(
        base64_yaml=[base64.b64encode(b"a: from-base64\nz: 0").decode()],
        files=[params_file],
        yaml=["b: 3"],
        inferred=[("c", "1_000"), ("d", " -2.5e1 ")],
        raw=[("c", "raw")],
    )
    # Later sources win and keep the first position; dates stay strings (papermill's loader).
    assert merged == {"a": "from-file", "z": 0, "b": 3, "when": "2024-01-02", "c": "raw",
                      "d": -25.0}
    assert list(merged) == ["a", "z", "b", "when", "c", "d"]
    with pytest.raises(nbexec.ParameterError, match="line 1"):
        nbexec.merge_parameters(yaml=["a: [1, 2"])
    with pytest.raises(nbexec.ParameterError, match="not an identifier|identifier"):
        nbexec.merge_parameters(inferred=[("a-b", "1")])


def test_execute_notebook_reads_a_parameters_file_like_papermill(notebook, tmp_path):
    params_file = tmp_path / "p.yaml"
    params_file.write_text("epochs: 9\n")
    out = tmp_path / "out.ipynb"
    nb = nbexec.execute_notebook(notebook, out, parameters=params_file, prepare_only=True)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected[0].source == "# Parameters\nepochs = 9\n"
