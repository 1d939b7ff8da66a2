"""Shared fixtures: the installed CLI, notebooks built with nbformat, and the oracles."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DIR = REPO / "examples" / "flights"
CORPUS = REPO.parent / "shared" / "corpus"


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


def read_valid(path) -> nbformat.NotebookNode:
    """Reads an output notebook and asserts that the real nbformat validator accepts it."""
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    return nb


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def stream_text(cell, name="stdout"):
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == name)


__all__ = ["make_notebook", "read_valid", "code_cells", "stream_text", "REPO", "EXAMPLE_DIR",
           "CORPUS", "new_code_cell", "new_markdown_cell", "json", "os"]
