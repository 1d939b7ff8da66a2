"""Isolation: every run of a sweep is a fresh kernel, and what it writes is what a cold run writes.

A sweep forks its Python kernels from a warm template (docs/sweeps.md, "Warm kernels"). The
executed notebooks must nevertheless equal those of a cold `nbexec run` with the same
parameters, cell by cell: execution counts and outputs, leaving aside memory addresses (the
corpus has no timing in its outputs). The corpus is tests/python/exec_corpus (every kind of
output, built from nbclient's cases) and nbclient's own executed notebooks.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from exec_corpus.notebooks import CASES
from helpers import CORPUS
from nbformat.v4 import new_code_cell, new_notebook

TERMINAL = {"COLUMNS": "80", "LINES": "24"}
ADDRESS = re.compile(r"0x[0-9a-f]{6,16}")
# Corpus cases whose cold output already differs from nbclient's for reasons of their own
# (test_exec_parity.py); for isolation they still compare fork against cold.
NBCLIENT_NOTEBOOKS = ["HelloWorld.ipynb", "Factorials.ipynb", "Output.ipynb", "Unicode.ipynb",
                      "UnicodePy3.ipynb", "Clear Output.ipynb", "update-display-id.ipynb",
                      "SVG.ipynb", "Inline Image.ipynb", "Error.ipynb",
                      "Check History in Memory.ipynb", "Empty Cell.ipynb",
                      "Skip Exceptions.ipynb", "Skip Exceptions with Cell Tags.ipynb"]


def normalise(value):
    if isinstance(value, str):
        return ADDRESS.sub("0x<address>", value)
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    return value


def streams_in_order(outputs: list) -> list:
    """ipykernel flushes stdout and stderr on timers of their own, so which of the two comes
    first when a cell writes both is up to timing (a loaded machine flips it): within a run of
    stream outputs, each stream's text is joined and the streams are sorted by name."""
    result, run = [], {}

    def flush():
        for name in sorted(run):
            result.append({"name": name, "output_type": "stream", "text": run[name]})
        run.clear()

    for output in outputs:
        if output.get("output_type") == "stream":
            text = output.get("text", "")
            run[output.get("name")] = run.get(output.get("name"), "") + \
                ("".join(text) if isinstance(text, list) else text)
            continue
        flush()
        result.append(output)
    flush()
    return result


def cells_of(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [json.dumps({"execution_count": c.get("execution_count"),
                        "outputs": normalise(streams_in_order(c.get("outputs", [])))},
                       sort_keys=True, indent=1)
            for c in nb["cells"] if c["cell_type"] == "code"]


def run(argv, env, timeout=240):
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture
def env(monkeypatch, tmp_path):
    import os
    environment = dict(os.environ, **TERMINAL)
    environment["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    return environment


def cold_and_swept(cli, src: Path, work: Path, env, runs=2, jobs=1, sweep_options=()):
    """`runs` cold `nbexec run`s of src one after the other, and a sweep of as many runs of it
    with the same (no) parameters, each side in a working folder of its own: notebooks write
    files, so run i of each side finds what the runs before it left (%%writefile says
    "Overwriting")."""
    (work / "cold").mkdir(parents=True)
    (work / "swept").mkdir()
    colds = []
    for i in range(runs):
        cold = work / f"cold-{i}.ipynb"
        done = run([cli, "run", str(src), str(cold), "-k", "python3", "--cwd",
                    str(work / "cold"), "--allow-errors"], env)
        assert done.returncode == 0, done.stderr
        colds.append(cold)
    grid = work / "grid.json"
    grid.write_text(json.dumps([{} for _ in range(runs)]))
    swept = run([cli, "sweep", str(src), str(work / "swept-{run}.ipynb"), "--grid", str(grid),
                 "-j", str(jobs), "-k", "python3", "--cwd", str(work / "swept"),
                 "--allow-errors", "--log-level", "DEBUG", *sweep_options], env)
    assert swept.returncode == 0, swept.stderr
    # The runs really were forked (else this compares two cold runs).
    assert "forking kernel" in swept.stderr or "forked" in swept.stderr, swept.stderr[-3000:]
    return colds, [work / f"swept-{i}.ipynb" for i in range(runs)]


def assert_same(colds: list[Path], swept: list[Path]):
    for cold, path in zip(colds, swept, strict=True):
        expected = cells_of(cold)
        actual = cells_of(path)
        assert len(actual) == len(expected)
        wrong = [i for i, (a, b) in enumerate(zip(actual, expected)) if a != b]
        assert not wrong, f"{path.name}: code cells {wrong} differ from the cold run:\n" + \
            "\n".join(f"cold: {expected[i][:1500]}\nswept: {actual[i][:1500]}" for i in wrong[:2])


@pytest.mark.parametrize("case", [c for c in CASES if c.name != "big_ints"], ids=lambda c: c.name)
def test_forked_runs_write_what_cold_runs_write(cli, tmp_path, env, case):
    src = tmp_path / "input.ipynb"
    nbformat.write(case.notebook(), str(src))
    colds, swept = cold_and_swept(cli, src, tmp_path / "work", env)
    assert_same(colds, swept)


@pytest.mark.skipif(not (CORPUS / "nbclient").is_dir(), reason="../shared/corpus is absent")
def test_nbclient_corpus_forked_equals_cold(cli, tmp_path, env):
    failures = []
    for name in NBCLIENT_NOTEBOOKS:
        source = CORPUS / "nbclient" / name
        if not source.exists():
            continue
        nb = nbformat.read(str(source), as_version=4)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        work = tmp_path / re.sub(r"\W+", "_", name)
        work.mkdir()
        src = work / "input.ipynb"
        nbformat.write(nb, str(src))
        colds, swept = cold_and_swept(cli, src, work, env, runs=1)
        try:
            assert_same(colds, swept)
        except AssertionError as error:
            failures.append(f"{name}: {error}")
    assert not failures, "\n\n".join(failures)


PROBE = r'''
import os, sys, random, threading
facts = {
    "name": __name__,
    "argv0": os.path.basename(sys.argv[0]),
    "argv_rest": [a for a in sys.argv[1:] if not a.endswith(".json")],
    "path_head": sys.path[:2],
    "cwd": os.getcwd(),
    "env": sorted(k for k in os.environ if k not in ("JPY_PARENT_PID", "JPY_SESSION_NAME")),
    "threads_py": threading.active_count() > 0,
    "main_module": type(sys.modules["__main__"]).__name__,
    "leak": "leaked" in dir(),
    "numpy_loaded": "numpy" in sys.modules,
}
leaked = True
print(facts)
'''


def test_a_forked_kernel_looks_like_a_cold_one_and_sees_nothing_of_another(cli, tmp_path, env):
    nb = new_notebook(cells=[new_code_cell(PROBE)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    src = tmp_path / "probe.ipynb"
    nbformat.write(nb, str(src))
    colds, swept = cold_and_swept(cli, src, tmp_path / "work", env, runs=3, jobs=2)
    cold_facts = cells_of(colds[0])[0].replace(str(tmp_path / "work" / "cold"), "<cwd>")
    for path in swept:
        facts = cells_of(path)[0].replace(str(tmp_path / "work" / "swept"), "<cwd>")
        assert facts == cold_facts


RANDOM = "import numpy, random\nprint(numpy.random.rand(), random.random())"


def test_preloaded_numpy_is_reseeded_in_every_kernel(cli, tmp_path, env):
    nb = new_notebook(cells=[new_code_cell(RANDOM)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    src = tmp_path / "random.ipynb"
    nbformat.write(nb, str(src))
    _, swept = cold_and_swept(cli, src, tmp_path / "work", env, runs=4, jobs=2,
                              sweep_options=("--preload", "numpy"))
    draws = [json.loads(path.read_text())["cells"][0]["outputs"][0]["text"] for path in swept]
    draws = ["".join(d) if isinstance(d, list) else d for d in draws]
    numpy_draws = {d.split()[0] for d in draws}
    python_draws = {d.split()[1] for d in draws}
    assert len(numpy_draws) == 4, draws
    assert len(python_draws) == 4, draws


UNCLOSED = ("log = open('unclosed.txt', 'w')\n"
            "log.write('written by run %d\\n' % seed)  # buffered: only the exit flushes it")


def test_a_forked_kernel_ends_as_a_started_one_does(cli, tmp_path, env):
    # A started kernel's interpreter flushes a file the notebook left open when it exits, and
    # answers shutdown_request at once; a forked kernel must do both too (it once lost
    # ipykernel's shutdown race and ignored the request until SIGTERM).
    nb = new_notebook(cells=[new_code_cell("seed = 0"), new_code_cell(UNCLOSED)])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    src = tmp_path / "unclosed.ipynb"
    nbformat.write(nb, str(src))
    grid = tmp_path / "grid.yaml"
    grid.write_text("seed: [0, 1, 2, 3, 4, 5]\n")
    done = run([cli, "sweep", str(src), str(tmp_path / "out-{seed}.ipynb"), "--grid", str(grid),
                "-j", "2", "-k", "python3", "--cwd", str(tmp_path), "--preload", "numpy",
                "--log-level", "DEBUG"], env)
    assert done.returncode == 0, done.stderr[-3000:]
    exits = [line for line in done.stderr.splitlines() if re.search(r"kernel pid \d+ ", line)]
    assert len(exits) == 6 and all("exited with status 0" in line for line in exits), exits
    assert "forking kernel" in done.stderr
    assert (tmp_path / "unclosed.txt").read_text().startswith("written by run ")
