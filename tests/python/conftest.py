"""Shared fixtures: the installed CLI, notebooks built with nbformat, and the oracles."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DIR = REPO / "examples" / "flights"
CORPUS = REPO.parent / "shared" / "corpus"
BUILD_DIR = REPO / "build" / "python"
BUILD_LOCK = "/tmp/nbexec-build.lock"  # the lock developers hold around scripts/build.sh


def _find_cli() -> str:
    # NBEXEC_CLI points the tests at a binary from another build directory.
    if os.environ.get("NBEXEC_CLI"):
        # That binary does not sit in this environment, so point kernelspec discovery here.
        share = os.path.join(sys.prefix, "share", "jupyter")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(
            p for p in (share, os.environ.get("JUPYTER_PATH", "")) if p)
        return os.environ["NBEXEC_CLI"]
    beside = Path(sys.executable).parent / "nbexec"
    if beside.exists():
        return str(beside)
    found = shutil.which("nbexec")
    if not found:
        raise RuntimeError("the nbexec executable is not installed (run scripts/build.sh)")
    return found


@pytest.fixture(scope="session")
def cli() -> str:
    return _find_cli()


@pytest.fixture
def run_cli(cli, tmp_path):
    """Runs `nbexec ARGS...` and returns the CompletedProcess (text mode)."""

    def run(*args, timeout=120, cwd=None, **kwargs):
        return subprocess.run(
            [cli, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd or tmp_path,
            **kwargs,
        )

    return run


def _cache_value(name: str) -> str:
    text = (BUILD_DIR / "CMakeCache.txt").read_text()
    found = re.search(rf"^{name}:\w+=(.*)$", text, re.MULTILINE)
    assert found, f"{name} is not in {BUILD_DIR}/CMakeCache.txt"
    return found.group(1)


@contextlib.contextmanager
def _build_lock(timeout: float = 600):
    """Holds the developers' build lock while CMake works in the shared build folder."""
    with open(BUILD_LOCK, "a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{BUILD_LOCK} stayed locked for {timeout} s")
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """`pip wheel .` of this checkout, built once per pytest run (test_package_wheel.py,
    test_docker_image.py) in scripts/build.sh's CMake folder (build/python) with the same
    options, so CMake finds everything built already and no C++ is compiled a second time; it
    fails if any is (CI must not build the same targets twice)."""
    if not (BUILD_DIR / "CMakeCache.txt").exists():
        pytest.skip("no build/python (run scripts/build.sh first)")
    out = tmp_path_factory.mktemp("wheel")
    # scripts/build.sh's options, read back from the cache so that CMake sees no change.
    options = [f"-Ccmake.define.{name}={_cache_value(name)}"
               for name in ("NBEXEC_BUILD_TESTS", "NBEXEC_INSTALL")]
    with _build_lock():
        done = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
             ".", "-Cbuild-dir=build/python", *options, "-w", str(out)],
            cwd=REPO, capture_output=True, text=True, timeout=900,
            env={**os.environ, "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2)})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    compiled = re.findall(r"Building CXX object (\S+)", done.stdout + done.stderr)
    assert compiled == [], (
        f"the wheel build compiled {len(compiled)} objects ({compiled[:5]}...): build/python "
        "was not up to date, or its options differ from scripts/build.sh's")
    wheels = list(out.glob("nbexec-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that points at .venv or this checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "NBEXEC_CLI",
                        "PYTHONHOME", "JUPYTER_DATA_DIR")}
    env.update(extra)
    return env


def make_notebook(cells, kernel="python3", parameters_cell=None, minor=5):
    """A notebook of code cells (str) or ready cells; parameters_cell is inserted first and tagged."""
    nb = new_notebook()
    nb.nbformat_minor = minor
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": "Python 3", "language": "python"}
    built = []
    if parameters_cell is not None:
        cell = new_code_cell(parameters_cell)
        cell.metadata["tags"] = ["parameters"]
        built.append(cell)
    for cell in cells:
        built.append(new_code_cell(cell) if isinstance(cell, str) else cell)
    nb.cells = built
    return nb


@pytest.fixture
def write_notebook(tmp_path):
    def write(cells, name="input.ipynb", **kwargs):
        path = tmp_path / name
        nbformat.write(make_notebook(cells, **kwargs), str(path))
        return path

    return write


@pytest.fixture
def no_local():
    """kfp.local switched off for the test (and restored after): pipelines are traced as for
    a cluster."""
    from kfp.local import config as local_config

    saved = local_config.LocalExecutionConfig.instance
    local_config.LocalExecutionConfig.instance = None
    yield
    local_config.LocalExecutionConfig.instance = saved


def read_valid(path) -> nbformat.NotebookNode:
    """Reads an output notebook and asserts that the real nbformat validator accepts it."""
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    return nb


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def stream_text(cell, name="stdout"):
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == name)


__all__ = ["make_notebook", "read_valid", "code_cells", "stream_text", "clean_env", "REPO",
           "EXAMPLE_DIR", "CORPUS", "new_code_cell", "new_markdown_cell", "json", "os"]
