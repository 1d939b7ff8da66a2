"""Kernel death, deadlines and signals: a distinct exit code, the notebook saved, nothing left."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest
from helpers import code_cells, read_valid, stream_text


def _kernel_pid(stderr: str) -> int:
    match = re.search(r"started \(pid (\d+)\)", stderr)
    assert match, stderr
    return int(match.group(1))


def _gone(pid: int, wait: float = 3.0) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_kernel_death_exits_4_and_saves_outputs(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print('before')", "import os; os._exit(1)", "print('after')"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out)
    assert proc.returncode == 4, proc.stderr
    assert "kernel died" in proc.stderr
    cells = code_cells(read_valid(out))
    assert stream_text(cells[0]) == "before\n"
    assert cells[2].outputs == []
    assert _gone(_kernel_pid(proc.stderr))


def test_execution_timeout_exits_3_and_saves_outputs(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print('start', flush=True)", "import time; time.sleep(60)"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "--execution-timeout", "1")
    assert proc.returncode == 3, proc.stderr
    assert "--execution-timeout" in proc.stderr
    assert stream_text(code_cells(read_valid(out))[0]) == "start\n"
    assert _gone(_kernel_pid(proc.stderr))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_run_saves_and_exits_128_plus_n(cli, write_notebook, tmp_path, signum):
    src = write_notebook(["print('first', flush=True)", "import time; time.sleep(60)"])
    out = tmp_path / "out.ipynb"
    proc = subprocess.Popen([cli, "run", str(src), str(out)], stderr=subprocess.PIPE, text=True)
    stderr = ""
    # Wait until the long cell is running.
    while "Executing cell 1" not in stderr:
        line = proc.stderr.readline()
        assert line, stderr
        stderr += line
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signum)
    rest = proc.stderr.read()
    code = proc.wait(timeout=10)
    assert time.monotonic() - sent < 5
    assert code == 128 + signum, stderr + rest
    assert stream_text(code_cells(read_valid(out))[0]) == "first\n"
    assert _gone(_kernel_pid(stderr))
