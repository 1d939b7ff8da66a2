"""The container form run for real, without Docker: the compiled IR's args are resolved as the
KFP launcher resolves them (kfp_launch.py) and the entrypoint runs with kfp made unimportable,
as in an image that has nbexec but not kfp (test_docker_image.py runs it in a virtual
environment that has no kfp at all)."""

import json
import signal
import subprocess
import sys
import time

import nbformat
import pytest
from helpers import make_notebook

kfp = pytest.importorskip("kfp", reason="kfp is not installed (pip install 'kfp>=2.15')")
pytest.importorskip("yaml")

from kfp_launch import resolve_container  # noqa: E402

from nbexec.kfp import notebook_component  # noqa: E402

# The entrypoint in a Python where `import kfp` fails.
NO_KFP = ("import sys, runpy; sys.modules['kfp'] = None; "
          "runpy.run_module('nbexec.kfp.entrypoint', run_name='__main__', alter_sys=True)")

PARAMS = """\
from typing import Optional
alpha: float = 0.5
epochs = 10
name = "base"
verbose = False
layers = [64]
conf = {"opt": "adam"}
limit: Optional[int] = None
"""
TRAIN = """\
import nbexec
nbexec.record("seen", {k: [v, type(v).__name__] for k, v in dict(
    alpha=alpha, epochs=epochs, name=name, verbose=verbose, layers=layers, conf=conf,
    limit=limit).items()})
accuracy = round(1 - alpha / epochs, 4)
nbexec.record("accuracy", accuracy)
nbexec.record("model_uri", f"gs://models/{name}")
print("trained", name)
"""


def launch(op, tmp_path, inputs=None, artifacts=None, wait=True):
    """Compiles the op, resolves its container args like the KFP launcher and runs them.
    Returns (process or CompletedProcess, {output name: local path})."""
    container_command, argv, paths = resolve_container(op, tmp_path, inputs, artifacts)
    assert container_command == ["python3", "-m", "nbexec.kfp.entrypoint"]
    command = [sys.executable, "-c", NO_KFP, *argv]
    if not wait:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True), paths
    return subprocess.run(command, capture_output=True, text=True, timeout=120), paths


def _notebook(tmp_path, cells, params=PARAMS, name="train.ipynb"):
    path = tmp_path / name
    nbformat.write(make_notebook(cells, parameters_cell=params), str(path))
    return path


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_parameters_scraps_metrics_and_html(tmp_path):
    op = notebook_component(_notebook(tmp_path, [TRAIN]), image="img", metrics=True, html=True)
    name = "--x 'y' \"z\" é"
    result, paths = launch(op, tmp_path, {
        "alpha": 1e-05, "epochs": 3, "name": name, "verbose": True,
        "layers": [1, 2.5, "a"], "conf": {"nested": {"k": [True, None]}}})
    assert result.returncode == 0, result.stderr
    assert f"trained {name}" in result.stdout          # the cells' text, as it arrives
    assert "nbexec: run completed (exit 0)" in result.stderr
    seen = json.loads(_read(paths["seen"]))
    assert seen == {
        "alpha": [1e-05, "float"], "epochs": [3, "int"], "name": [name, "str"],
        "verbose": [True, "bool"], "layers": [[1, 2.5, "a"], "list"],
        "conf": [{"nested": {"k": [True, None]}}, "dict"],
        "limit": [None, "NoneType"],                   # left out: the notebook's default
    }
    assert _read(paths["accuracy"]) == "1.0"
    assert _read(paths["model_uri"]) == f"gs://models/{name}"
    executed = nbformat.read(paths["executed_notebook"], as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "alpha = 1e-05" in injected[0].source and "limit" not in injected[0].source
    assert executed.metadata.papermill.parameters["epochs"] == 3
    assert json.loads(_read(paths["metrics"])) == {"accuracy": 1.0}
    output = json.loads(_read(paths["executor_output"]))
    assert output == {"artifacts": {"metrics": {"artifacts": [
        {"name": "metrics", "uri": "minio://bucket/metrics", "metadata": {"accuracy": 1.0}}]}}}
    page = _read(paths["html"])
    assert page.startswith("<!DOCTYPE html>") and "trained --x" in page


def test_failure_succeeds_with_status_and_error(tmp_path):
    cells = [TRAIN, "raise ValueError('bad data')", "import nbexec\nnbexec.record('late', 1)"]
    op = notebook_component(_notebook(tmp_path, cells), image="img", on_failure="succeed",
                            html=True)
    result, paths = launch(op, tmp_path)
    assert result.returncode == 0, result.stderr
    assert _read(paths["status"]) == "failed"
    assert _read(paths["error"]) == "cell 3 raised ValueError: bad data"
    assert _read(paths["accuracy"]) == "0.95"          # recorded before the failure
    assert _read(paths["late"]) == "0"                 # never recorded: the type's zero
    executed = nbformat.read(paths["executed_notebook"], as_version=4)
    assert executed.metadata.papermill.exception is True
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors[0].ename == "ValueError"
    assert "bad data" in _read(paths["html"])


def test_failure_fails_the_step_by_default(tmp_path):
    op = notebook_component(_notebook(tmp_path, ["1 / 0"]), image="img")
    result, paths = launch(op, tmp_path)
    assert result.returncode == 1
    assert "cell 2 raised ZeroDivisionError: division by zero" in result.stderr
    # The notebook is written all the same (KFP does not upload it for a failed step).
    assert nbformat.read(paths["executed_notebook"], as_version=4).metadata.papermill.exception


def test_declared_scrap_not_recorded(tmp_path):
    op = notebook_component(_notebook(tmp_path, ["x = 1"]), image="img",
                            scraps={"accuracy": float}, on_failure="succeed")
    result, paths = launch(op, tmp_path)
    assert result.returncode == 0
    assert _read(paths["status"]) == "scrap_error"
    assert _read(paths["error"]) == "the notebook did not record scrap 'accuracy'"
    assert _read(paths["accuracy"]) == "0.0"


def test_execution_timeout(tmp_path):
    op = notebook_component(_notebook(tmp_path, ["import time\ntime.sleep(60)"]), image="img",
                            execution_timeout=1, on_failure="succeed")
    started = time.monotonic()
    result, paths = launch(op, tmp_path)
    assert time.monotonic() - started < 30
    assert result.returncode == 0
    assert _read(paths["status"]) == "timeout"
    cells = nbformat.read(paths["executed_notebook"], as_version=4).cells
    assert cells[-1].metadata.nbexec.stop_reason == "timeout"


def test_sigterm_is_passed_on_and_the_notebook_saved(tmp_path):
    cells = ["import time\nprint('working', flush=True)\ntime.sleep(60)"]
    op = notebook_component(_notebook(tmp_path, cells), image="img")
    process, paths = launch(op, tmp_path, wait=False)
    try:
        assert process.stdout.readline().strip() == "working"
        process.send_signal(signal.SIGTERM)   # Kubernetes stopping the pod
        # communicate, not wait: a step whose stderr pipe filled up would look hung.
        _, stderr = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _, stderr = process.communicate()
        pytest.fail(f"the step still ran 30 s after SIGTERM; its stderr:\n{stderr}")
    finally:
        process.kill()
    assert process.returncode == 128 + signal.SIGTERM, stderr
    cells = nbformat.read(paths["executed_notebook"], as_version=4).cells
    assert cells[-1].metadata.nbexec.stop_reason == "interrupted"


def test_help_alone_prints_the_flags(tmp_path):
    result = subprocess.run([sys.executable, "-c", NO_KFP, "--help"], capture_output=True,
                            text=True)
    assert result.returncode == 0 and "--executed-notebook PATH" in result.stdout
    # Anywhere else it is a value: here the notebook path's.
    result = subprocess.run([sys.executable, "-c", NO_KFP, "--notebook-path", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "--executed-notebook is required" in result.stderr


def test_bad_entrypoint_arguments_exit_2(tmp_path):
    result = subprocess.run([sys.executable, "-c", NO_KFP, "--parameter", "a", "float"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "--parameter takes 3 value(s)" in result.stderr
    result = subprocess.run([sys.executable, "-c", NO_KFP, "--notebook-path", "x.ipynb",
                             "--executed-notebook", "o", "--parameter", "a", "int", "2.5"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "'2.5' is not a int" in result.stderr


def test_no_nbexec_executable_in_the_image(tmp_path, monkeypatch):
    monkeypatch.setenv("NBEXEC_CLI", str(tmp_path / "missing" / "nbexec"))
    op = notebook_component(_notebook(tmp_path, ["x = 1"]), image="img", on_failure="succeed")
    result, paths = launch(op, tmp_path)
    assert result.returncode == 0
    assert _read(paths["status"]) == "error"
    assert _read(paths["error"]).startswith("cannot run nbexec: ")
