"""The same lifecycle flows on a real ipykernel: success, cell error, timeout, death (exit and
SIGKILL), SIGTERM/SIGINT to nbexec, and a flood of output. Each checks the exit code, the saved
notebook, and that no kernel process, zombie or connection file remains (every test has its
own JUPYTER_RUNTIME_DIR)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from fake_kernel.harness import assert_nothing_left, started_pid
from helpers import code_cells, read_valid, stream_text


def assert_stopped_cell(cell, reason):
    """A cell cut short is marked failed, as papermill marks a failed cell, and says why."""
    assert cell.metadata.papermill.status == "failed"
    assert cell.metadata.papermill.exception is True
    assert cell.metadata.nbexec.stop_reason == reason
    assert cell.metadata.papermill.end_time is not None


@pytest.fixture
def runtime_env(tmp_path):
    runtime_dir = tmp_path / "runtime"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime_dir))
    return runtime_dir, env


def test_success_leaves_nothing_behind(run_cli, write_notebook, tmp_path, runtime_env):
    runtime_dir, env = runtime_env
    src = write_notebook(["print('ok')"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, env=env)
    assert proc.returncode == 0, proc.stderr
    assert stream_text(code_cells(read_valid(out))[0]) == "ok\n"
    assert_nothing_left(runtime_dir, [started_pid(proc.stderr)])


def test_cell_error_exits_1_and_leaves_nothing(run_cli, write_notebook, tmp_path, runtime_env):
    runtime_dir, env = runtime_env
    src = write_notebook(["print('before')", "1/0", "print('after')"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, env=env)
    assert proc.returncode == 1, proc.stderr
    assert "ZeroDivisionError" in proc.stderr
    cells = code_cells(read_valid(out))
    assert cells[1].outputs[-1].output_type == "error"
    assert cells[2].outputs == []
    assert_nothing_left(runtime_dir, [started_pid(proc.stderr)])


def test_kernel_exit_exits_4_and_saves_outputs(run_cli, write_notebook, tmp_path, runtime_env):
    runtime_dir, env = runtime_env
    src = write_notebook(["print('before')", "import os; os._exit(1)", "print('after')"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, env=env)
    assert proc.returncode == 4, proc.stderr
    assert "kernel died" in proc.stderr
    assert "exited with status 1" in proc.stderr
    cells = code_cells(read_valid(out))
    assert stream_text(cells[0]) == "before\n"
    assert cells[2].outputs == []
    assert_nothing_left(runtime_dir, [started_pid(proc.stderr)])


def test_sigkill_mid_cell_is_noticed_within_2_seconds(run_cli, write_notebook, tmp_path,
                                                      runtime_env):
    runtime_dir, env = runtime_env
    stamp = tmp_path / "killed-at"
    src = write_notebook([
        "print('before', flush=True)",
        "import os, signal, time\n"
        "print('partial', flush=True)\n"
        "time.sleep(0.5)\n"
        f"open({str(stamp)!r}, 'w').write(repr(time.time()))\n"
        "os.kill(os.getpid(), signal.SIGKILL)",
        "print('after')",
    ])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, env=env)
    ended = time.time()
    assert proc.returncode == 4, proc.stderr
    assert "killed by signal 9" in proc.stderr
    assert ended - float(stamp.read_text()) < 2.0
    cells = code_cells(read_valid(out))
    assert stream_text(cells[0]) == "before\n"
    assert stream_text(cells[1]) == "partial\n"
    assert cells[2].outputs == []
    assert_stopped_cell(cells[1], "kernel_died")
    assert cells[2].metadata.papermill.status == "pending"
    assert_nothing_left(runtime_dir, [started_pid(proc.stderr)])


def test_execution_timeout_exits_3_and_saves_outputs(run_cli, write_notebook, tmp_path,
                                                     runtime_env):
    runtime_dir, env = runtime_env
    src = write_notebook(["print('start', flush=True)", "import time; time.sleep(60)"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "--execution-timeout", "1", env=env)
    assert proc.returncode == 3, proc.stderr
    assert "--execution-timeout" in proc.stderr
    cells = code_cells(read_valid(out))
    assert stream_text(cells[0]) == "start\n"
    assert_stopped_cell(cells[1], "timeout")
    assert cells[0].metadata.papermill.status == "completed"
    assert_nothing_left(runtime_dir, [started_pid(proc.stderr)])


def test_interrupt_on_timeout_goes_on_and_exits_3(run_cli, write_notebook, tmp_path,
                                                  runtime_env):
    runtime_dir, env = runtime_env
    src = write_notebook(["import time; time.sleep(60)", "print('after', flush=True)"])
    out = tmp_path / "out.ipynb"
    started = time.monotonic()
    proc = run_cli("run", src, out, "--execution-timeout", "1", "--interrupt-on-timeout",
                   env=env)
    assert time.monotonic() - started < 30
    assert proc.returncode == 3, proc.stderr
    assert "interrupting it and going on" in proc.stderr
    cells = code_cells(read_valid(out))
    # The interrupt's KeyboardInterrupt is kept, as nbclient keeps it, and the next cell ran.
    assert [o.ename for o in cells[0].outputs if o.output_type == "error"] == ["KeyboardInterrupt"]
    assert cells[0].metadata.papermill.status == "failed"
    assert cells[0].metadata.nbexec.stop_reason == "timeout"
    assert stream_text(cells[1]) == "after\n"
    assert cells[1].metadata.papermill.status == "completed"
    assert_nothing_left(runtime_dir, [started_pid(proc.stderr)])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_run_saves_and_exits_128_plus_n(cli, write_notebook, tmp_path, signum,
                                                         runtime_env):
    runtime_dir, env = runtime_env
    src = write_notebook(["print('first', flush=True)", "import time; time.sleep(60)"])
    out = tmp_path / "out.ipynb"
    proc = subprocess.Popen([cli, "run", str(src), str(out)], stderr=subprocess.PIPE, text=True,
                            env=env)
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
    nb = read_valid(out)
    cells = code_cells(nb)
    assert stream_text(cells[0]) == "first\n"
    assert_stopped_cell(cells[1], "interrupted")
    assert nb.metadata.papermill.exception is True
    assert nb.metadata.papermill.end_time is not None
    assert_nothing_left(runtime_dir, [started_pid(stderr)])


def test_a_million_lines_all_reach_the_notebook(run_cli, write_notebook, tmp_path, runtime_env):
    runtime_dir, env = runtime_env
    n = 10**6
    src = write_notebook([f"for i in range({n}):\n    print(i)"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = stream_text(code_cells(read_valid(out))[0])
    assert text == "".join(f"{i}\n" for i in range(n))
    assert_nothing_left(runtime_dir, [started_pid(proc.stderr)])
