"""pytest plugin: ``pytest --nbexec`` runs notebooks as tests on nbexec's engine (docs/testing.md).

Registered through the ``pytest11`` entry point, so it is loaded by every pytest run in an
environment where nbexec is installed. Without ``--nbexec`` it changes nothing: no collection,
no kernel; loading it costs the ``nbexec`` package's import (about 10 ms), since this module
imports only pytest and the standard library, and the engine side (nbexec._pytest_runs) is
imported on first use.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any, Optional

import pytest

# One _Runs per pytest process (per xdist worker): the kernel pool and the runs started ahead.
_RUNS_KEY = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nbexec", "notebooks as tests, on nbexec's engine (docs/testing.md)")
    group.addoption("--nbexec", action="store_true", default=False,
                    help="collect .ipynb files as tests, one per notebook (or per grid entry),"
                    " and run them with nbexec")
    group.addoption("--nbexec-timeout", type=float, default=None, metavar="SECONDS",
                    help="seconds each cell may run (a notebook's metadata.execution.timeout"
                    " wins); default: no limit")
    group.addoption("--nbexec-kernel", default=None, metavar="NAME",
                    help="run every notebook on this kernelspec instead of its own")
    group.addoption("--nbexec-params", default=None, metavar="FILE",
                    help="YAML or JSON parameters given to every notebook (over the notebook's"
                    " metadata.nbexec.test.parameters)")
    group.addoption("--nbexec-grid", default=None, metavar="FILE",
                    help="a sweep grid (docs/sweeps.md): every notebook runs once per entry,"
                    " as parametrized items (replaces metadata.nbexec.test.grid)")
    group.addoption("--nbexec-preload", default="", metavar="MODULES",
                    help="modules the warm kernel template imports before forking"
                    " (comma-separated)")
    group.addoption("--nbexec-output", default=None, metavar="DIR",
                    help="keep the executed notebooks in DIR (default: a temporary folder,"
                    " removed at the end)")
    jobs = {"type": int, "default": 1, "metavar": "N", "dest": "nbexec_jobs",
            "help": "run up to N notebooks at once in this pytest process, started ahead of"
                    " their turn (with --nbexec)"}
    try:  # -j is short and handy; keep pytest usable if another plugin took it.
        group._addoption("-j", "--nbexec-jobs", **jobs)
    except (ValueError, argparse.ArgumentError):
        group.addoption("--nbexec-jobs", **jobs)


def _runs(config: pytest.Config):
    """The process's runs (created on first use, ended at unconfigure)."""
    runs = config.stash.get(_RUNS_KEY, None)
    if runs is None:
        from nbexec._pytest_runs import Runs

        runs = Runs(config)
        config.stash[_RUNS_KEY] = runs
        config.add_cleanup(runs.close)
    return runs


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("nbexec"):
        return
    # Bad options are usage errors now, once, not one failure per notebook.
    _runs(config).check_options()


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix != ".ipynb" or not parent.config.getoption("nbexec"):
        return None
    if ".ipynb_checkpoints" in file_path.parts:
        return None
    return NotebookFile.from_parent(parent, path=file_path)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """With -j N, start the notebooks' runs ahead (N at a time) before pytest reports them.

    Not in an xdist worker: the controller hands it items one by one, so it cannot know which
    notebooks are its own; there each worker runs its notebooks in turn on its own pool."""
    config = session.config
    if (not config.getoption("nbexec") or config.getoption("nbexec_jobs") <= 1
            or config.option.collectonly or hasattr(config, "workerinput")
            or (session.testsfailed and not config.option.continue_on_collection_errors)):
        return None
    items = [item for item in session.items if isinstance(item, NotebookItem)]
    if items:
        _runs(config).start_ahead(items)
    return None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the pool's template and first kernels now, before the first notebook's turn: in
    an xdist worker the controller first gathers every worker's collection, so the worker
    would otherwise sit idle and then pay the template's start on its first notebook."""
    config = session.config
    if not config.getoption("nbexec") or config.option.collectonly:
        return
    items = [item for item in session.items if isinstance(item, NotebookItem)]
    if items:
        _runs(config).warm_up(items)


class NotebookFile(pytest.File):
    """A notebook: one item, or one per entry of its grid."""

    def collect(self):
        try:
            nb = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise self.CollectError(f"{self.path}: not a readable notebook: {error}") from None
        if not isinstance(nb, dict):
            raise self.CollectError(f"{self.path}: not a notebook (the top level is not an object)")
        try:
            plan = _runs(self.config).plan(self.path, nb)
        except ValueError as error:
            raise self.CollectError(str(error)) from None
        for name, parameters in plan:
            yield NotebookItem.from_parent(self, name=name, notebook=nb, parameters=parameters)


class NotebookItem(pytest.Item):
    """One run of a notebook; it passes when the run completes (and every cell tagged
    raises-exception raised)."""

    def __init__(self, *, notebook: dict, parameters: Optional[dict] = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.parameters = parameters or {}
        execution = (notebook.get("metadata") or {}).get("execution") or {}
        timeout = execution.get("timeout") if isinstance(execution, dict) else None
        # nbmake's rule: the notebook's own timeout wins over the command line's.
        self.timeout = timeout if isinstance(timeout, (int, float)) and timeout > 0 else \
            self.config.getoption("nbexec_timeout")
        self.allow_errors = bool(isinstance(execution, dict) and execution.get("allow_errors"))
        spec = (notebook.get("metadata") or {}).get("kernelspec") or {}
        name = spec.get("name") if isinstance(spec, dict) else None
        self.kernel_name: Optional[str] = self.config.getoption("nbexec_kernel") or \
            (name if isinstance(name, str) and name else None)

    def runtest(self) -> None:
        outcome = _runs(self.config).outcome(self)
        failure = outcome.failure()
        if failure is not None:
            raise failure

    def repr_failure(self, excinfo, style=None):
        from nbexec._pytest_runs import NotebookFailure

        if isinstance(excinfo.value, NotebookFailure):
            return excinfo.value.terminal_repr()
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}::{self.name}"


class ExecutedNotebook:
    """What the ``nbexec_run`` fixture returns: the executed ``notebook`` (an nbformat
    NotebookNode when nbformat is installed, else a dict), its ``scraps`` (name to value, as
    :func:`nbexec.read_scraps` reads them), the ``parameters`` given and the ``output_path``
    of the saved notebook."""

    def __init__(self, notebook: Any, scraps: dict, parameters: dict, output_path: str):
        self.notebook = notebook
        self.scraps = scraps
        self.parameters = parameters
        self.output_path = output_path

    def __repr__(self) -> str:
        return f"ExecutedNotebook({self.output_path!r}, scraps={sorted(self.scraps)})"


@pytest.fixture
def nbexec_run(request: pytest.FixtureRequest):
    """Run a notebook on the session's kernel pool and return an :class:`ExecutedNotebook`::

        def test_rmse(nbexec_run):
            run = nbexec_run("train.ipynb", {"alpha": 0.1})
            assert run.scraps["rmse"] < 1.0

    A relative path is taken from the test module's folder. Keywords go to
    ``KernelPool.execute_notebook``; a failing cell raises :class:`nbexec.ExecutionError`.
    Works with or without ``--nbexec`` (the pool starts on first use).
    """
    runs = _runs(request.config)
    base = Path(request.node.path).parent

    def run(notebook: "os.PathLike[str] | str", parameters: Optional[dict] = None,
            **kwargs: Any) -> ExecutedNotebook:
        path = Path(notebook)
        return runs.run_for_fixture(path if path.is_absolute() else base / path, parameters,
                                    **kwargs)

    return run
