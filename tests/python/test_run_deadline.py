"""`--deadline SECONDS` / `execute_notebook(deadline=...)`: a limit for the whole run, kernel
start included, on a real ipykernel. Past it the running cell is stopped and marked
(metadata.nbexec.stop_reason "deadline"), the kernel shut down, the notebook saved, and the run
ends with exit 3 / nbexec.TimeoutError; nothing is left behind (each test has its own
JUPYTER_RUNTIME_DIR)."""

from __future__ import annotations

import json
import logging
import os
import re
import time

import jsonschema
import pytest
from fake_kernel.harness import assert_nothing_left, started_pid
from helpers import REPO, code_cells, read_valid, stream_text

import nbexec

SCHEMA = json.loads((REPO / "docs" / "events.schema.json").read_text())
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


@pytest.fixture
def runtime_env(tmp_path):
    runtime_dir = tmp_path / "runtime"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime_dir))
    return runtime_dir, env


def assert_cut_short(cell, reason):
    assert cell.metadata.papermill.status == "failed"
    assert cell.metadata.papermill.exception is True
    assert cell.metadata.nbexec.stop_reason == reason


SLEEPER = ["print('first', flush=True)", "import time; time.sleep(30)", "print('after')"]


def test_deadline_stops_the_running_cell_saves_and_exits_3(run_cli, write_notebook, tmp_path,
                                                           runtime_env):
    runtime_dir, env = runtime_env
    out = tmp_path / "out.ipynb"
    started = time.monotonic()
    proc = run_cli("run", write_notebook(SLEEPER), out, "--deadline", "3", env=env)
    elapsed = time.monotonic() - started
    assert proc.returncode == 3, proc.stderr
    assert elapsed < 8, elapsed  # not the 30 s the cell asked for
    assert "the run did not finish within its deadline of 3 s; cell 1 was cut short" in proc.stderr
    cells = code_cells(read_valid(out))  # nbformat.validate
    assert stream_text(cells[0]) == "first\n"
    assert cells[0].metadata.papermill.status == "completed"
    assert_cut_short(cells[1], "deadline")
    assert cells[2].metadata.papermill.status == "pending"
    assert cells[2].outputs == []
    assert_nothing_left(runtime_dir, [started_pid(proc.stderr)])


def test_deadline_run_end_event_says_timeout_and_names_the_deadline(run_cli, write_notebook,
                                                                    tmp_path, runtime_env):
    runtime_dir, env = runtime_env
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", write_notebook(SLEEPER), out, "--deadline", "3", "--log-format",
                   "json", env=env)
    assert proc.returncode == 3, proc.stderr
    events = [json.loads(line) for line in proc.stderr.splitlines()]
    for event in events:
        jsonschema.validate(event, SCHEMA)
    end = events[-1]
    assert (end["event"], end["status"], end["exit_code"]) == ("run_end", "timeout", 3)
    assert "deadline of 3 s" in end["error"]
    assert [e["status"] for e in events if e["event"] == "cell_end"] == ["completed", "timeout"]
    pid = next(e["pid"] for e in events if e["event"] == "kernel_ready")
    assert_cut_short(code_cells(read_valid(out))[1], "deadline")
    assert_nothing_left(runtime_dir, [pid])


def test_deadline_shorter_than_kernel_start_exits_3_and_cleans_up(run_cli, write_notebook,
                                                                  tmp_path, runtime_env):
    """0.05 s passes before or while the kernel starts (test_kernel_faults.py pins down the
    second case with a fake kernel that never answers)."""
    runtime_dir, env = runtime_env
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", write_notebook(SLEEPER), out, "--deadline", "0.05", "--log-level",
                   "DEBUG", env=env)
    assert proc.returncode == 3, proc.stderr
    assert "did not finish within its deadline of 0.05 s; it passed " in proc.stderr
    assert "started (pid" not in proc.stderr  # the run never got to a ready kernel
    pids = [int(p) for p in re.findall(r"kernel started, pid (\d+)", proc.stderr)]
    cells = code_cells(read_valid(out))  # saved as it stood: nothing ran, nothing marked
    assert all(c.outputs == [] and c.execution_count is None for c in cells)
    assert all("nbexec" not in c.metadata for c in cells)
    assert_nothing_left(runtime_dir, pids)


def test_execution_timeout_first_wins_over_the_deadline(run_cli, write_notebook, tmp_path,
                                                        runtime_env):
    runtime_dir, env = runtime_env
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", write_notebook(SLEEPER), out, "--execution-timeout", "1",
                   "--deadline", "25", env=env)
    assert proc.returncode == 3, proc.stderr
    assert "cell 1 did not finish within 1 s" in proc.stderr
    assert "deadline of" not in proc.stderr
    assert_cut_short(code_cells(read_valid(out))[1], "timeout")
    assert_nothing_left(runtime_dir, [started_pid(proc.stderr)])


def test_deadline_first_wins_and_ignores_interrupt_on_timeout(run_cli, write_notebook, tmp_path,
                                                              runtime_env):
    runtime_dir, env = runtime_env
    out = tmp_path / "out.ipynb"
    started = time.monotonic()
    proc = run_cli("run", write_notebook(SLEEPER), out, "--execution-timeout", "25",
                   "--interrupt-on-timeout", "--deadline", "3", env=env)
    assert time.monotonic() - started < 8
    assert proc.returncode == 3, proc.stderr
    assert "deadline of 3 s" in proc.stderr
    assert "going on" not in proc.stderr
    cells = code_cells(read_valid(out))
    assert_cut_short(cells[1], "deadline")
    assert cells[2].metadata.papermill.status == "pending"  # the run did not go on
    assert_nothing_left(runtime_dir, [started_pid(proc.stderr)])


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan", "inf", "1e-9", "3s", ""])
def test_bad_deadline_is_a_usage_error(run_cli, write_notebook, tmp_path, value):
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", write_notebook(SLEEPER), out, f"--deadline={value}")
    assert proc.returncode == 2, proc.stderr
    if value:
        expected = f"--deadline takes a number of seconds from 0.001 to 1e9, not '{value}'"
    else:  # CLI11's own words for a missing value
        expected = "--deadline: 1 required FLOAT:SECONDS missing"
    assert expected in proc.stderr
    assert not out.exists()


def test_python_deadline_raises_timeout_error_after_saving(write_notebook, tmp_path, monkeypatch,
                                                           caplog):
    runtime_dir = tmp_path / "runtime"
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime_dir))
    caplog.set_level(logging.INFO, logger="nbexec")
    out = tmp_path / "out.ipynb"
    with pytest.raises(TimeoutError) as info:  # the builtin catches nbexec's
        nbexec.execute_notebook(write_notebook(SLEEPER), out, deadline=3, progress_bar=False)
    assert isinstance(info.value, nbexec.TimeoutError)
    message = str(info.value)
    assert "deadline of 3 s" in message
    assert not FLAG.search(message), message
    cells = code_cells(read_valid(out))
    assert stream_text(cells[0]) == "first\n"
    assert_cut_short(cells[1], "deadline")
    assert cells[2].metadata.papermill.status == "pending"
    assert_nothing_left(runtime_dir, [started_pid(caplog.text)])


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), True, "3", 1e-9])
def test_python_bad_deadline_is_a_value_error(write_notebook, tmp_path, value):
    out = tmp_path / "out.ipynb"
    with pytest.raises(ValueError, match="deadline must be a number of seconds"):
        nbexec.execute_notebook(write_notebook(SLEEPER), out, deadline=value, progress_bar=False)
    assert not out.exists()
