"""nbexec as a papermill engine: `papermill IN OUT --engine nbexec` and
`papermill.execute_notebook(..., engine_name="nbexec")`, against papermill's default engine on
a real ipykernel.

papermill keeps reading, parameterizing, recording its metadata and writing; the cells run on
nbexec's C++ engine. The output notebooks of both engines are compared (cells, sources, outputs,
execution counts, papermill's metadata keys and statuses, language_info; not times), and so are
the failure papermill raises, the banner cells it writes, the log lines and stream files. The
CLI runs start together on threads (papermill takes 2-3 s to start).
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from helpers import code_cells, make_notebook, read_valid, stream_text
from nbformat.v4 import new_markdown_cell

papermill = pytest.importorskip("papermill")
import papermill.engines  # noqa: E402

import nbexec  # noqa: E402

PAPERMILL = Path(sys.executable).parent / "papermill"
ERROR_TAG = "papermill-error-cell-tag"
ENV = {**os.environ, "COLUMNS": "80", "LINES": "24", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ADDRESS = re.compile(r"0x[0-9a-f]{6,16}")
TIMES = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d[.,\d]*(Z|\+00:00)?")

OK_CELLS = [
    new_markdown_cell("# A title"),
    "import sys\nprint('n is', n)\nprint('to stderr', file=sys.stderr)",
    "",  # an empty code cell: neither engine runs it
    "from IPython.display import display, HTML\ndisplay(HTML('<b>bold</b>'))\n{'n': n * 2}",
    new_markdown_cell("between"),
    "for i in range(n):\n    print(i)",
    new_markdown_cell("the end"),
]
FAILING_CELLS = [
    "print('before')",
    new_markdown_cell("just before the error"),
    "raise ValueError('no good: ' + str(n))",
    "print('never')",
    new_markdown_cell("after"),
]


def _write(path: Path, cells) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(make_notebook(cells, parameters_cell="n = 1"), str(path))
    return path


def _papermill_cli(folder: Path, engine, *args):
    """`papermill in.ipynb out.ipynb ARGS` in `folder`, with or without --engine."""
    command = [str(PAPERMILL), "in.ipynb", "out.ipynb", "-p", "n", "3", "--no-progress-bar",
               *args]
    if engine:
        command += ["--engine", engine]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120,
                          env=ENV)


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """Both engines on a passing and a failing notebook, all four runs at once."""
    root = tmp_path_factory.mktemp("cli")
    jobs = {}
    for case, cells in (("ok", OK_CELLS), ("fail", FAILING_CELLS)):
        # One notebook for both engines: the cell ids are random.
        text = _write(root / f"{case}.ipynb", cells).read_text()
        for engine in (None, "nbexec"):
            folder = root / f"{case}-{engine or 'default'}"
            folder.mkdir()
            (folder / "in.ipynb").write_text(text)
            jobs[case, engine] = (folder, ["--log-output", "--stdout-file", "stdout.txt",
                                           "--stderr-file", "stderr.txt"])
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {key: pool.submit(_papermill_cli, folder, key[1], *args)
                   for key, (folder, args) in jobs.items()}
        return {key: (jobs[key][0], future.result()) for key, future in futures.items()}


def _clean(text):
    return ADDRESS.sub("0x?", ANSI.sub("", text))


def summarize(nb) -> dict:
    """What both engines must agree on: everything but times."""
    cells = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        entry = {"type": cell.cell_type, "source": cell.source, "tags": tags,
                 # papermill gives the cells it adds random ids
                 "id": None if {"injected-parameters", ERROR_TAG} & set(tags) else cell.get("id")}
        pm = cell.metadata.get("papermill")
        if pm is not None:
            entry["papermill"] = {"keys": sorted(pm), "status": pm["status"],
                                  "exception": pm["exception"],
                                  "timed": pm["start_time"] is not None,
                                  "ended": pm["end_time"] is not None}
        if cell.cell_type == "code":
            entry["execution_count"] = cell.execution_count
            entry["outputs"] = [
                {k: (_clean("\n".join(v)) if k == "traceback" else v)
                 for k, v in output.items()}
                for output in cell.outputs]
            entry["execution"] = sorted(cell.metadata.get("execution", {}))
        cells.append(entry)
    pm = {**nb.metadata.papermill, "output_path": Path(nb.metadata.papermill.output_path).name}
    return {"cells": cells, "language_info": nb.metadata.get("language_info"),
            "kernelspec": nb.metadata.get("kernelspec"),
            "papermill": {**{k: v for k, v in pm.items()
                             if k not in ("start_time", "end_time", "duration")},
                          "keys": sorted(pm), "timed": pm["duration"] is not None}}


def test_the_entry_point_registers_the_engine():
    points = importlib.metadata.entry_points(group="papermill.engine")
    assert [p.value for p in points if p.name == "nbexec"] == [
        "nbexec.papermill_engine:NBExecEngine"]
    from nbexec.papermill_engine import NBExecEngine
    assert papermill.engines.papermill_engines.get_engine("nbexec") is NBExecEngine
    assert issubclass(NBExecEngine, papermill.engines.Engine)


@pytest.mark.parametrize("script", [
    # import nbexec (and the engine module itself) does not import papermill
    "import sys, nbexec, nbexec.papermill_engine\nassert 'papermill' not in sys.modules",
    # asked for first, the engine imports papermill, whose entry points load it again
    "from nbexec.papermill_engine import NBExecEngine\n"
    "from papermill.engines import papermill_engines\n"
    "assert papermill_engines.get_engine('nbexec') is NBExecEngine",
    # papermill first, as its CLI does
    "import papermill\nfrom papermill.engines import papermill_engines\n"
    "import nbexec.papermill_engine as m\n"
    "assert papermill_engines.get_engine('nbexec') is m.NBExecEngine",
])
def test_imports_in_either_order_and_nbexec_alone_does_not_import_papermill(script):
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


@pytest.mark.parametrize("case", ["ok", "fail"])
def test_cli_writes_the_notebook_papermills_engine_writes(cli_runs, case):
    (ours_dir, ours), (theirs_dir, theirs) = cli_runs[case, "nbexec"], cli_runs[case, None]
    assert ours.returncode == theirs.returncode == (0 if case == "ok" else 1), ours.stderr
    ran, expected = read_valid(ours_dir / "out.ipynb"), read_valid(theirs_dir / "out.ipynb")
    assert summarize(ran) == summarize(expected)
    assert ran.metadata.papermill.parameters == {"n": 3}
    if case == "ok":
        assert stream_text(code_cells(ran)[2]) == "n is 3\n"
        assert ran.metadata.language_info["name"] == "python"
    else:
        assert [c.metadata.get("tags") for c in ran.cells].count([ERROR_TAG]) == 2
        assert ran.metadata.papermill.exception is True
        assert "PapermillExecutionError" in ours.stderr
        assert "ValueError: no good: 3" in ours.stderr


def _log_lines(stderr: str) -> list[str]:
    """papermill's log lines without times and without the lines only one engine writes."""
    lines = [TIMES.sub("<time>", line) for line in stderr.splitlines()]
    # nbexec keeps the kernel's own stderr to itself (it reports it when the kernel dies)
    return [line for line in lines
            if "Executing notebook with kernel" not in line and not line.startswith("[IPKernel")]


@pytest.mark.parametrize("case", ["ok", "fail"])
def test_cli_log_output_and_stream_files_match_papermills(cli_runs, case):
    (ours_dir, ours), (theirs_dir, theirs) = cli_runs[case, "nbexec"], cli_runs[case, None]
    for name in ("stdout.txt", "stderr.txt"):
        # click opens the files at the first write: no stream text, no file
        texts = [p.read_text() if p.exists() else None for p in (ours_dir / name,
                                                                    theirs_dir / name)]
        assert texts[0] == texts[1], name
    if case == "ok":
        assert (ours_dir / "stdout.txt").read_text() == "n is 3\n0\n1\n2\n"
        assert (ours_dir / "stderr.txt").read_text() == "to stderr\n"
    ours_log = _log_lines(ours.stderr)
    theirs_log = _log_lines(theirs.stderr)
    # The traceback papermill prints at the end differs only in the engine's frames.
    cut = next((i for i, line in enumerate(theirs_log) if line.startswith("Traceback")), None)
    if cut is not None:
        ours_log = ours_log[:next(i for i, line in enumerate(ours_log)
                                  if line.startswith("Traceback"))]
        theirs_log = theirs_log[:cut]
    assert ours_log == theirs_log
    assert any("Executing Cell 2" in line for line in ours_log)


# ---------------------------------------------------------------------------------------------
# The Python API


def _run(path: Path, out: Path, engine="nbexec", **kwargs):
    out.parent.mkdir(exist_ok=True)
    return papermill.execute_notebook(str(path), str(out), parameters={"n": 3},
                                      engine_name=engine, progress_bar=False, **kwargs)


def test_api_raises_papermills_execution_error_with_the_same_fields(tmp_path):
    path = _write(tmp_path / "in.ipynb", FAILING_CELLS)
    errors = {}
    for engine in ("nbexec", None):
        with pytest.raises(papermill.PapermillExecutionError) as caught:
            _run(path, tmp_path / str(engine) / "out.ipynb", engine)
        errors[engine] = caught.value
    ours, theirs = errors["nbexec"], errors[None]
    for field in ("cell_index", "exec_count", "source", "ename", "evalue"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert _clean("\n".join(ours.traceback)) == _clean("\n".join(theirs.traceback))
    assert (ours.cell_index, ours.ename, ours.evalue) == (4, "ValueError", "no good: 3")
    assert summarize(read_valid(tmp_path / "nbexec" / "out.ipynb")) == summarize(
        read_valid(tmp_path / "None" / "out.ipynb"))


def test_api_stream_files_and_log_output_match_papermills(tmp_path, caplog):
    path = _write(tmp_path / "in.ipynb", OK_CELLS)
    seen = {}
    for engine in ("nbexec", None):
        out, err = io.StringIO(), io.StringIO()
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="papermill"):
            nb = _run(path, tmp_path / str(engine) / "out.ipynb", engine, log_output=True,
                      stdout_file=out, stderr_file=err)
        records = [(r.levelname, r.getMessage().replace(f"/{engine}/", "/"))
                   for r in caplog.records
                   if r.name == "papermill" and "Executing notebook with kernel" not in r.msg]
        seen[engine] = (out.getvalue(), err.getvalue(), records, summarize(nb))
    assert seen["nbexec"] == seen[None]
    assert ("WARNING", "to stderr\n") in seen["nbexec"][2]
    assert ("INFO", "{'n': 6}") in seen["nbexec"][2]


@pytest.mark.parametrize("progress_bar", [False, True, {"desc": "Cells"}])
def test_progress_bar_is_papermills(tmp_path, capsys, progress_bar):
    path = _write(tmp_path / "in.ipynb", ["print(1)", new_markdown_cell("m"), "2"])
    papermill.execute_notebook(str(path), str(tmp_path / "out.ipynb"), engine_name="nbexec",
                               progress_bar=progress_bar)
    err = capsys.readouterr().err
    if not progress_bar:
        assert "cell/s" not in err
    else:
        label = "Cells" if isinstance(progress_bar, dict) else "Executing"
        assert re.search(label + r": 100%.*\| 4/4 ", err), err


def test_cells_run_on_nbexecs_engine_not_on_nbclient(tmp_path, monkeypatch):
    import jupyter_client.manager
    import nbclient

    def refuse(*args, **kwargs):
        raise AssertionError("nbclient or jupyter_client was asked to run the notebook")

    monkeypatch.setattr(nbclient.NotebookClient, "__init__", refuse)
    monkeypatch.setattr(jupyter_client.manager.KernelManager, "__init__", refuse)
    path = _write(tmp_path / "in.ipynb", ["import os\nprint(os.getppid())"])
    # The patches bite: papermill's own engine cannot run.
    with pytest.raises(AssertionError):
        _run(path, tmp_path / "default.ipynb", None)
    nb = _run(path, tmp_path / "out.ipynb")
    # nbexec's core started the kernel from this process, on its worker thread.
    assert stream_text(code_cells(nb)[2]) == f"{os.getpid()}\n"
    assert read_valid(tmp_path / "out.ipynb").cells[2].metadata.papermill.status == "completed"


def test_a_cell_past_its_deadline_raises_timeout_error_after_saving(tmp_path):
    path = _write(tmp_path / "in.ipynb", ["print('started')", "import time\ntime.sleep(60)",
                                          "print('never')"])
    saved, raised = {}, {}
    for engine in ("nbexec", None):
        began = time.monotonic()
        with pytest.raises(TimeoutError) as caught:  # nbclient's CellTimeoutError is one too
            _run(path, tmp_path / str(engine) / "out.ipynb", engine, execution_timeout=1)
        assert time.monotonic() - began < 30
        saved[engine], raised[engine] = read_valid(tmp_path / str(engine) / "out.ipynb"), caught
    assert isinstance(raised["nbexec"].value, nbexec.TimeoutError)
    ours, theirs = summarize(saved["nbexec"]), summarize(saved[None])
    # The cell that timed out: nbclient's shutdown interrupts the kernel and records the
    # KeyboardInterrupt that follows, and the idle status; nbexec stops listening at the
    # deadline (docs/papermill-engine.md).
    stopped = ours["cells"][3], theirs["cells"][3]
    assert [o["ename"] for o in stopped[1]["outputs"]] == ["KeyboardInterrupt"]
    assert stopped[0]["outputs"] == []
    assert set(stopped[0].pop("execution")) < set(stopped[1].pop("execution"))
    stopped[1]["outputs"] = []
    # nbexec knows the kernel's language_info from its start; nbclient asks at the end.
    assert ours.pop("language_info")["name"] == "python" and theirs.pop("language_info") is None
    assert ours == theirs
    nb = saved["nbexec"]
    assert stream_text(nb.cells[2]) == "started\n"
    # papermill's notebook_complete marks every cell completed when none failed
    assert {c.metadata.papermill.status for c in nb.cells} == {"completed"}
    assert nb.metadata.papermill.duration is not None


def test_a_dead_kernel_raises_kernel_died_error_after_saving(tmp_path):
    path = _write(tmp_path / "in.ipynb", [
        "print('alive')", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "1"])
    with pytest.raises(nbexec.KernelDiedError):
        _run(path, tmp_path / "out.ipynb")
    nb = read_valid(tmp_path / "out.ipynb")
    assert stream_text(nb.cells[2]) == "alive\n"
    assert nb.metadata.papermill.end_time is not None


class _InterruptingFile(io.StringIO):
    def write(self, text):
        raise KeyboardInterrupt


def test_keyboard_interrupt_stops_the_kernel_and_propagates(tmp_path):
    pid_file = tmp_path / "kernel.pid"
    path = _write(tmp_path / "in.ipynb", [
        f"import os\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\nprint('go')",
        "import time\ntime.sleep(60)"])
    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _run(path, tmp_path / "out.ipynb", stdout_file=_InterruptingFile())
    assert time.monotonic() - began < 30
    pid = int(pid_file.read_text())
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the kernel outlived the interrupted run")
    assert stream_text(read_valid(tmp_path / "out.ipynb").cells[2]) == "go\n"


def test_per_cell_saves_are_paced_and_the_failure_is_saved(tmp_path, monkeypatch):
    cells = [f"print({i} * 'x')" for i in range(300)] + ["raise RuntimeError('last')"]
    path = _write(tmp_path / "in.ipynb", cells)
    saves = []
    real_write = papermill.engines.write_ipynb

    def counting_write(nb, out):
        failed = nb.cells[-1].metadata.papermill.status == "failed"
        saves.append((len(nbformat.writes(nb)), failed, nb.metadata.papermill.end_time))
        real_write(nb, out)

    monkeypatch.setattr(papermill.engines, "write_ipynb", counting_write)
    with pytest.raises(papermill.PapermillExecutionError):
        _run(path, tmp_path / "out.ipynb")
    final = saves[-1][0]
    # The start save, at least one paced save as the outputs grow, the failing cell's save,
    # then notebook_complete (papermill's manager alone would save 2 + 2 x 303 times).
    assert 4 <= len(saves) <= 20, [size for size, _, _ in saves]
    assert saves[-1][2] is not None and saves[-2][1] and saves[-2][2] is None
    during = sum(size for size, _, _ in saves[1:-2])
    assert during <= 2.5 * final, (during, final)
    # papermill's engine would have saved 2 x 303 times; its final write added the banners.
    assert len(read_valid(tmp_path / "out.ipynb").cells) == 2 + 301 + 2


def test_a_notebook_the_core_refuses_is_named_by_its_path(tmp_path):
    # papermill's reader only warns about this schema error; nbexec's core refuses it.
    nb = make_notebook(["print(1)"])
    del nb.metadata.kernelspec["display_name"]
    path = tmp_path / "in.ipynb"
    path.write_text(json.dumps(nb))
    with pytest.raises(nbexec.NotebookError) as caught:
        _run(path, tmp_path / "out.ipynb")
    assert str(path) in str(caught.value) and "display_name" in str(caught.value)
    assert "nbexec-papermill-" not in str(caught.value)
