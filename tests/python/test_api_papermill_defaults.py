"""execute_notebook's papermill defaults: a lenient parameter check unless asked, and
papermill's PapermillExecutionError (message, attributes, and `except papermill...`).

The differential suite (test_papermill_differential.py) runs the same calls through papermill;
this file pins nbexec's own side: the switch, the environment variable and the exception."""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
import textwrap

import pytest
from helpers import make_notebook, read_valid

import nbexec

PARAMETERS_CELL = "alpha: float = 0.5\nepochs = 3\n"


@pytest.fixture
def notebook(tmp_path):
    import nbformat

    path = tmp_path / "in.ipynb"
    nbformat.write(make_notebook(["print(alpha, epochs)"], parameters_cell=PARAMETERS_CELL),
                   str(path))
    return path


@pytest.fixture(autouse=True)
def no_strictness_in_the_environment(monkeypatch):
    monkeypatch.delenv("NBEXEC_STRICT_PARAMETERS", raising=False)


def injected(path) -> str:
    nb = read_valid(path)
    return next(c.source for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))


def test_by_default_problems_are_warnings_and_the_values_are_injected(notebook, tmp_path,
                                                                       caplog):
    out = tmp_path / "out.ipynb"
    with caplog.at_level(logging.WARNING, logger="nbexec"):
        nbexec.execute_notebook(notebook, out, parameters={"alpah": 0.1, "epochs": "It works"},
                                prepare_only=True)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings[0] == "Passed unknown parameter: alpah"
    assert "parameter 'epochs'" in warnings[1] and "'It works'" in warnings[1]
    assert injected(out) == '# Parameters\nalpah = 0.1\nepochs = "It works"\n'
    assert read_valid(out).metadata.papermill.parameters == {"alpah": 0.1, "epochs": "It works"}


def test_strict_parameters_refuses_before_anything_is_written(notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    with pytest.raises(nbexec.ParameterError) as info:
        nbexec.execute_notebook(notebook, out, parameters={"alpah": 0.1, "epochs": "x"},
                                strict_parameters=True)
    assert "unknown parameter 'alpah'" in str(info.value)
    assert "parameter 'epochs'" in str(info.value)
    assert "(strict_parameters=False makes this a warning, as in papermill)" in str(info.value)
    assert not out.exists()


def test_the_environment_sets_the_default_and_the_keyword_wins(notebook, tmp_path,
                                                              monkeypatch):
    out = tmp_path / "out.ipynb"
    monkeypatch.setenv("NBEXEC_STRICT_PARAMETERS", "1")
    with pytest.raises(nbexec.ParameterError):
        nbexec.execute_notebook(notebook, out, parameters={"alpah": 0.1}, prepare_only=True)
    assert not out.exists()
    nbexec.execute_notebook(notebook, out, parameters={"alpah": 0.1}, prepare_only=True,
                            strict_parameters=False)
    assert "alpah = 0.1" in injected(out)
    monkeypatch.setenv("NBEXEC_STRICT_PARAMETERS", "perhaps")
    with pytest.raises(nbexec.UsageError, match="NBEXEC_STRICT_PARAMETERS='perhaps'"):
        nbexec.execute_notebook(notebook, out, parameters={"alpha": 0.1}, prepare_only=True)


def test_refinements_of_strict_mode(notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    nbexec.execute_notebook(notebook, out, parameters={"alpah": 0.1}, prepare_only=True,
                            strict_parameters=True, allow_unknown_parameters=True)
    with pytest.raises(nbexec.ParameterError, match="epochs"):
        nbexec.execute_notebook(notebook, out, parameters={"epochs": "x"}, prepare_only=True,
                                strict_parameters=True, allow_unknown_parameters=True)
    nbexec.execute_notebook(notebook, out, parameters={"epochs": "x"}, prepare_only=True,
                            strict_parameters=True, check_parameters=False)
    assert 'epochs = "x"' in injected(out)


ARGS = (3, 2, "1 / 0", "ZeroDivisionError", "division by zero",
        ["\x1b[0;31m---------\x1b[0m", "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"])


def test_the_message_and_attributes_are_papermills():
    papermill_exceptions = pytest.importorskip("papermill.exceptions")
    ours = nbexec.PapermillExecutionError(*ARGS)
    theirs = papermill_exceptions.PapermillExecutionError(*ARGS)
    assert str(ours) == str(theirs)
    assert "\x1b" not in str(ours)
    assert ours.args == theirs.args
    for name in ("cell_index", "exec_count", "source", "ename", "evalue", "traceback"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert str(nbexec.ExecutionError(0, None, "", "E", "v", [])) == str(
        papermill_exceptions.PapermillExecutionError(0, None, "", "E", "v", []))


def test_the_error_is_papermills_class_too_once_papermill_is_imported():
    papermill_exceptions = pytest.importorskip("papermill.exceptions")
    error = nbexec.exceptions.execution_error(*ARGS)
    assert isinstance(error, papermill_exceptions.PapermillExecutionError)
    assert isinstance(error, papermill_exceptions.PapermillException)
    assert isinstance(error, nbexec.ExecutionError) and isinstance(error, nbexec.Error)
    assert nbexec.exceptions.execution_error(*ARGS).__class__ is type(error)  # one class
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and copy.args == error.args


# Runs in a fresh interpreter: whether papermill was imported before the failure decides
# whether `except papermill.exceptions.PapermillExecutionError` catches nbexec's error.
SCRIPT = textwrap.dedent("""
    import sys
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("1 / 0")])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "P"}
    nbformat.write(nb, sys.argv[1])
    import nbexec as pm
    if sys.argv[2] == "papermill":
        import papermill
    try:
        pm.execute_notebook(sys.argv[1], sys.argv[1] + ".out", progress_bar=False)
    except pm.PapermillExecutionError as error:
        caught = "nbexec"
        if "papermill" in sys.modules:
            import papermill.exceptions
            if isinstance(error, papermill.exceptions.PapermillExecutionError):
                caught = "both"
        print(caught, error.cell_index, error.exec_count, error.ename, "papermill" in sys.modules)
        print(str(error).splitlines()[2])
""")


@pytest.mark.parametrize("imports, expected", [("papermill", "both"), ("nothing", "nbexec")])
def test_except_papermill_catches_a_failing_cell_run_by_nbexec(tmp_path, imports, expected):
    if imports == "papermill":
        pytest.importorskip("papermill")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "nb.ipynb"), imports],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"{expected} 1 2 ZeroDivisionError {imports == 'papermill'}"
    assert lines[1] == 'Exception encountered at "In [2]":'
