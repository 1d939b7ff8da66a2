"""Faults in a sweep, on real ipykernels forked from a template: a signal mid-sweep, a kernel
killed mid-run. Each test checks the exit code, the saved notebooks and that no kernel,
template or connection file is left behind (the runtime directory is the test's own)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook


def write_notebook(path, *sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def env(tmp_path):
    environment = dict(os.environ)
    environment["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    return environment


def descendants(pid):
    try:
        return {p.pid for p in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def assert_nothing_left(pids, runtime_dir, timeout=10):
    deadline = time.monotonic() + timeout
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {p for p in alive if psutil.pid_exists(p)
                 and psutil.Process(p).status() != psutil.STATUS_ZOMBIE}
        time.sleep(0.05)
    assert not alive, f"processes left behind: {alive}"
    left = list(runtime_dir.iterdir()) if runtime_dir.exists() else []
    assert left == [], f"files left in the runtime directory: {left}"


def events_until(proc, wanted, limit=90):
    """Reads JSON events from the sweep's stderr until wanted(events) holds."""
    events = []
    deadline = time.monotonic() + limit
    while not wanted(events):
        assert time.monotonic() < deadline, events[-5:]
        line = proc.stderr.readline()
        assert line, f"the sweep ended early: {events[-5:]}"
        if line.startswith("{"):
            events.append(json.loads(line))
    return events


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_sweep_saves_every_running_notebook_and_ends_every_process(
        cli, tmp_path, env, signum):
    nb = write_notebook(tmp_path / "in.ipynb", "seed = 0",
                        "print('started', seed, flush=True)\nimport time\ntime.sleep(60)")
    grid = tmp_path / "grid.yaml"
    grid.write_text("seed: [0, 1, 2, 3, 4, 5]\n")
    proc = subprocess.Popen(
        [cli, "sweep", str(nb), str(tmp_path / "out-{seed}.ipynb"), "--grid", str(grid),
         "-j", "2", "--log-format", "json", "--summary", str(tmp_path / "summary.jsonl")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        def both_sleeping(events):
            return sum(1 for e in events if e.get("event") == "cell_output"
                       and "started" in e.get("text", "")) >= 2
        events = events_until(proc, both_sleeping)
        processes = descendants(proc.pid)
        assert len(processes) >= 3  # two kernels and their template, at least
        time.sleep(0.2)
        proc.send_signal(signum)
        rest = proc.stderr.read()
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 128 + signum, rest[-3000:]
    events += [json.loads(line) for line in rest.splitlines() if line.startswith("{")]
    ends = {e["run"]: e for e in events if e.get("event") == "sweep_run_end"}
    assert sorted(ends) == list(range(6))
    running = [i for i, e in ends.items() if e["status"] == "interrupted"]
    assert len(running) == 2
    assert all(e["status"] == "skipped" for i, e in ends.items() if i not in running)
    assert all(e["exit_code"] == 128 + signum for i, e in ends.items() if i in running)
    final = events[-1]
    assert final["event"] == "sweep_end" and final["exit_code"] == 128 + signum
    for i in running:
        saved = nbformat.read(str(tmp_path / f"out-{i}.ipynb"), as_version=4)
        cell = saved.cells[-1]
        assert cell.metadata["nbexec"]["stop_reason"] == "interrupted"
        assert "started" in "".join(o.get("text", "") for o in cell.outputs)
    for i in set(range(6)) - set(running):
        assert not (tmp_path / f"out-{i}.ipynb").exists()
    summary = [json.loads(line) for line in
               (tmp_path / "summary.jsonl").read_text().splitlines()]
    assert [row["status"] for row in summary] == [ends[i]["status"] for i in range(6)]
    assert_nothing_left(processes, tmp_path / "runtime")


def test_a_kernel_killed_mid_run_fails_only_its_own_run(cli, tmp_path, env):
    nb = write_notebook(tmp_path / "in.ipynb", "seed = 0",
                        "import os, signal\nif seed == 2:\n    os.kill(os.getpid(), signal.SIGKILL)",
                        "print('survived', seed)")
    grid = tmp_path / "grid.yaml"
    grid.write_text("seed: [0, 1, 2, 3]\n")
    proc = subprocess.Popen(
        [cli, "sweep", str(nb), str(tmp_path / "out-{seed}.ipynb"), "--grid", str(grid),
         "-j", "2", "--summary", str(tmp_path / "summary.csv"), "--log-level", "DEBUG"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    processes = set()
    while proc.poll() is None:
        processes |= descendants(proc.pid)
        time.sleep(0.05)
    stdout, stderr = proc.communicate()
    assert proc.returncode == 1, stderr[-3000:]
    assert "forking kernel" in stderr  # the kernels really were forked
    rows = (tmp_path / "summary.csv").read_text().splitlines()
    header = rows[0].split(",")
    by_index = {}
    for row in rows[1:]:
        fields = dict(zip(header, row.split(",")))
        by_index[int(fields["index"])] = fields
    assert by_index[2]["status"] == "kernel_died" and by_index[2]["exit_code"] == "4"
    for i in (0, 1, 3):
        assert by_index[i]["status"] == "completed", by_index
        saved = nbformat.read(str(tmp_path / f"out-{i}.ipynb"), as_version=4)
        assert "survived" in "".join(o.get("text", "") for o in saved.cells[-1].outputs)
    died = nbformat.read(str(tmp_path / "out-2.ipynb"), as_version=4)
    assert died.cells[1].metadata["nbexec"]["stop_reason"] == "kernel_died"
    assert "killed by signal 9" in stderr
    assert_nothing_left(processes, tmp_path / "runtime")


def test_a_preload_that_cannot_be_forked_warns_once_and_the_sweep_runs(cli, tmp_path, env):
    (tmp_path / "threaded_preload.py").write_text(
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(60,), daemon=True, name='poller').start()\n")
    nb = write_notebook(tmp_path / "in.ipynb", "seed = 0", "print(seed)")
    grid = tmp_path / "grid.yaml"
    grid.write_text("seed: [0, 1, 2]\n")
    done = subprocess.run(
        [cli, "sweep", str(nb), str(tmp_path / "out-{seed}.ipynb"), "--grid", str(grid),
         "-j", "2", "--cwd", str(tmp_path), "--preload", "threaded_preload"],
        capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    warnings = [line for line in done.stderr.splitlines() if "will not be forked" in line]
    assert len(warnings) == 1, done.stderr
    assert "threads are running in the template" in warnings[0] and "poller" in warnings[0]
    for i in range(3):
        assert (tmp_path / f"out-{i}.ipynb").exists()
    assert list((tmp_path / "runtime").iterdir()) == []
