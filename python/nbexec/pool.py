"""KernelPool: fresh kernels for a loop of runs, started ahead of need and forked warm."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from typing import IO, Any, Optional, Union

from nbexec import _core
from nbexec.execute import _KERNELS_KEYWORD, PathLike, _log, _transport_choice, execute_notebook
from nbexec.progress import ProgressBarSpec


def _preload_list(preload: Union[str, Iterable[str]]) -> list[str]:
    """Module names to import in the template: a list, or "numpy,pandas" as the CLI's
    --preload takes them."""
    if isinstance(preload, str):
        names = [name.strip() for name in preload.split(",")]
    else:
        names = list(preload)
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"preload takes module names (str), not {name!r}")
    return names


class KernelPool:
    """Kernels for many runs in one process: each run gets a fresh kernel, never one a cell has
    run in, but the next one is started while the current run's cells execute, and Python
    kernels are forked from a warm template process that has already imported ipykernel (and
    the modules in ``preload``), so a run pays neither the interpreter start nor those imports.

    Use it as a context manager in a launcher script or notebook::

        with nbexec.KernelPool("python3", size=2, preload=["numpy", "pandas"]) as pool:
            for alpha in (0.1, 0.5, 0.9):
                pool.execute_notebook("train.ipynb", f"out/train-{alpha}.ipynb",
                                      parameters={"alpha": alpha})

    ``pool.execute_notebook`` takes exactly what :func:`nbexec.execute_notebook` takes and runs
    the same way; only the kernel comes from the pool. Runs may come from several threads at
    once (the GIL is released while kernels work); at most ``size`` kernels are alive at a
    time, so a run waits for a free one.

    Args:
        kernel_name: the kernelspec runs use unless ``execute_notebook`` names its own;
            None: each notebook's ``metadata.kernelspec.name``.
        size: kernels alive at once, counting those running a notebook, those started ahead
            of need and those shutting down. At least 1.
        preload: modules the template imports before it forks ("numpy", "pandas"), as a list
            or a comma-separated str. Opt-in, because a preloaded module is state every run
            starts from; one that fails to import or starts threads turns forking off, with a
            warning on the "nbexec" logger, and kernels are started plainly.
        fork: False starts every kernel as its own process (kernels of non-Python kernelspecs
            are never forked; they are only started ahead of need).
        start_timeout: seconds the template may take to start and import ``preload``.
        transport: the runs' kernel sockets unless ``execute_notebook`` says otherwise:
            ``"auto"`` (ipc, tcp for a kernel that cannot), ``"ipc"`` or ``"tcp"``.
        encryption: the runs' CurveZMQ policy unless ``execute_notebook`` says otherwise:
            ``"auto"``, ``"required"`` or ``"off"`` (see :func:`nbexec.execute_notebook`).

    Leaving the ``with`` block (or :meth:`shutdown`) ends every kernel and the template and
    waits for them; the pool cannot run anything afterwards.
    """

    def __init__(self, kernel_name: Optional[str] = None, size: int = 2,
                 preload: Union[str, Iterable[str]] = (), fork: bool = True, *,
                 start_timeout: float = 60,
                 # --- Transport and encryption ---
                 transport: Optional[str] = None, encryption: Optional[str] = None,
                 # --- end of transport and encryption ---
                 ) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be a whole number >= 1, not {size!r}")
        self.kernel_name = kernel_name
        self._transport, self._encryption = _transport_choice(transport, encryption)
        self._pool = _core.KernelPool(size=size, fork=bool(fork), preload=_preload_list(preload),
                                      start_timeout=float(start_timeout), env_prefix=sys.prefix,
                                      transport=self._transport, encryption=self._encryption,
                                      log=_log)

    def __enter__(self) -> "KernelPool":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        """End every kernel and template and wait for them to exit. Idempotent; a run started
        afterwards raises KernelError."""
        self._pool.shutdown()

    def warm_up(self, kernel_name: Optional[str] = None, cwd: Optional[PathLike] = None) -> None:
        """Start kernels for runs of ``kernel_name`` (default: the pool's) in ``cwd`` now, in
        the background, up to the free slots, so that the first run finds one ready (and the
        template already started). Returns at once. Runs on another kernelspec or folder
        still work: they start their own kernel. Raises KernelNotFoundError for an unknown
        kernelspec and ValueError without a kernel name."""
        name = kernel_name or self.kernel_name
        if not name:
            raise ValueError("warm_up needs a kernel name (the pool has none)")
        self._pool.warm_up(name, os.fspath(cwd) if cwd is not None else None)

    def stats(self) -> dict[str, Any]:
        """What the pool has done so far: ``started`` (kernels started), ``forked`` (of them,
        forked from a template), ``warm_hits`` (runs that found their kernel already
        started), ``fork_fallback`` (why forking was turned off, or ""), ``template_pids``
        (templates alive now)."""
        return self._pool.stats()

    def execute_notebook(
        self,
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
        # --- Transport and encryption ---
        transport: Optional[str] = None,
        encryption: Optional[str] = None,
        # --- end of transport and encryption ---
        **engine_kwargs: Any,
    ):
        """:func:`nbexec.execute_notebook` on a fresh kernel from this pool.

        The arguments, the notebook returned and the exceptions raised are exactly
        execute_notebook's (the signatures are kept equal by a test); ``kernel_name`` defaults
        to the pool's. ``start_timeout`` also bounds the wait for a free kernel when all
        ``size`` are busy (TimeoutError). ``transport`` and ``encryption`` default to the
        pool's.
        """
        # Spelled out rather than forwarded as *args/**kwargs so that help(), IDEs and type
        # checkers show the real signature.
        engine_kwargs[_KERNELS_KEYWORD] = self._pool
        return execute_notebook(
            input_path, output_path, parameters, engine_name, request_save_on_cell_execute,
            prepare_only, kernel_name if kernel_name else self.kernel_name, language,
            progress_bar, log_output, stdout_file, stderr_file, start_timeout, report_mode, cwd,
            execution_timeout=execution_timeout, autosave_cell_every=autosave_cell_every,
            allow_errors=allow_errors, interrupt_on_timeout=interrupt_on_timeout,
            deadline=deadline, strict_parameters=strict_parameters,
            allow_unknown_parameters=allow_unknown_parameters,
            check_parameters=check_parameters, secrets=secrets,
            allow_insecure_secrets=allow_insecure_secrets,
            transport=self._transport if transport is None else transport,
            encryption=self._encryption if encryption is None else encryption, **engine_kwargs)
