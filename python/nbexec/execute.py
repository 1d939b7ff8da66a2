"""execute_notebook: papermill's signature, nbexec's C++ engine, in-process."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from typing import IO, Any, Optional, Union

from nbexec import _core, remote
from nbexec.exceptions import ExecutionError
from nbexec.exceptions import TimeoutError as _TimeoutError
from nbexec.progress import ProgressBar, ProgressBarSpec, check_spec

logger = logging.getLogger("nbexec")

_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
}

# papermill's engines that nbexec stands in for; any other engine_name is logged and ignored.
_PAPERMILL_ENGINES = (None, "", "nbclient")

PathLike = Union[str, "os.PathLike[str]"]


def _as_notebook(text: str):
    """An nbformat NotebookNode when nbformat is installed (papermill returns one), else a dict."""
    try:
        import nbformat
    except ImportError:
        return json.loads(text)
    return nbformat.reads(text, as_version=4)


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


class _Staging:
    """Where the core reads and writes when a path is not a plain local file: a remote input
    or output, or an input given as a notebook object. The core works on local files in a
    temporary folder; every save of the output is published to its real place, with
    ``metadata.papermill.input_path``/``output_path`` naming the real paths, as papermill
    records them."""

    def __init__(self):
        self.folder: Optional[str] = None
        self.local_input: Optional[str] = None
        self.local_output: Optional[str] = None
        self.recorded_input: Optional[str] = None
        self.recorded_output: Optional[str] = None
        self.target: Optional[str] = None
        self._published: Optional[tuple[int, int, int]] = None

    def temp_folder(self) -> str:
        if self.folder is None:
            self.folder = tempfile.mkdtemp(prefix="nbexec-")
        return self.folder

    @property
    def active(self) -> bool:
        return self.folder is not None

    def patch(self, text: str) -> str:
        """The notebook text with the real paths in metadata.papermill."""
        nb = json.loads(text)
        papermill = nb.get("metadata", {}).get("papermill")
        if not isinstance(papermill, dict):
            return text
        papermill["input_path"] = self.recorded_input
        papermill["output_path"] = self.recorded_output
        return _core.roundtrip_notebook_text(json.dumps(nb, ensure_ascii=False))

    def publish(self) -> None:
        """Copies the local output to its target if it changed since the last copy."""
        if not self.target or not self.local_output or not os.path.exists(self.local_output):
            return
        stat = os.stat(self.local_output)
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if key == self._published:
            return
        with open(self.local_output, encoding="utf-8") as handle:
            text = self.patch(handle.read())
        remote.write_text(self.target, text)
        self._published = key

    def publish_on_save(self) -> None:
        """Called on every save of the run: a failed upload is retried at the next save and at
        the end, where a failure raises."""
        try:
            self.publish()
        except Exception as error:  # noqa: BLE001 - logged, retried at the end
            logger.warning("could not write %s (retried at the next save): %s", self.target, error)

    def unstage_message(self, message: str) -> str:
        """An error message naming the real paths instead of the temporary ones."""
        for local, real in ((self.local_input, self.recorded_input),
                            (self.local_output, self.recorded_output)):
            if local and real:
                message = message.replace(local, real)
        return message

    def cleanup(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _fill(path: str, parameters: Optional[Mapping[str, Any]], what: str) -> str:
    return _core.parameterize_path(path, dict(parameters or {}), what)


def _stage_input(stage: _Staging, input_path, parameters) -> None:
    if isinstance(input_path, Mapping):
        stage.local_input = os.path.join(stage.temp_folder(), "input.ipynb")
        with open(stage.local_input, "w", encoding="utf-8") as handle:
            json.dump(input_path, handle, ensure_ascii=False)
        stage.recorded_input = None  # papermill records the object itself; nbexec writes null
        return
    url = _fill(input_path, parameters, "input path")
    stage.recorded_input = url
    stage.local_input = remote.download(url, stage.temp_folder())


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
    allow_unknown_parameters: bool = False,
    check_parameters: bool = True,
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
        allow_unknown_parameters: a parameter the notebook does not define is logged as a
            warning (papermill's behaviour) instead of raising ParameterError.
        check_parameters: check names and types against the notebook's parameters cell before
            the kernel starts; False does no type check (papermill's behaviour).

    Both paths may name parameters, as in papermill: ``"out-{alpha}.ipynb"``.

    Returns:
        The executed notebook: an ``nbformat.NotebookNode`` when nbformat is installed, else a
        dict.

    Raises:
        ExecutionError: a cell raised (the output notebook is saved first).
        NotebookError, ParameterError, KernelNotFoundError, UsageError: bad input, including
            parameters the notebook does not define or of the wrong type and a ``cwd`` that is
            not a directory (nothing is written).
        TimeoutError, KernelDiedError: the run could not finish (output saved first).
        KeyboardInterrupt: the run was interrupted (the kernel is stopped, the output saved).
        ImportError: a remote path without fsspec (or the filesystem's package) installed.
    """
    if engine_kwargs:
        raise TypeError("execute_notebook() got unexpected keyword arguments: "
                        f"{sorted(engine_kwargs)}")
    if engine_name not in _PAPERMILL_ENGINES:
        logger.warning("engine_name=%r ignored: nbexec runs the notebook with its own engine",
                       engine_name)
    check_spec(progress_bar)
    if autosave_cell_every < 0:
        raise ValueError("autosave_cell_every must be >= 0")

    stage = _Staging()
    streams: Optional[_StreamFiles] = None
    bar: Optional[ProgressBar] = None
    completed = False
    try:
        params = _read_parameters(parameters)
        if isinstance(input_path, Mapping) or remote.is_remote(input_path):
            _stage_input(stage, input_path, params)
            core_input = stage.local_input
        else:
            core_input = remote.local_path(input_path)
        out = os.fspath(output_path) if output_path else ""
        stage.recorded_output = out or None
        if out and out != "-" and (stage.active or remote.is_remote(out)):
            filled = _fill(out, params, "output path")
            stage.target = filled if remote.is_remote(filled) else remote.local_path(filled)
            stage.recorded_output = filled
            name = os.path.basename(filled.rstrip("/")) or "output.ipynb"
            stage.local_output = os.path.join(stage.temp_folder(), "out", name)
            os.makedirs(os.path.dirname(stage.local_output))
            if stage.recorded_input is None and not isinstance(input_path, Mapping):
                stage.recorded_input = _fill(os.fspath(input_path), params, "input path")
            core_output = stage.local_output
        else:
            core_output = remote.local_path(out) if out else ""

        streams = _StreamFiles(stdout_file, stderr_file)
        bar = ProgressBar.create(progress_bar) if not prepare_only else None

        def on_output(index: int, output_json: str) -> None:
            output = json.loads(output_json)
            if log_output:
                _log_output(output)
            streams.write(output)

        kinds: set[str] = set()
        if bar is not None:
            kinds.update(ProgressBar.EVENTS)
        if stage.target:
            kinds.add("save")

        def on_event(event_json: str) -> None:
            event = json.loads(event_json)
            if event.get("event") == "save":
                stage.publish_on_save()
            elif bar is not None:
                bar.event(event)

        try:
            result = _core.run(
                input_path=core_input,
                output_path=core_output,
                parameters=params if params else None,
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
                output=on_output if (log_output or streams) else None,
                parameter_check=("off" if not check_parameters
                                 else "warn_unknown" if allow_unknown_parameters else "strict"),
                request_save_on_cell_execute=request_save_on_cell_execute,
                autosave_cell_every=float(autosave_cell_every),
                interrupt_on_timeout=interrupt_on_timeout,
                event=on_event if kinds else None,
                event_kinds=sorted(kinds),
            )
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
        completed = not (result["cancelled"] or result["failure"] or result["timed_out_cells"])
    finally:
        if bar is not None:
            bar.close(completed=completed)
        if streams is not None:
            streams.close()
        stage.cleanup()

    if result["cancelled"]:
        raise KeyboardInterrupt("nbexec: run interrupted; the output notebook was saved")
    failure = result["failure"]
    if failure is not None:
        raise ExecutionError(**failure)
    if result["timed_out_cells"]:
        cells = ", ".join(str(i) for i in result["timed_out_cells"])
        raise _TimeoutError(f"nbexec: cell(s) {cells} passed execution_timeout and were "
                           "interrupted; the output notebook was saved")
    text = result["notebook"]
    return _as_notebook(stage.patch(text) if stage.active else text)


def list_kernelspecs() -> list[dict[str, Any]]:
    """The kernels nbexec can start: dicts with name, display_name, language, resource_dir, argv."""
    return _core.list_kernelspecs(sys.prefix)
