"""execute_notebook: papermill's signature, nbexec's C++ engine, in-process."""

from __future__ import annotations

import io
import logging
import os
import sys
import tempfile
from collections.abc import Mapping
from typing import IO, Any, Optional, Union

from nbexec import _core, remote
from nbexec.exceptions import execution_error
from nbexec.exceptions import TimeoutError as _TimeoutError
from nbexec.progress import ProgressBar, ProgressBarSpec, check_spec
from nbexec.staging import Staging, stage_paths

logger = logging.getLogger("nbexec")

_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
}

# papermill's engines that nbexec stands in for (its default, and nbexec's own papermill
# plug-in); any other engine_name is logged and ignored.
_PAPERMILL_ENGINES = (None, "", "nbclient", "nbexec")

PathLike = Union[str, "os.PathLike[str]"]

# The private keyword through which KernelPool.execute_notebook hands its pool to
# execute_notebook (see KernelPool in pool.py).
_KERNELS_KEYWORD = "_kernels"


def _as_notebook(nb: dict):
    """An nbformat NotebookNode when nbformat is installed (papermill returns one), else the
    dict itself."""
    try:
        import nbformat
    except ImportError:
        return nb
    return nbformat.from_dict(nb)


def _stream_text(output: dict) -> str:
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else text


def _log_output(output: dict) -> None:
    """papermill's log_output_message: stdout and rich text at INFO, stderr at WARNING."""
    kind = output.get("output_type")
    if kind == "stream":
        if output.get("name") == "stderr":
            logger.warning(_stream_text(output))
        else:
            logger.info(_stream_text(output))
    elif kind == "error":
        logger.error("%s: %s", output.get("ename"), output.get("evalue"))
    elif "text/plain" in output.get("data", {}):
        text = output["data"]["text/plain"]
        logger.info("".join(text) if isinstance(text, list) else text)


def _log(level: str, line: str) -> None:
    logger.log(_LEVELS.get(level, logging.INFO), line)


class _CellSeparators:
    """papermill's log_output framing: "Executing Cell N---" and "Ending Cell N---" around every
    cell, markdown and empty cells included, in the order papermill's loop visits them. The
    run reports only the cells it executes; the others are framed when the run passes them."""

    EVENTS = ("run_start", "cell_start", "cell_end")

    def __init__(self) -> None:
        self.cells = 0
        self.next = 0  # the first cell not framed yet

    def event(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "run_start":
            self.cells = int(event.get("cells", 0))
        elif kind == "cell_start":
            self._frame_up_to(event["cell_index"])
            logger.info(f"Executing Cell {event['cell_index'] + 1:-<40}")
        elif kind == "cell_end":
            logger.info(f"Ending Cell {event['cell_index'] + 1:-<43}")
            self.next = event["cell_index"] + 1

    def finish(self) -> None:
        """The cells after the last one run, once the run went through (papermill stops
        framing at a failure)."""
        self._frame_up_to(self.cells)

    def _frame_up_to(self, index: int) -> None:
        for cell in range(self.next, index):
            logger.info(f"Executing Cell {cell + 1:-<40}")
            logger.info(f"Ending Cell {cell + 1:-<43}")
        self.next = max(self.next, index)


class _StreamFiles:
    """stdout_file / stderr_file: stream text written (and flushed) as it arrives, as papermill
    does. A path is opened for writing and closed at the end; a file object is left open."""

    def __init__(self, stdout_file, stderr_file):
        self._opened: list[IO[str]] = []
        self.files = {"stdout": self._open(stdout_file), "stderr": self._open(stderr_file)}

    def _open(self, target) -> Optional[IO[str]]:
        if target is None:
            return None
        if isinstance(target, (str, os.PathLike)):
            handle = open(target, "w", encoding="utf-8")
            self._opened.append(handle)
            return handle
        if not callable(getattr(target, "write", None)):
            raise TypeError("stdout_file and stderr_file take a file object (or a path), not "
                            f"{type(target).__name__}")
        return target

    def __bool__(self) -> bool:
        return any(self.files.values())

    def write(self, output: dict) -> None:
        if output.get("output_type") != "stream":
            return
        handle = self.files.get(output.get("name"))
        if handle is None:
            return
        text = _stream_text(output)
        binary = (isinstance(handle, (io.RawIOBase, io.BufferedIOBase))
                  or "b" in str(getattr(handle, "mode", "")))
        handle.write(text.encode("utf-8") if binary else text)
        if callable(getattr(handle, "flush", None)):
            handle.flush()

    def close(self) -> None:
        for handle in self._opened:
            handle.close()


def _read_parameters(parameters) -> Optional[dict[str, Any]]:
    """A dict as given, or the YAML/JSON file a path (local or remote) names."""
    if parameters is None:
        return None
    if isinstance(parameters, (str, os.PathLike)):
        path = os.fspath(parameters)
        if not remote.is_remote(path):
            return _core.merge_parameters([], [remote.local_path(path)], [], [], [])
        with tempfile.TemporaryDirectory(prefix="nbexec-") as folder:
            return _core.merge_parameters([], [remote.download(path, folder)], [], [], [])
    if not isinstance(parameters, Mapping):
        raise TypeError("parameters must be a dict or the path of a YAML or JSON file")
    return dict(parameters)


def execute_notebook(
    input_path: Union[PathLike, Mapping[str, Any]],
    output_path: Optional[PathLike],
    parameters: Optional[Union[Mapping[str, Any], PathLike]] = None,
    engine_name: Optional[str] = None,
    request_save_on_cell_execute: bool = True,
    prepare_only: bool = False,
    kernel_name: Optional[str] = None,
    language: Optional[str] = None,
    progress_bar: ProgressBarSpec = True,
    log_output: bool = False,
    stdout_file: Optional[Union[IO[str], PathLike]] = None,
    stderr_file: Optional[Union[IO[str], PathLike]] = None,
    start_timeout: float = 60,
    report_mode: bool = False,
    cwd: Optional[PathLike] = None,
    *,
    execution_timeout: Optional[float] = None,
    autosave_cell_every: float = 30,
    allow_errors: bool = False,
    interrupt_on_timeout: bool = False,
    deadline: Optional[float] = None,
    strict_parameters: Optional[bool] = None,
    allow_unknown_parameters: bool = False,
    check_parameters: bool = True,
    # --- secrets (issue 20) ---
    secrets: Optional[Mapping[str, str]] = None,
    allow_insecure_secrets: bool = False,
    # --- Transport and encryption (docs/security.md, "Transport") ---
    transport: Optional[str] = None,
    encryption: Optional[str] = None,
    # --- end of transport and encryption ---
    **engine_kwargs: Any,
):
    """Parameterize and execute a notebook, papermill-style, and save the result.

    The positional order is papermill's, so ``import nbexec as pm`` keeps existing calls
    working; the arguments after ``cwd`` (papermill's engine keywords) are keyword-only.

    Args:
        input_path: the notebook to run: a local path, a remote URL (``s3://``, ``gs://``,
            ``http(s)://``, ``memory://``: read through fsspec), or a notebook object
            (``nbformat.NotebookNode`` or dict), as papermill takes.
        output_path: where to write the executed notebook: a local path or a remote URL
            (written locally, uploaded at every save and at the end); None or "" writes nothing.
        parameters: values injected after the cell tagged ``parameters``; a path (str or
            PathLike, local or remote) is read as a YAML or JSON parameters file.
        engine_name: papermill's engine; nbexec is the engine, so any name but ``"nbclient"``
            is logged as ignored.
        request_save_on_cell_execute: save the output notebook as cells complete (paced so the
            bytes written stay within about 2.5x the final size); False saves only at the
            start, on autosaves and at the end.
        prepare_only: inject parameters and save without executing.
        kernel_name: the kernel to start; default the notebook's ``metadata.kernelspec.name``.
        language: the language for rendering parameters; default the notebook's.
        progress_bar: papermill's tqdm bar over the cells (True, or a dict of tqdm arguments);
            shown only when tqdm is installed.
        log_output: log cell outputs on the "nbexec" logger as they arrive.
        stdout_file: a file object (or a path, opened and closed here) that receives the
            cells' stdout stream text as it arrives, flushed after each write.
        stderr_file: the same for stderr.
        start_timeout: seconds to wait for the kernel to start.
        report_mode: hide the source of every code cell (``metadata.jupyter.source_hidden``).
        cwd: the kernel's working directory (this process's directory is not changed).
        execution_timeout: seconds a single cell may run (None: no limit).
        autosave_cell_every: save at least this often (seconds) while there is news, also in
            the middle of a long cell; 0 disables.
        allow_errors: keep going after a cell raises.
        interrupt_on_timeout: past ``execution_timeout``, interrupt the cell and go on with the
            next; TimeoutError is raised at the end, after the notebook is saved.
        deadline: seconds the whole run may take, kernel start included (None: no limit).
            Past it the running cell is interrupted, the kernel shut down, the notebook saved
            with the cell marked (``metadata.nbexec.stop_reason == "deadline"``) and
            TimeoutError raised; ``interrupt_on_timeout`` does not apply to it. With
            ``execution_timeout``, whichever passes first ends the cell. ValueError unless
            it is None or from 0.001 to 1e9.
        strict_parameters: check the parameters against the notebook's parameters cell
            before the kernel starts and raise ParameterError (nothing written) for a name it
            does not define or a value whose type contradicts it. None (default): the
            environment's ``NBEXEC_STRICT_PARAMETERS`` (1/0), else False: both are logged as
            warnings (an unknown name as papermill logs it, "Passed unknown parameter: NAME")
            and the run goes on, as in papermill.
        allow_unknown_parameters: when strict, an unknown name is a warning and only a value
            of the wrong type raises.
        check_parameters: False checks no types at all (unknown names are still logged).
        secrets: NAME -> value (strings): parameters the kernel gets as string literals and
            nothing else sees. The injected cell and ``metadata.papermill.parameters`` show
            ``"<secret>"``; every output, ``stdout_file``/``stderr_file`` text, log line and
            the ExecutionError has the value (and its repr, JSON and HTML forms) replaced by
            ``********``. Empty values, values shorter than 4 characters and names also in
            ``parameters`` raise UsageError. Best effort: a value the cell transforms
            (base64, slices, upper case) is not masked (docs/security.md).
        allow_insecure_secrets: send secrets although the kernel's sockets are tcp without
            encryption (otherwise UsageError, nothing written): any process that can capture
            the loopback could read them. The default transport (ipc) needs no such consent.
        transport: the kernel's sockets: ``"auto"`` (None, the default: ipc, Unix sockets in
            a private 0700 folder, or tcp on 127.0.0.1 with a warning for a kernel that cannot
            use ipc), ``"ipc"`` (no fallback) or ``"tcp"``.
        encryption: CurveZMQ on every kernel channel: ``"auto"`` (None, the default: when the
            kernelspec declares ``"curve"`` in ``metadata.supported_encryption``),
            ``"required"`` (a kernel without the declaration raises KernelError) or ``"off"``.

    Both paths may name parameters, as in papermill: ``"out-{alpha}.ipynb"``.

    Returns:
        The executed notebook: an ``nbformat.NotebookNode`` when nbformat is installed, else a
        dict.

    Raises:
        ExecutionError: a cell raised (the output notebook is saved first).
        NotebookError, ParameterError, KernelNotFoundError, UsageError: bad input, including
            (with ``strict_parameters``) parameters the notebook does not define or of the
            wrong type, and a ``cwd`` that is not a directory (nothing is written).
        TimeoutError, KernelDiedError: the run could not finish (output saved first).
        KeyboardInterrupt: the run was interrupted (the kernel is stopped, the output saved).
        ImportError: a remote path without fsspec (or the filesystem's package) installed.
    """
    # KernelPool.execute_notebook's way in: the same body, with kernels drawn from its pool.
    # Private (not in the signature), so both functions keep papermill's signature.
    kernels = engine_kwargs.pop(_KERNELS_KEYWORD, None)
    if engine_kwargs:
        raise TypeError("execute_notebook() got unexpected keyword arguments: "
                        f"{sorted(engine_kwargs)}")
    if engine_name not in _PAPERMILL_ENGINES:
        logger.warning("engine_name=%r ignored: nbexec runs the notebook with its own engine",
                       engine_name)
    check_spec(progress_bar)
    parameter_check = _parameter_check(strict_parameters, allow_unknown_parameters,
                                       check_parameters)
    if autosave_cell_every < 0:
        raise ValueError("autosave_cell_every must be >= 0")
    deadline = _deadline_seconds(deadline)
    secrets = _secrets(secrets)
    transport, encryption = _transport_choice(transport, encryption)

    stage: Optional[Staging] = None
    streams: Optional[_StreamFiles] = None
    bar: Optional[ProgressBar] = None
    completed = False
    try:
        params = _read_parameters(parameters)
        stage, core_input, core_output = stage_paths(input_path, output_path, params)
        streams = _StreamFiles(stdout_file, stderr_file)
        bar = ProgressBar.create(progress_bar) if not prepare_only else None

        def on_output(index: int, output: dict) -> None:
            if log_output:
                _log_output(output)
            streams.write(output)

        separators = _CellSeparators() if log_output and not prepare_only else None
        kinds: set[str] = set()
        if bar is not None:
            kinds.update(ProgressBar.EVENTS)
        if separators is not None:
            kinds.update(_CellSeparators.EVENTS)
        if stage.target:
            kinds.add("save")

        def on_event(event: dict) -> None:
            if event.get("event") == "save":
                stage.publish_on_save()
                return
            if separators is not None:
                separators.event(event)
            if bar is not None:
                bar.event(event)

        options = _run_options(core_input, core_output, params, kernel_name=kernel_name,
                               language=language, cwd=cwd, start_timeout=start_timeout,
                               execution_timeout=execution_timeout, allow_errors=allow_errors,
                               report_mode=report_mode, prepare_only=prepare_only,
                               parameter_check=parameter_check,
                               request_save_on_cell_execute=request_save_on_cell_execute,
                               autosave_cell_every=autosave_cell_every,
                               interrupt_on_timeout=interrupt_on_timeout,
                               deadline=deadline, kernels=kernels, secrets=secrets,
                               allow_insecure_secrets=allow_insecure_secrets,
                               transport=transport, encryption=encryption)
        try:
            result = _core.run(options, log=_log,
                               output=on_output if (log_output or streams) else None,
                               event=on_event if kinds else None, event_kinds=sorted(kinds))
        except _core.Error as error:
            if not stage.active:
                raise
            message = stage.unstage_message(str(error))
            if message == str(error):
                raise
            raise type(error)(message).with_traceback(error.__traceback__) from None
        finally:
            # Every way the run ends publishes the last save; a failure to do so raises.
            stage.publish()
        completed = not (result.cancelled or result.failure or result.timed_out_cells)
        if separators is not None and not (result.cancelled or result.failure):
            separators.finish()
    finally:
        if bar is not None:
            bar.close(completed=completed)
        if streams is not None:
            streams.close()
        if stage is not None:
            stage.cleanup()

    if result.cancelled:
        raise KeyboardInterrupt("nbexec: run interrupted; the output notebook was saved")
    failure = result.failure
    if failure is not None:
        raise execution_error(failure.cell_index, failure.exec_count, failure.source,
                              failure.ename, failure.evalue, list(failure.traceback))
    if result.timed_out_cells:
        cells = ", ".join(str(i) for i in result.timed_out_cells)
        raise _TimeoutError(f"nbexec: cell(s) {cells} passed execution_timeout and were "
                           "interrupted; the output notebook was saved")
    nb = result.notebook
    return _as_notebook(stage.patch_notebook(nb) if stage.active else nb)


def _parameter_check(strict_parameters: Optional[bool], allow_unknown_parameters: bool,
                     check_parameters: bool, *,
                     strict_by_default: bool = False) -> "_core.ParameterCheck":
    """The one strictness switch, then its refinements. The default when neither the caller
    nor the environment says is the surface's: papermill's leniency for execute_notebook,
    strict for sweep (as `nbexec run` and `nbexec sweep` are)."""
    if not check_parameters:
        return _core.ParameterCheck.off
    if not _core.resolve_strict_parameters(strict_parameters, strict_by_default):
        return _core.ParameterCheck.warn
    if allow_unknown_parameters:
        return _core.ParameterCheck.warn_unknown
    return _core.ParameterCheck.strict


def _run_options(core_input: str, core_output: str, params: Optional[dict[str, Any]], *,
                 kernel_name, language, cwd, start_timeout, execution_timeout, allow_errors,
                 report_mode, prepare_only, parameter_check, request_save_on_cell_execute,
                 autosave_cell_every, interrupt_on_timeout, deadline=None,
                 kernels: Optional["_core.KernelPool"] = None,
                 secrets: Optional[dict[str, str]] = None,
                 allow_insecure_secrets: bool = False, transport: str = "auto",
                 encryption: str = "auto") -> "_core.RunOptions":
    """execute_notebook's keywords as the core's RunOptions."""
    options = _core.RunOptions()
    options.input_path = core_input
    options.output_path = core_output
    options.parameters = params if params else None
    options.kernel_name = kernel_name or ""
    options.language = language or ""
    options.cwd = os.fspath(cwd) if cwd is not None else None
    options.start_timeout = float(start_timeout)
    options.execution_timeout = float(execution_timeout) if execution_timeout else None
    options.allow_errors = allow_errors
    options.report_mode = report_mode
    options.prepare_only = prepare_only
    options.env_prefix = sys.prefix
    options.parameter_check = parameter_check
    options.request_save_on_cell_execute = request_save_on_cell_execute
    options.autosave_cell_every = float(autosave_cell_every)
    options.interrupt_on_timeout = interrupt_on_timeout
    options.deadline = deadline
    options.kernels = kernels
    options.secrets = secrets or {}
    options.allow_insecure_secrets = bool(allow_insecure_secrets)
    options.transport = transport
    options.encryption = encryption
    return options


def _secrets(secrets: Any) -> dict[str, str]:
    """The secrets keyword checked before anything is read or written: names and values are
    strings (a value is never converted: str() of an object is not what the caller meant)."""
    if secrets is None:
        return {}
    if not isinstance(secrets, Mapping):
        raise TypeError("secrets must be a dict of NAME -> value (strings)")
    for name, value in secrets.items():
        # A name is quoted only when it is plainly one: a value typed where the name belongs
        # (the dict written the wrong way round) must not be echoed.
        which = f"secret {name!r}" if isinstance(name, str) and name.isidentifier() else \
            "a secret"
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"secrets takes strings (NAME -> value); {which} maps to a "
                            f"{type(value).__name__}")
        try:
            name.encode("utf-8")
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{which} is not valid text: it holds a lone surrogate (bytes "
                             "that were not UTF-8, as os.environ keeps them)") from None
    return dict(secrets)


# --- Transport and encryption ---
_TRANSPORTS = ("auto", "ipc", "tcp")
_ENCRYPTIONS = ("off", "auto", "required")


def _transport_choice(transport: Optional[str], encryption: Optional[str]) -> tuple[str, str]:
    """The transport and encryption keywords checked before anything is read or written
    (None: "auto")."""
    transport = "auto" if transport is None else transport
    encryption = "auto" if encryption is None else encryption
    if transport not in _TRANSPORTS:
        raise ValueError(f"transport must be one of {', '.join(_TRANSPORTS)}, not {transport!r}")
    if encryption not in _ENCRYPTIONS:
        raise ValueError(f"encryption must be one of {', '.join(_ENCRYPTIONS)}, "
                         f"not {encryption!r}")
    return transport, encryption
# --- end of transport and encryption ---


def _deadline_seconds(deadline: Any) -> Optional[float]:
    """The deadline keyword checked before anything is read or written (None: no limit)."""
    if deadline is None:
        return None
    # bool is a number to Python, and float(True) would be a 1 s deadline.
    if isinstance(deadline, (int, float)) and not isinstance(deadline, bool) \
            and 0.001 <= deadline <= 1e9:
        return float(deadline)
    raise ValueError(f"deadline must be a number of seconds from 0.001 to 1e9, or None, "
                     f"not {deadline!r}")


def list_kernelspecs() -> list[dict[str, Any]]:
    """The kernels nbexec can start: dicts with name, display_name, language, resource_dir, argv."""
    return _core.list_kernelspecs(sys.prefix)
