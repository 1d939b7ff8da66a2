"""nbexec.sweep against a real ipykernel: grids as a dict, a list or a file, one record per run
with its scraps, failures that stay their own run's, and bad input refused before anything is
written."""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import threading
import time

import pytest

import nbexec
from helpers import code_cells, read_valid, stream_text

PARAMETERS = "alpha = 1\nseed = 0"
CELLS = [
    "if alpha == 2:\n    raise ValueError(f'no alpha {alpha}')",
    "import nbexec\nnbexec.record('score', alpha * 10 + seed)",
    "print(f'alpha={alpha} seed={seed}')",
]


@pytest.fixture
def notebook(write_notebook, tmp_path, monkeypatch):
    (tmp_path / "runtime").mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    return write_notebook(CELLS, parameters_cell=PARAMETERS)


def test_a_dict_grid_is_every_combination_with_its_scraps(notebook, tmp_path):
    records = nbexec.sweep(notebook, tmp_path / "out" / "a{alpha}-s{seed}.ipynb",
                           {"alpha": [1, 3], "seed": [5, 6]}, jobs=2)
    assert [r.index for r in records] == [0, 1, 2, 3]
    assert [r.parameters for r in records] == [
        {"alpha": 1, "seed": 5}, {"alpha": 1, "seed": 6},
        {"alpha": 3, "seed": 5}, {"alpha": 3, "seed": 6}]
    for r in records:
        assert (r.status, r.exit_code, r.error, r.ok) == ("completed", 0, "", True), r
        assert r.scraps == {"score": r.parameters["alpha"] * 10 + r.parameters["seed"]}
        assert r.seconds > 0
        assert r.output_path == str(
            tmp_path / "out" / f"a{r.parameters['alpha']}-s{r.parameters['seed']}.ipynb")
        nb = read_valid(r.output_path)
        assert stream_text(code_cells(nb)[-1]) == \
            f"alpha={r.parameters['alpha']} seed={r.parameters['seed']}\n"
        assert nb.metadata.papermill.parameters == r.parameters


def test_a_list_grid_fixed_parameters_and_a_failed_run_that_stops_nothing(notebook, tmp_path):
    records = nbexec.sweep(notebook, str(tmp_path / "run-{run}.ipynb"),
                           [{"alpha": 2}, {"alpha": 4, "seed": 1}, {}],
                           parameters={"seed": 9}, jobs=2)
    assert [r.parameters for r in records] == [
        {"seed": 9, "alpha": 2}, {"seed": 1, "alpha": 4}, {"seed": 9}]
    failed, second, third = records
    assert (failed.status, failed.exit_code, failed.ok) == ("failed", 1, False)
    assert "ValueError" in failed.error
    assert failed.scraps == {}
    assert (tmp_path / "run-0.ipynb").exists()  # the failed run's notebook is saved too
    assert (second.status, second.scraps) == ("completed", {"score": 41})
    assert (third.status, third.scraps) == ("completed", {"score": 19})


def test_a_grid_file(notebook, tmp_path):
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps({"seed": [7]}))
    (record,) = nbexec.sweep(notebook, tmp_path / "{seed}.ipynb", grid, jobs=1)
    assert (record.status, record.scraps) == ("completed", {"score": 17})


def test_an_unknown_name_under_strict_checks_raises_before_anything_is_written(notebook,
                                                                               tmp_path):
    out = tmp_path / "strict"
    with pytest.raises(nbexec.ParameterError, match="gamma"):
        nbexec.sweep(notebook, out / "{run}.ipynb", {"alpha": [1], "gamma": [1, 2]})
    assert not out.exists()
    # Bad grids and shards are refused the same way, with nbexec's exception classes.
    with pytest.raises(nbexec.ParameterError, match="list"):
        nbexec.sweep(notebook, out / "{run}.ipynb", {"alpha": 1})
    with pytest.raises(nbexec.ParameterError):
        nbexec.sweep(notebook, out / "same.ipynb", {"alpha": [1, 3]})  # one path for two runs
    with pytest.raises(nbexec.UsageError):
        nbexec.sweep(notebook, out / "{run}.ipynb", {"alpha": [1]}, shard="3/2")
    with pytest.raises(TypeError):
        nbexec.sweep(notebook, out / "{run}.ipynb", {"alpha": [object()]})
    assert not out.exists()


def test_fail_fast_starts_no_run_after_a_failure(notebook, tmp_path):
    records = nbexec.sweep(notebook, tmp_path / "ff-{run}.ipynb",
                           {"alpha": [2, 1, 3]}, jobs=1, fail_fast=True)
    assert [r.status for r in records] == ["failed", "skipped", "skipped"]
    # A skipped run did not fail: nbexec run's exit code for it is 0; its error says why.
    assert [r.exit_code for r in records] == [1, 0, 0]
    assert all(r.error.startswith("not started") for r in records[1:]), records
    assert not (tmp_path / "ff-1.ipynb").exists()


def test_a_preload_that_fails_to_import_is_a_warning_and_the_runs_complete(notebook, tmp_path,
                                                                           caplog):
    with caplog.at_level(logging.WARNING, logger="nbexec"):
        records = nbexec.sweep(notebook, tmp_path / "p-{run}.ipynb", {"seed": [1, 2]}, jobs=2,
                               preload=["nbexec_no_such_module"])
    assert [r.status for r in records] == ["completed", "completed"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("nbexec_no_such_module" in w for w in warnings), caplog.text


def test_ctrl_c_stops_the_sweep_saves_the_running_notebook_and_raises(write_notebook,
                                                                       tmp_path, monkeypatch):
    (tmp_path / "runtime").mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    src = write_notebook(["print('first')", "import time; time.sleep(60)"], name="slow.ipynb",
                         parameters_cell="x = 0")
    fired = []

    def interrupt():
        fired.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.5, interrupt)

    # The interrupt comes once the silent cell runs, however long the kernel took to start.
    class StartTimerOnTheSleep(logging.Handler):
        def emit(self, record):
            if record.getMessage().endswith("Executing cell 3") and not timer.is_alive() \
                    and not fired:
                timer.start()

    handler = StartTimerOnTheSleep()
    logger = logging.getLogger("nbexec")
    logger.addHandler(handler)
    monkeypatch.setattr(logger, "level", logging.INFO)
    # As in test_api: a background job ignores SIGINT unless Python's handler is put back.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            nbexec.sweep(src, tmp_path / "slow-{run}.ipynb", {"x": [1, 2, 3]}, jobs=1)
        stopped = time.monotonic()
    finally:
        timer.cancel()
        logger.removeHandler(handler)
        signal.signal(signal.SIGINT, previous)
    assert fired and stopped - fired[0] < 10
    saved = read_valid(tmp_path / "slow-0.ipynb")
    assert stream_text(code_cells(saved)[2]) == "first\n"
    assert not (tmp_path / "slow-2.ipynb").exists()


def test_grid_values_keep_their_python_types():
    # A dict or list grid reaches the core's grid reader as YAML flow text: every value must
    # read back as the value execute_notebook's parameters would carry.
    from nbexec import _core
    from nbexec.sweeps import _grid_text

    values = [1e-05, 5e-324, 1e16, -0.0, 0.1, float("inf"), 2**63 - 1, -2**63, True, None,
              "1e-05", "yes", "it's \"quoted\" \u00e9 \\ \n", [1, [2.5]], {"k": "v", "n": None}]
    text, origin = _grid_text({"v": values})
    runs = _core.plan_sweep(text, origin, "{run}.ipynb", None)
    assert [run["parameters"]["v"] for run in runs] == values
    assert [type(run["parameters"]["v"]) for run in runs] == [type(v) for v in values]
    (nan_run,) = _core.plan_sweep(*_grid_text([{"v": float("nan")}]), "{run}.ipynb", None)
    assert math.isnan(nan_run["parameters"]["v"])
    with pytest.raises(TypeError):
        _grid_text({"v": [2**64]})
    with pytest.raises(TypeError):
        _grid_text({1: [1]})
    with pytest.raises(TypeError):
        _grid_text(42)
