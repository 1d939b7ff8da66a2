"""execute_notebook: papermill's signature, nbexec's C++ engine, in-process."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any, Optional

from nbexec import _core
from nbexec.exceptions import ExecutionError
from nbexec.exceptions import TimeoutError as _TimeoutError

logger = logging.getLogger("nbexec")

_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
}


def _as_notebook(text: str):
    """An nbformat NotebookNode when nbformat is installed (papermill returns one), else a dict."""
    try:
        import nbformat
    except ImportError:
        return json.loads(text)
    return nbformat.reads(text, as_version=4)


def _log_output(index: int, output_json: str) -> None:
    output = json.loads(output_json)
    kind = output.get("output_type")
    if kind == "stream":
        text = output.get("text", "")
        if output.get("name") == "stderr":
            logger.warning(text)
        else:
            logger.info(text)
    elif kind == "error":
        logger.error("%s: %s", output.get("ename"), output.get("evalue"))
    elif "text/plain" in output.get("data", {}):
        logger.info(output["data"]["text/plain"])


def _log(level: str, line: str) -> None:
    logger.log(_LEVELS.get(level, logging.INFO), line)


def execute_notebook(
    input_path: str | os.PathLike,
    output_path: Optional[str | os.PathLike],
    parameters: Optional[dict[str, Any]] = None,
    kernel_name: Optional[str] = None,
    language: Optional[str] = None,
    progress_bar: bool = False,
    log_output: bool = False,
    start_timeout: float = 60,
    execution_timeout: Optional[float] = None,
    report_mode: bool = False,
    cwd: Optional[str | os.PathLike] = None,
    prepare_only: bool = False,
    allow_errors: bool = False,
    allow_unknown_parameters: bool = False,
    check_parameters: bool = True,
    request_save_on_cell_execute: bool = True,
    autosave_cell_every: float = 30,
    interrupt_on_timeout: bool = False,
    **engine_kwargs: Any,
):
    """Parameterize and execute a notebook, papermill-style, and save the result.

    Args:
        input_path: the notebook to run.
        output_path: where to write the executed notebook (None or "" writes nothing).
        parameters: values injected after the cell tagged ``parameters``; a path (str or
            PathLike) is read as a YAML or JSON parameters file, as papermill does.
        kernel_name: the kernel to start; default the notebook's ``metadata.kernelspec.name``.
        language: the language for rendering parameters; default the notebook's.
        progress_bar: accepted for papermill compatibility; progress goes to logging.
        log_output: log cell outputs on the "nbexec" logger as they arrive.
        start_timeout: seconds to wait for the kernel to start.
        execution_timeout: seconds a single cell may run (None: no limit).
        report_mode: hide the source of every code cell (``metadata.jupyter.source_hidden``).
        cwd: the kernel's working directory (this process's directory is not changed).
        prepare_only: inject parameters and save without executing.
        allow_errors: keep going after a cell raises.
        allow_unknown_parameters: a parameter the notebook does not define is logged as a
            warning (papermill's behaviour) instead of raising ParameterError.
        check_parameters: check names and types against the notebook's parameters cell before
            the kernel starts; False does no type check (papermill's behaviour).
        request_save_on_cell_execute: save the output notebook as cells complete (paced so the
            bytes written stay within about 2.5x the final size); False saves only at the
            start, on autosaves and at the end.
        autosave_cell_every: save at least this often (seconds) while there is news, also in
            the middle of a long cell; 0 disables.
        interrupt_on_timeout: past ``execution_timeout``, interrupt the cell and go on with the
            next; TimeoutError is raised at the end, after the notebook is saved.

    Both paths may name parameters, as in papermill: ``"out-{alpha}.ipynb"``.

    Returns:
        The executed notebook: an ``nbformat.NotebookNode`` when nbformat is installed, else a
        dict.

    Raises:
        ExecutionError: a cell raised (the output notebook is saved first).
        NotebookError, ParameterError, KernelNotFoundError, UsageError: bad input, including
            parameters the notebook does not define or of the wrong type.
        TimeoutError, KernelDiedError: the run could not finish (output saved first).
    """
    unknown = set(engine_kwargs) - {"engine_name", "stdout_file", "stderr_file"}
    if unknown:
        raise TypeError(f"execute_notebook() got unexpected keyword arguments: {sorted(unknown)}")
    if isinstance(parameters, (str, os.PathLike)):
        parameters = _core.merge_parameters([], [os.fspath(parameters)], [], [], [])
    result = _core.run(
        input_path=os.fspath(input_path),
        output_path=os.fspath(output_path) if output_path else "",
        parameters=dict(parameters) if parameters else None,
        kernel_name=kernel_name or "",
        language=language or "",
        cwd=os.fspath(cwd) if cwd is not None else None,
        start_timeout=float(start_timeout),
        execution_timeout=float(execution_timeout) if execution_timeout else None,
        allow_errors=allow_errors,
        report_mode=report_mode,
        prepare_only=prepare_only,
        log_output=log_output,
        env_prefix=sys.prefix,
        log=_log,
        output=_log_output if log_output else None,
        parameter_check=("off" if not check_parameters
                         else "warn_unknown" if allow_unknown_parameters else "strict"),
        request_save_on_cell_execute=request_save_on_cell_execute,
        autosave_cell_every=float(autosave_cell_every),
        interrupt_on_timeout=interrupt_on_timeout,
    )
    if result["cancelled"]:
        raise KeyboardInterrupt("nbexec: run interrupted; the output notebook was saved")
    failure = result["failure"]
    if failure is not None:
        raise ExecutionError(**failure)
    if result["timed_out_cells"]:
        cells = ", ".join(str(i) for i in result["timed_out_cells"])
        raise _TimeoutError(f"nbexec: cell(s) {cells} passed execution_timeout and were "
                           "interrupted; the output notebook was saved")
    return _as_notebook(result["notebook"])


def list_kernelspecs() -> list[dict[str, Any]]:
    """The kernels nbexec can start: dicts with name, display_name, language, resource_dir, argv."""
    return _core.list_kernelspecs(sys.prefix)
