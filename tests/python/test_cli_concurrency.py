"""32 nbexec runs started at once on real ipykernels (jupyter_client #487, papermill #511:
parallel runs racing for ports): every run succeeds, and nothing is left behind."""

from __future__ import annotations

import os
import subprocess

from fake_kernel.harness import assert_nothing_left, started_pid
from helpers import code_cells, read_valid, stream_text

RUNS = 32


def test_32_runs_at_once_on_ipykernel_all_succeed(cli, write_notebook, tmp_path):
    runtime = tmp_path / "runtime"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime))
    src = write_notebook(["import os; print(os.getpid())"], parameters_cell="run = 0")
    procs = [
        subprocess.Popen([cli, "run", str(src), str(tmp_path / f"out-{i}.ipynb"), "-p", "run",
                          str(i), "--start-timeout", "240"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for i in range(RUNS)
    ]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    for proc in procs:
        proc.stdout.close()
        proc.stderr.close()
    failed = [(i, code, err) for i, (code, err) in enumerate(results) if code != 0]
    for i, code, err in failed:  # whole, where the assertion message would cut it
        print(f"--- run {i} exited {code}; its stderr:\n{err}")
    assert not failed, [(i, code) for i, code, _ in failed]
    kernel_pids = {started_pid(err) for _, err in results}
    assert len(kernel_pids) == RUNS
    for i in range(RUNS):
        nb = read_valid(tmp_path / f"out-{i}.ipynb")
        cells = code_cells(nb)
        assert cells[1].source == f"# Parameters\nrun = {i}\n"
        assert int(stream_text(cells[2])) in kernel_pids
    assert_nothing_left(runtime, kernel_pids, grace=5)
