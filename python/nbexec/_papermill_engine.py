"""NBExecEngine: papermill's Engine interface over nbexec's C++ run (imports papermill).

papermill hands the engine a notebook it has already parameterized and stamped with its
metadata; the engine runs the cells and reports each one through the notebook manager's hooks
(cell_start, cell_exception, cell_complete), which record papermill's per-cell metadata, draw
the progress bar and save the output notebook. Here the cells run in nbexec's C++ core
(``_core.run``): the run's cell_start/cell_end events drive the hooks, and its outputs are
appended to the manager's notebook as they arrive so that papermill's saves show them. When the
run ends, what the kernel produced (outputs, execution counts, timings, language_info) is copied
from the core's notebook into papermill's; the core's own papermill bookkeeping (its metadata,
its error banner cells) is left out, because papermill records its own.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from typing import Optional

import nbformat
from papermill.engines import Engine
from papermill.exceptions import PapermillExecutionError
from papermill.log import logger

from nbexec import _core
from nbexec._papermill_manager import PacedExecutionManager

# papermill.execute's ERROR_MARKER_TAG: that module cannot be imported from here, since
# papermill loads this engine while papermill.execute is still importing papermill.engines.
ERROR_MARKER_TAG = "papermill-error-cell-tag"
# Keywords papermill passes that this engine does not use; anything else is logged as ignored.
_UNUSED = ("input_path",)
_LEVELS = {"debug": logging.DEBUG, "info": logging.DEBUG, "warning": logging.WARNING,
           "error": logging.ERROR}


def _stream_text(output: dict) -> str:
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else text


class _CellHooks:
    """Turns the run's events and outputs into the manager's hooks, in papermill's order: every
    cell, markdown and empty ones included, gets cell_start and cell_complete, and the cells
    after a failing one get neither (papermill's client stops there)."""

    def __init__(self, nb_man: PacedExecutionManager, log_output: bool, stdout_file,
                 stderr_file):
        self.nb_man = nb_man
        self.log_output = log_output
        self.files = {"stdout": stdout_file, "stderr": stderr_file}
        self.next_cell = 0  # the first cell that has not had cell_start

    @property
    def cells(self):
        return self.nb_man.nb.cells

    def _pass_cells_before(self, index: int) -> None:
        """cell_start and cell_complete for the cells the core does not run (not code, or
        empty), as papermill's client calls them for every cell."""
        while self.next_cell < index:
            cell = self.cells[self.next_cell]
            self.nb_man.cell_start(cell, self.next_cell)
            self.nb_man.cell_complete(cell, cell_index=self.next_cell)
            self.next_cell += 1

    def on_event(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "cell_start":
            index = event["cell_index"]
            self._pass_cells_before(index)
            self.nb_man.cell_start(self.cells[index], index)
            self.next_cell = index + 1
        elif kind == "cell_end":
            index = event["cell_index"]
            cell = self.cells[index]
            cell.execution_count = event.get("execution_count")
            if event.get("status") == "failed":
                error = PapermillExecutionError(index, cell.execution_count, cell.source,
                                                event.get("ename", ""), event.get("evalue", ""),
                                                [])
                self.nb_man.cell_exception(cell, cell_index=index, exception=error)
            # A timeout, a dead kernel or an interrupt ends as in papermill's client: the cell
            # is completed (its finally clause) and the exception raised afterwards.
            self.nb_man.cell_complete(cell, cell_index=index)

    def on_output(self, index: int, output: dict) -> None:
        node = nbformat.from_dict(output)
        self.cells[index].outputs.append(node)
        self.nb_man.note_growth(output)
        self.nb_man.autosave_cell()
        self._log_output_message(node)

    def _log_output_message(self, output) -> None:
        """papermill's PapermillNotebookClient.log_output_message, on papermill's logger."""
        if output.output_type == "stream":
            content = _stream_text(output)
            if output.name == "stdout":
                if self.log_output:
                    logger.info(content)
            elif output.name == "stderr":
                if self.log_output:
                    logger.warning(content)
            handle = self.files.get(output.name)
            if handle:
                handle.write(content)
                handle.flush()
        elif self.log_output and "data" in output and "text/plain" in output.data:
            logger.info("".join(output.data["text/plain"]))

    def finish(self) -> None:
        """After a run that went through: the cells after the last code cell."""
        self._pass_cells_before(len(self.cells))


def _copy_kernel_results(nb, ran: dict) -> None:
    """What the kernel produced, from the core's notebook into papermill's: outputs, execution
    counts, nbclient-style timings (metadata.execution), language_info and widget state. The
    core's banner cells are dropped to line the cells up again."""
    cells = [c for c in ran.get("cells", [])
             if ERROR_MARKER_TAG not in c.get("metadata", {}).get("tags", [])]
    if len(cells) != len(nb.cells):
        raise RuntimeError(f"nbexec: the engine returned {len(cells)} cells for a notebook of "
                           f"{len(nb.cells)}")
    for cell, done in zip(nb.cells, cells):
        if cell.get("cell_type") != "code":
            continue
        cell.outputs = nbformat.from_dict(done.get("outputs", []))
        cell.execution_count = done.get("execution_count")
        timings = done.get("metadata", {}).get("execution")
        if timings:
            cell.metadata["execution"] = nbformat.from_dict(timings)
    for key in ("language_info", "widgets"):
        if key in ran.get("metadata", {}):
            nb.metadata[key] = nbformat.from_dict(ran["metadata"][key])


class NBExecEngine(Engine):
    """papermill's engine interface, with nbexec's C++ engine running the cells.

    Select it with ``papermill --engine nbexec`` or ``engine_name="nbexec"``. papermill's
    options keep their meaning (kernel_name, start_timeout, execution_timeout, log_output,
    stdout_file, stderr_file, progress_bar, autosave_cell_every, cwd); a failing cell ends in
    papermill's PapermillExecutionError, a deadline in nbexec.TimeoutError (a TimeoutError) and
    a dead kernel in nbexec.KernelDiedError, each after the notebook was saved.
    """

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True,
                         log_output=False, autosave_cell_every=30, **kwargs):
        """papermill's Engine.execute_notebook, with a manager whose per-cell saves are paced
        (nbexec._papermill_manager says how)."""
        nb_man = PacedExecutionManager(nb, output_path=output_path, progress_bar=progress_bar,
                                       log_output=log_output,
                                       autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None,
                                 **kwargs):
        """Runs nb_man's notebook on nbexec's engine and records it through nb_man's hooks."""
        # papermill's nbclient engine takes nbclient's own name for the cell deadline too.
        timeout = execution_timeout if execution_timeout else kwargs.pop("timeout", None)
        ignored = sorted(k for k in kwargs if k not in _UNUSED)
        if ignored:
            logger.warning("nbexec engine: ignoring engine arguments %s", ", ".join(ignored))
        hooks = _CellHooks(nb_man, log_output, stdout_file, stderr_file)
        logger.info(f"Executing notebook with kernel: {kernel_name}")
        with tempfile.TemporaryDirectory(prefix="nbexec-papermill-") as folder:
            # The notebook as papermill prepared it. The core's own output file stays in this
            # private folder (written at the start and the end only): papermill's manager
            # writes the user's output, and the core's file is read only when the run ends in
            # an exception, to keep what the kernel produced up to then.
            source, private = os.path.join(folder, "in.ipynb"), os.path.join(folder, "out.ipynb")
            with open(source, "w", encoding="utf-8") as handle:
                json.dump(nb_man.nb, handle, ensure_ascii=False)
            options = _run_options(source, private, kernel_name, start_timeout, timeout)
            try:
                result = _core.run(options, log=_log, output=hooks.on_output,
                                   event=hooks.on_event, event_kinds=["cell_end", "cell_start"])
            except (_core.TimeoutError, _core.KernelDiedError):
                if os.path.exists(private):
                    _copy_kernel_results(nb_man.nb, nbformat.read(private, as_version=4))
                raise
            except _core.NotebookError as error:
                # The core validates what papermill prepared; name the user's notebook, not
                # the private copy.
                where = f"{kwargs.get('input_path') or 'the notebook'} (as papermill prepared it)"
                raise type(error)(str(error).replace(source, where)) from None
        _copy_kernel_results(nb_man.nb, result.notebook)
        if result.cancelled:
            raise KeyboardInterrupt("nbexec: run interrupted; the kernel was stopped")
        if result.failure is None:
            hooks.finish()
        return nb_man.nb


def _run_options(source: str, private_output: str, kernel_name: Optional[str], start_timeout,
                 execution_timeout) -> "_core.RunOptions":
    options = _core.RunOptions()
    options.input_path = source
    options.output_path = private_output
    options.kernel_name = kernel_name or ""
    # papermill has already changed directory for its cwd argument.
    options.cwd = os.getcwd()
    options.start_timeout = float(start_timeout)
    options.execution_timeout = float(execution_timeout) if execution_timeout else None
    options.parameter_check = _core.ParameterCheck.off
    options.request_save_on_cell_execute = False
    options.autosave_cell_every = 0.0
    options.env_prefix = sys.prefix
    return options


def _log(level: str, line: str) -> None:
    # The core's progress lines repeat what papermill logs itself: debug, on papermill's logger.
    logger.log(_LEVELS.get(level, logging.DEBUG), line)
