"""The pytest plugin's engine side: one KernelPool per pytest process, runs started ahead in
threads (-j), and the verdicts and failure reports of notebook items (docs/testing.md).

Imported by nbexec.pytest_plugin only once --nbexec or the nbexec_run fixture is used.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional

import pytest
from _pytest._code.code import TerminalRepr

import nbexec
from nbexec import _core
from nbexec.exceptions import _COLOR

# Where a notebook keeps its test settings: parameters (a mapping) and grid (the sweeps
# format, docs/sweeps.md).
METADATA_KEY = ("nbexec", "test")


class NotebookFailure(Exception):
    """A notebook item's failure: what went wrong, and the cell it happened in."""

    def __init__(self, headline: str, cell: Optional[int] = None, source: Optional[str] = None,
                 traceback: tuple = (), output_path: Optional[str] = None, details: str = ""):
        super().__init__(headline)
        self.headline = headline
        self.details = details
        self.cell = cell
        self.source = source
        self.traceback = list(traceback)
        self.output_path = output_path

    def terminal_repr(self) -> "FailureRepr":
        return FailureRepr(self)


class FailureRepr(TerminalRepr):
    """The cell's source and its traceback, in colour when the terminal has it (xdist sends
    str(), which is plain)."""

    def __init__(self, failure: NotebookFailure):
        self.failure = failure

    def toterminal(self, tw) -> None:
        f = self.failure
        tw.line(f.headline, red=True, bold=True)
        if f.details:
            tw.line(f.details)
        if f.source is not None:
            tw.sep("-", f"cell {f.cell} source")
            for line in f.source.splitlines() or [""]:
                tw.line(line)
        if f.traceback:
            tw.sep("-", "traceback")
            text = "\n".join(f.traceback)
            tw.line(text if tw.hasmarkup else _COLOR.sub("", text))
        if f.output_path:
            tw.line(f"executed notebook: {f.output_path}")


def _stopped_cell(output_path: str, reason: str) -> tuple[Optional[int], Optional[str]]:
    """The cell the saved notebook marks with this stop reason (timeout, kernel_died)."""
    try:
        nb = json.loads(Path(output_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    for index, cell in enumerate(nb.get("cells") or []):
        if ((cell.get("metadata") or {}).get("nbexec") or {}).get("stop_reason") == reason:
            source = cell.get("source", "")
            return index, "".join(source) if isinstance(source, list) else source
    return None, None


class Outcome:
    """How one run ended: the executed notebook, or the error it raised."""

    def __init__(self, notebook: Any = None, error: Optional[BaseException] = None,
                 output_path: str = "", kept: bool = False, timeout: Optional[float] = None):
        self.notebook = notebook
        self.error = error
        self.output_path = output_path
        self.shown_path = output_path if kept else None
        self.timeout = timeout

    def failure(self) -> Optional[NotebookFailure]:
        error, shown = self.error, self.shown_path
        if isinstance(error, nbexec.ExecutionError):
            return NotebookFailure(f"cell {error.cell_index} raised {error.ename}: {error.evalue}",
                                   error.cell_index, error.source, error.traceback, shown)
        if isinstance(error, nbexec.TimeoutError):
            cell, source = _stopped_cell(self.output_path, "timeout")
            limit = f" of {self.timeout:g} s" if self.timeout else ""
            if cell is None:
                return NotebookFailure(str(error), output_path=shown)
            return NotebookFailure(f"cell {cell} ran past the per-cell timeout{limit}", cell,
                                   source, (), shown)
        if isinstance(error, nbexec.KernelDiedError):
            cell, source = _stopped_cell(self.output_path, "kernel_died")
            where = f"the kernel died while cell {cell} ran" if cell is not None \
                else "the kernel died"
            return NotebookFailure(where, cell, source, (), shown, details=str(error))
        if error is not None:
            return NotebookFailure(f"{type(error).__name__}: {error}", output_path=shown)
        return self._unraised()

    def _unraised(self) -> Optional[NotebookFailure]:
        """nbmake's rule: a cell tagged raises-exception must raise."""
        for index, cell in enumerate(self.notebook.get("cells") or []):
            tags = (cell.get("metadata") or {}).get("tags") or []
            if cell.get("cell_type") != "code" or "raises-exception" not in tags:
                continue
            if not any(o.get("output_type") == "error" for o in cell.get("outputs") or []):
                source = cell.get("source", "")
                return NotebookFailure(
                    f"cell {index} is tagged raises-exception but raised nothing", index,
                    "".join(source) if isinstance(source, list) else source, (),
                    self.shown_path)
        return None


def _id_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Runs:
    """The pytest process's kernel pool and runs. Created on first use; closed at unconfigure."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.jobs = config.getoption("nbexec_jobs")
        self.kernel = config.getoption("nbexec_kernel")
        self.timeout = config.getoption("nbexec_timeout")
        self.file_parameters: dict[str, Any] = {}
        self.grid: Optional[tuple[str, str]] = None  # (text, origin) of --nbexec-grid
        self._pool: Optional[nbexec.KernelPool] = None
        self._lock = threading.Lock()
        self._ahead: dict[str, Future] = {}
        self._executor: Optional[ThreadPoolExecutor] = None
        self._output_dir: Optional[Path] = None
        self._temporary = False
        self._fixture_runs = 0

    # -- options ---------------------------------------------------------------------------

    def check_options(self) -> None:
        if self.jobs < 1:
            raise pytest.UsageError(f"--nbexec-jobs must be at least 1, not {self.jobs}")
        if self.timeout is not None and self.timeout <= 0:
            raise pytest.UsageError(f"--nbexec-timeout must be > 0 seconds, not {self.timeout}")
        if self.kernel:
            names = sorted(k["name"] for k in nbexec.list_kernelspecs())
            if self.kernel not in names:
                raise pytest.UsageError(f"--nbexec-kernel: no kernel named '{self.kernel}' "
                                        f"(installed: {', '.join(names) or 'none'})")
        params = self.config.getoption("nbexec_params")
        if params:
            try:
                self.file_parameters = _core.merge_parameters([], [params], [], [], [])
            except nbexec.Error as error:
                raise pytest.UsageError(f"--nbexec-params: {error}") from None
        grid = self.config.getoption("nbexec_grid")
        if grid:
            try:
                text = Path(grid).read_text(encoding="utf-8")
                _core.plan_sweep(text, grid, "{run}", None)
            except OSError as error:
                raise pytest.UsageError(f"--nbexec-grid: cannot read {grid}: "
                                        f"{error.strerror}") from None
            except nbexec.Error as error:
                raise pytest.UsageError(f"--nbexec-grid: {error}") from None
            self.grid = (text, grid)

    def plan(self, path: Path, nb: dict) -> list[tuple[str, dict]]:
        """The items of a notebook: (name, parameters), one per grid entry or just one.
        ValueError (a collection error) for settings of the wrong shape."""
        test: Any = nb.get("metadata") or {}
        for key in METADATA_KEY:
            test = test.get(key) if isinstance(test, dict) else None
        test = test or {}
        if not isinstance(test, dict):
            raise ValueError(f"{path}: metadata.nbexec.test must be an object")
        own = test.get("parameters") or {}
        if not isinstance(own, dict):
            raise ValueError(f"{path}: metadata.nbexec.test.parameters must be an object "
                             "(name to value)")
        fixed = {**own, **self.file_parameters}
        if self.grid is not None:
            text, origin = self.grid
        elif "grid" in test:
            # Notebook metadata is JSON, and JSON is YAML: the core's grid reader checks it.
            text = json.dumps(test["grid"], allow_nan=False)
            origin = f"{path}: metadata.nbexec.test.grid"
        else:
            return [(path.name, fixed)]
        try:
            entries = _core.plan_sweep(text, origin, "{run}", None)
        except nbexec.Error as error:
            raise ValueError(str(error)) from None
        items, seen = [], set()
        for entry in entries:
            values = entry["parameters"]
            name = "-".join(f"{k}={_id_value(v)}" for k, v in values.items()) \
                or f"run{entry['index']}"
            if name in seen:
                name = f"{name}-run{entry['index']}"
            seen.add(name)
            items.append((f"[{name}]", {**fixed, **values}))
        return items

    # -- running ---------------------------------------------------------------------------

    def pool(self) -> nbexec.KernelPool:
        with self._lock:
            if self._pool is None:
                # One kernel per concurrent run, plus one started ahead of need.
                self._pool = nbexec.KernelPool(self.kernel, size=self.jobs + 1,
                                               preload=self.config.getoption("nbexec_preload")
                                               or ())
            return self._pool

    def warm_up(self, items: list) -> None:
        """Starts kernels for the most common (kernelspec, folder) of the items, in the
        background. A failure here is left for the runs to report."""
        wanted = Counter((item.kernel_name, str(item.path.parent)) for item in items
                         if item.kernel_name)
        if not wanted:
            return
        (name, cwd), _ = wanted.most_common(1)[0]
        try:
            self.pool().warm_up(name, cwd)
        except (nbexec.Error, ValueError):
            pass

    def _output_path(self, name: str) -> str:
        with self._lock:
            if self._output_dir is None:
                chosen = self.config.getoption("nbexec_output")
                if chosen:
                    self._output_dir = Path(chosen).resolve()
                    self._output_dir.mkdir(parents=True, exist_ok=True)
                else:
                    self._output_dir = Path(tempfile.mkdtemp(prefix="nbexec-pytest-"))
                    self._temporary = True
        return str(self._output_dir / (re.sub(r"[^\w.=-]+", "_", name).strip("_") + ".ipynb"))

    def _run(self, item) -> Outcome:
        output = self._output_path(item.nodeid)
        kept = not self._temporary
        try:
            nb = self.pool().execute_notebook(
                str(item.path), output, item.parameters or None, progress_bar=False,
                cwd=str(item.path.parent), request_save_on_cell_execute=False,
                execution_timeout=item.timeout, allow_errors=item.allow_errors)
        except Exception as error:  # noqa: BLE001 - every failure is the item's verdict
            return Outcome(error=error, output_path=output, kept=kept, timeout=item.timeout)
        return Outcome(nb, output_path=output, kept=kept, timeout=item.timeout)

    def start_ahead(self, items: list) -> None:
        """Queue every item's run now; at most `jobs` run at once, in the session's order."""
        self._executor = ThreadPoolExecutor(self.jobs, thread_name_prefix="nbexec-pytest")
        for item in items:
            self._ahead[item.nodeid] = self._executor.submit(self._run, item)

    def outcome(self, item) -> Outcome:
        ahead = self._ahead.pop(item.nodeid, None)
        return ahead.result() if ahead is not None else self._run(item)

    def run_for_fixture(self, path: Path, parameters: Optional[dict], **kwargs: Any):
        from nbexec.pytest_plugin import ExecutedNotebook

        with self._lock:
            self._fixture_runs += 1
            number = self._fixture_runs
        output = self._output_path(f"fixture-{number}-{path.stem}")
        kwargs.setdefault("progress_bar", False)
        kwargs.setdefault("cwd", str(path.parent))
        kwargs.setdefault("execution_timeout", self.timeout)
        nb = self.pool().execute_notebook(str(path), output, parameters, **kwargs)
        return ExecutedNotebook(nb, nbexec.read_scraps(nb), dict(parameters or {}), output)

    def close(self) -> None:
        """Queued runs are dropped, running ones finish; then every kernel ends."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        if self._pool is not None:
            self._pool.shutdown()
        if self._temporary and self._output_dir is not None:
            shutil.rmtree(self._output_dir, ignore_errors=True)
