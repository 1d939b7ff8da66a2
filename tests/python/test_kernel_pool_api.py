"""nbexec.KernelPool against a real ipykernel: fresh (forked) kernels for a loop of runs, the
same signature and behaviour as execute_notebook, and nothing left behind after the block."""

from __future__ import annotations

import inspect
import logging
import os
import time

import pytest

import nbexec
from helpers import code_cells, read_valid, stream_text

# The notebook names a kernel that does not exist: the pool's kernel_name must be what runs.
CELLS = ["import os\nprint(f'pid={os.getpid()}')", "print(f'value={alpha * 2}:{label}')"]
PARAMETERS = "alpha = 0\nlabel = 'none'"


def _gone(pid: int) -> bool:
    """The process has exited (a zombie not yet reaped counts as gone: it runs nothing)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open(f"/proc/{pid}/status") as status:
            return any(line.split() == ["State:", "Z", "(zombie)"] for line in status)
    except OSError:
        return True


def _all_gone(pids, within=5.0) -> bool:
    # Forked kernels are the template's children; after it ends, init reaps them.
    end = time.monotonic() + within
    while time.monotonic() < end:
        if all(_gone(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return all(_gone(pid) for pid in pids)


@pytest.fixture
def runtime_dir(tmp_path, monkeypatch):
    folder = tmp_path / "runtime"
    folder.mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(folder))
    return folder


def test_three_runs_on_three_fresh_kernels_and_nothing_left(write_notebook, tmp_path,
                                                            runtime_dir):
    src = write_notebook(CELLS, kernel="no-such-kernel", parameters_cell=PARAMETERS)
    pids = []
    with nbexec.KernelPool("python3", size=2) as pool:
        for alpha, label in ((1, "a"), (2, "b"), (3, "c")):
            out = tmp_path / f"out-{alpha}.ipynb"
            nb = pool.execute_notebook(src, out, parameters={"alpha": alpha, "label": label},
                                       progress_bar=False)
            cells = code_cells(read_valid(out))
            assert stream_text(cells[-1]) == f"value={alpha * 2}:{label}\n"
            assert nb["metadata"]["papermill"]["parameters"] == {"alpha": alpha, "label": label}
            pids.append(int(stream_text(cells[-2]).strip().split("=")[1]))
        stats = pool.stats()
        templates = stats["template_pids"]
    assert len(set(pids)) == 3, pids  # every run in a kernel no cell had run in
    assert stats["started"] >= 3
    assert stats["forked"] >= 1
    assert stats["fork_fallback"] == ""
    assert len(templates) == 1
    assert _all_gone(pids + templates), [p for p in pids + templates if not _gone(p)]
    assert os.listdir(runtime_dir) == []
    assert pool.stats()["template_pids"] == []


def test_execute_notebook_has_execute_notebooks_signature():
    pool = nbexec.KernelPool(size=1)
    try:
        assert inspect.signature(pool.execute_notebook) == \
            inspect.signature(nbexec.execute_notebook)
    finally:
        pool.shutdown()


def test_errors_are_execute_notebooks_and_the_pool_refuses_runs_after_shutdown(
        write_notebook, tmp_path, runtime_dir):
    failing = write_notebook(["raise ValueError('boom')"], name="fails.ipynb")
    with nbexec.KernelPool(size=1, fork=False) as pool:
        with pytest.raises(nbexec.ExecutionError) as caught:
            pool.execute_notebook(failing, tmp_path / "fails-out.ipynb", progress_bar=False)
        assert caught.value.ename == "ValueError"
        with pytest.raises(TypeError):
            pool.execute_notebook(failing, None, no_such_keyword=1)
        assert pool.stats()["forked"] == 0
    with pytest.raises(nbexec.KernelError):
        pool.execute_notebook(failing, None, progress_bar=False)
    pool.shutdown()  # idempotent


def test_a_preload_that_fails_to_import_is_a_warning_and_runs_go_on(write_notebook, tmp_path,
                                                                     runtime_dir, caplog):
    src = write_notebook(CELLS, parameters_cell=PARAMETERS)
    with caplog.at_level(logging.WARNING, logger="nbexec"):
        with nbexec.KernelPool(size=1, preload=["nbexec_no_such_module"]) as pool:
            pool.execute_notebook(src, tmp_path / "out.ipynb", parameters={"alpha": 4},
                                  progress_bar=False)
            stats = pool.stats()
    assert stream_text(code_cells(read_valid(tmp_path / "out.ipynb"))[-1]) == "value=8:none\n"
    assert "nbexec_no_such_module" in stats["fork_fallback"]
    assert stats["forked"] == 0
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("will not be forked" in r.getMessage() for r in warnings), caplog.text


def test_bad_arguments_are_refused_before_anything_starts():
    with pytest.raises(ValueError):
        nbexec.KernelPool(size=0)
    with pytest.raises(TypeError):
        nbexec.KernelPool(preload=[1])


def test_warm_up_starts_kernels_before_the_first_run(write_notebook, tmp_path, runtime_dir):
    src = write_notebook(CELLS, parameters_cell=PARAMETERS)
    with nbexec.KernelPool("python3", size=2) as pool:
        pool.warm_up(cwd=tmp_path)
        end = time.monotonic() + 30
        while pool.stats()["started"] < 2 and time.monotonic() < end:
            time.sleep(0.05)
        assert pool.stats()["started"] == 2  # both slots, before any run asked
        pool.execute_notebook(src, tmp_path / "out.ipynb", parameters={"alpha": 1},
                              progress_bar=False, cwd=tmp_path)
        stats = pool.stats()
        # Another folder is another kernel: the warm one gives its slot up, the run still runs.
        other = tmp_path / "elsewhere"
        other.mkdir()
        pool.execute_notebook(src, tmp_path / "out2.ipynb", progress_bar=False, cwd=other)
    assert stats["warm_hits"] == 1
    assert stream_text(code_cells(read_valid(tmp_path / "out2.ipynb"))[-1]) == "value=0:none\n"
    with nbexec.KernelPool() as pool:
        with pytest.raises(ValueError, match="kernel name"):
            pool.warm_up()
        with pytest.raises(nbexec.KernelNotFoundError):
            pool.warm_up("no-such-kernel")
