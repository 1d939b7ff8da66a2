"""nbexec.kfp's op interface read from the notebook: parameter types and defaults from the C++
core, scraps declared and found in the source, artifact inputs and outputs, name checks.
No kfp needed."""

from __future__ import annotations

import nbformat
import pytest
from helpers import make_notebook

from nbexec import ParameterError
from nbexec.kfp import discovery
from nbexec.kfp.interface import read_interface

PARAMS = """\
alpha: float = 1  # learning rate
epochs = 10
name: str = "base"  # run name
DEVELOP_MODE = False
layers = [64, 32]
conf = {"opt": "adam", "lr": 0.1}
n: Optional[int] = None  # maybe a count
msg = None
when = make_date()
ratio: float = 1 / 3
nan = float("nan")
"""


def _write(tmp_path, cells, params=PARAMS, name="train.ipynb", **kwargs):
    path = tmp_path / name
    nbformat.write(make_notebook(cells, parameters_cell=params, **kwargs), str(path))
    return path


def test_parameters_typed_and_defaulted_from_the_cell(tmp_path):
    iface = read_interface(_write(tmp_path, ["pass"]))
    got = {p.name: (p.type, p.default if p.has_default else "<optional>", p.description)
           for p in iface.parameters}
    assert got == {
        "alpha": ("float", 1.0, "learning rate"),       # declared float, int literal
        "epochs": ("int", 10, ""),
        "name": ("str", "base", "run name"),
        "DEVELOP_MODE": ("bool", False, ""),
        "layers": ("list", [64, 32], ""),
        "conf": ("dict", {"opt": "adam", "lr": 0.1}, ""),
        "n": ("int", "<optional>", "maybe a count"),    # Optional[int] = None
        "msg": ("str", "<optional>", ""),               # any: a str input, injected as text
        "when": ("str", "<optional>", ""),              # not a literal
        "ratio": ("float", "<optional>", ""),           # declared, default not a literal
        "nan": ("float", "<optional>", ""),             # no JSON default
    }
    assert isinstance(iface.parameter("alpha").default, float)
    assert iface.name == "train" and iface.notebook_name == "train.ipynb"


def test_parameter_types_only_for_unknown_types(tmp_path):
    path = _write(tmp_path, ["pass"])
    iface = read_interface(path, parameter_types={"msg": int, "when": "dict"})
    assert iface.parameter("msg").type == "int" and iface.parameter("when").type == "dict"
    with pytest.raises(ParameterError, match="'epochs' a int"):
        read_interface(path, parameter_types={"epochs": str})
    with pytest.raises(ParameterError, match="does not define"):
        read_interface(path, parameter_types={"epohcs": int})
    with pytest.raises(TypeError, match="str, int, float, bool, list, dict"):
        read_interface(path, parameter_types={"msg": set})


def test_component_name_from_the_file(tmp_path):
    assert read_interface(_write(tmp_path, [], name="Flights Model-v2.ipynb")).name == \
        "flights_model_v2"
    assert read_interface(_write(tmp_path, [], name="2024 run.ipynb")).name == "nb_2024_run"
    assert read_interface(_write(tmp_path, []), name="custom").name == "custom"


def test_notebook_without_parameters_cell(tmp_path):
    iface = read_interface(_write(tmp_path, ["x = 1"], params=None))
    assert iface.parameters == []


def test_artifact_inputs_and_outputs_take_str_parameters(tmp_path):
    params = "data_path: str = ''\nmodel_dir = 'model'\nepochs = 3"
    path = _write(tmp_path, ["pass"], params=params)
    iface = read_interface(path, artifact_inputs=["data_path"],
                           artifact_outputs={"model_dir": "Model"})
    assert iface.artifact_inputs == {"data_path": "Artifact"}
    assert iface.artifact_outputs == {"model_dir": "Model"}
    assert [p.name for p in iface.parameters] == ["epochs"]
    with pytest.raises(ParameterError, match="does not define"):
        read_interface(path, artifact_inputs=["dataset"])
    with pytest.raises(ParameterError, match="must be a str"):
        read_interface(path, artifact_inputs=["epochs"])
    with pytest.raises(TypeError, match="artifact types"):
        read_interface(path, artifact_inputs={"data_path": dict})


SOURCE = """\
import nbexec
import scrapbook as sb
from nbexec import record as rec
import papermill as pm
accuracy = round(1 - alpha / epochs, 4)
nbexec.record("accuracy", accuracy)
sb.glue("model_uri", f"gs://bucket/{name}")
rec("epochs_run", epochs * 2)
nbexec.record(name="passed", value=accuracy >= 0.9)
pm.record("layers", layers + [1])
nbexec.record("conf", dict(conf))
nbexec.scraps.record("loss", 0.1 if DEVELOP_MODE else 0.2)
nbexec.record("mixed", 1)
nbexec.record("mixed", "one")
nbexec.record("opaque", compute())
nbexec.record(dynamic_name, 1)
other.record("not_a_scrap", 1)
for row in rows:
    nbexec.record("row", row)
%time nbexec.record("after_magic", 1.5)
"""


def test_scraps_found_in_the_source(tmp_path):
    found = discovery.find_scraps([PARAMS, "from typing import Optional", SOURCE])
    assert found == {
        "accuracy": "float", "model_uri": "str", "epochs_run": "int", "passed": "bool",
        "layers": "list", "conf": "dict", "loss": "float", "mixed": None, "opaque": None,
        "row": None,
    }


def test_scraps_declared_and_discovered(tmp_path):
    params = PARAMS.replace("layers", "lay").replace("conf", "cnf")  # no name clashes
    path = _write(tmp_path, [SOURCE, "x = ("], params=params)  # a broken cell is skipped
    iface = read_interface(path, scraps={"opaque": float, "extra": "dict"})
    assert iface.scraps["accuracy"] == "float"
    assert iface.scraps["opaque"] == "float"        # declared wins
    assert iface.scraps["mixed"] == "str"           # unknown type: JSON text in a str
    assert iface.scraps["extra"] == "dict"          # declared, not found: still an output
    only = read_interface(path, scraps={"accuracy": float}, discover_scraps=False)
    assert only.scraps == {"accuracy": "float"}


def test_names_that_clash_are_refused(tmp_path):
    path = _write(tmp_path, ["import nbexec\nnbexec.record('epochs', 1)"])
    with pytest.warns(UserWarning, match="scrap named 'epochs'"):
        assert "epochs" not in read_interface(path).scraps   # found: left out, with a warning
    with pytest.raises(ParameterError, match="distinct input and output names"):
        read_interface(path, scraps={"epochs": int})          # declared: an error
    path = _write(tmp_path, ["import nbexec\nnbexec.record('status', 'ok')"], params="a = 1")
    assert read_interface(path).scraps == {"status": "str"}  # no status output: no clash
    with pytest.warns(UserWarning, match="scrap named 'status'"):
        assert read_interface(path, on_failure="succeed").scraps == {}
    with pytest.raises(ParameterError, match="'status'"):
        read_interface(path, on_failure="succeed", scraps={"status": str})
    with pytest.raises(ParameterError, match="identifier"):
        read_interface(path, scraps={"not valid": str})
    with pytest.raises(ValueError, match="fail' or 'succeed"):
        read_interface(path, on_failure="ignore")
