"""sweep: many runs of one notebook over a grid of parameters, on fresh warm kernels.

(The module is `sweeps` so that `nbexec.sweep` stays the function.)
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from nbexec import _core, remote
from nbexec.exceptions import ParameterError, UsageError
from nbexec.execute import (
    PathLike,
    _deadline_seconds,
    _log,
    _parameter_check,
    _read_parameters,
    _run_options,
    _secrets,
    _transport_choice,
)
from nbexec.pool import _preload_list

Grid = Union[Mapping[str, Sequence[Any]], Sequence[Mapping[str, Any]], PathLike]


@dataclass(frozen=True)
class SweepRecord:
    """How one run of a sweep ended: a row of its summary.

    Attributes:
        index: the run's position in the whole grid (0-based; the same on every shard).
        parameters: the run's parameters: the fixed ones, then its grid values.
        status: ``completed``; ``failed`` (a cell raised); ``timeout``; ``kernel_died``;
            ``interrupted``; ``error`` (bad input found only at run time, or the kernel could
            not start); ``skipped`` (never started: ``fail_fast`` or an interrupt).
        exit_code: what ``nbexec run`` would have exited with for this run alone (0, 1, 3...).
        seconds: wall time from the run's start to its final save.
        output_path: where its executed notebook was written.
        scraps: the values the notebook recorded (``nbexec.record``, scrapbook's ``glue``,
            papermill's ``record``), name to value.
        error: one line saying what went wrong; "" when completed.
    """

    index: int
    parameters: dict[str, Any]
    status: str
    exit_code: int
    seconds: float
    output_path: str
    scraps: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when the run completed."""
        return self.status == "completed"


def _flow_value(value: Any, where: str) -> str:
    """A parameter value as YAML flow text, read back by the grid reader with the types
    execute_notebook's parameters keep: JSON for the most part, plus YAML's .nan and .inf
    (JSON has neither)."""
    if value is None or isinstance(value, (bool, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        if not -2**63 <= value < 2**63:
            raise TypeError(f"{where}: {value} does not fit in 64 bits")
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        # YAML (PyYAML's rules, which the grid reader keeps) reads "1e-05" as a str: a float's
        # mantissa needs its dot.
        mantissa, e, exponent = text.partition("e")
        return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow_value(v, f"{where}[{i}]") for i, v in enumerate(value)) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_flow_key(k, where)}: {_flow_value(v, f'{where}[{k!r}]')}"
                               for k, v in value.items()) + "}"
    raise TypeError(f"{where}: a {type(value).__name__} is not a parameter value (use None, "
                    "bool, int, float, str, and lists and dicts of these)")


def _flow_key(key: Any, where: str) -> str:
    if not isinstance(key, str):
        raise TypeError(f"{where}: parameter names must be str, not {type(key).__name__}")
    return json.dumps(key, ensure_ascii=False)


def _grid_text(grid: Grid) -> tuple[str, str]:
    """The grid as text for the core's grid reader (which checks its shape and names), and
    the name its messages use."""
    if isinstance(grid, (str, os.PathLike)):
        path = os.fspath(grid)
        if remote.is_remote(path):
            raise UsageError(f"{path}: the grid file must be a local path")
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read(), path
        except OSError as error:
            raise ParameterError(f"{path}: cannot read the grid file: {error.strerror}") from None
    if isinstance(grid, Mapping):
        return _flow_value(dict(grid), "grid"), "grid"
    if isinstance(grid, Sequence) and not isinstance(grid, (bytes, bytearray)):
        return _flow_value(list(grid), "grid"), "grid"
    raise TypeError("grid must be a dict of name to list of values, a list of dicts (one per "
                    f"run), or the path of a YAML or JSON grid file, not {type(grid).__name__}")


def _notebook_path(notebook: Any) -> str:
    if not isinstance(notebook, (str, os.PathLike)):
        raise TypeError(f"notebook must be a path, not {type(notebook).__name__}")
    path = os.fspath(notebook)
    if remote.is_remote(path):
        raise UsageError(f"{path}: sweep runs local notebooks only")
    return path


def _jobs(jobs: Optional[int]) -> int:
    if jobs is None:
        return 0  # the core's default: the number of CPUs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number >= 1 or None, not {jobs!r}")
    return jobs


def _run_log(index: int, level: str, line: str) -> None:
    _log(level, f"run {index}: {line}")


def sweep(
    notebook: PathLike,
    output_template: PathLike,
    grid: Grid,
    jobs: Optional[int] = None,
    *,
    parameters: Optional[Union[Mapping[str, Any], PathLike]] = None,
    shard: Optional[str] = None,
    fail_fast: bool = False,
    preload: Union[str, Iterable[str]] = (),
    fork: bool = True,
    kernel_name: Optional[str] = None,
    language: Optional[str] = None,
    cwd: Optional[PathLike] = None,
    start_timeout: float = 60,
    execution_timeout: Optional[float] = None,
    deadline: Optional[float] = None,
    interrupt_on_timeout: bool = False,
    allow_errors: bool = False,
    report_mode: bool = False,
    request_save_on_cell_execute: bool = True,
    autosave_cell_every: float = 30,
    strict_parameters: Optional[bool] = None,
    allow_unknown_parameters: bool = False,
    check_parameters: bool = True,
    secrets: Optional[Mapping[str, str]] = None,
    allow_insecure_secrets: bool = False,
    transport: Optional[str] = None,
    encryption: Optional[str] = None,
) -> list[SweepRecord]:
    """Run a notebook once per entry of a grid, ``jobs`` at a time, and return one record per run.

    Every run gets its own fresh kernel, so runs cannot leak state into each other, and each
    output notebook is the one :func:`execute_notebook` (or ``nbexec run``) would write for the
    same parameters. What a sweep saves is the time around the cells: kernels are started
    ahead of need while other runs execute, Python kernels are forked from a template that has
    already imported ipykernel (and ``preload``), and finished kernels shut down in the
    background. This is the Python face of ``nbexec sweep`` (docs/sweeps.md)::

        records = nbexec.sweep("train.ipynb", "out/train-{alpha}-{seed}.ipynb",
                               {"alpha": [0.1, 0.5], "seed": [1, 2, 3]}, jobs=2,
                               preload=["numpy", "pandas"])
        for r in records:
            print(r.index, r.parameters, r.status, r.scraps.get("rmse"))

    Args:
        notebook: the notebook to run (a local path).
        output_template: each run's output path, with ``{name}`` filled from the run's
            parameters and ``{run}`` from its index (``"out/run-{run:03d}.ipynb"``). Two runs
            that would write the same path are an error before anything runs.
        grid: the runs: a dict of name to list of values (every combination, the first name
            varying slowest, as ``itertools.product``), a list of dicts (one run each), or the
            path of a YAML or JSON file holding either.
        jobs: runs at once, and kernels alive at once, warm ones included; None: the number of
            CPUs.
        parameters: values every run gets (a dict, or the path of a YAML or JSON file); a
            grid value of the same name wins.
        shard: ``"I/K"`` runs only the runs whose index i has ``i % K == I`` (0-based), so K
            machines can share a grid; records are of this shard's runs.
        fail_fast: after a run fails, start no new one (the rest are ``skipped``).
        preload: modules the kernel template imports before forking (a list, or
            ``"numpy,pandas"``), added to the notebook's ``metadata.nbexec.preload``. One that
            fails to import, or starts threads, is a warning on the "nbexec" logger and
            kernels are started plainly.
        fork: False starts every kernel as its own process.
        kernel_name, language, cwd, start_timeout, execution_timeout, deadline,
        interrupt_on_timeout, allow_errors, report_mode, request_save_on_cell_execute,
        autosave_cell_every: as in :func:`execute_notebook`, for every run (``deadline``
            limits each run, not the sweep).
        strict_parameters: True (the default when neither this nor
            ``NBEXEC_STRICT_PARAMETERS`` says otherwise, as for ``nbexec sweep``): a grid or
            fixed parameter the notebook does not define, or of the wrong type, raises
            ParameterError naming the run before any kernel starts. False: warnings.
        allow_unknown_parameters, check_parameters: as in :func:`execute_notebook`.
        secrets: NAME -> value (strings): parameters every run's kernel gets as string
            literals and nothing else sees, as in :func:`execute_notebook`: the injected cell
            and ``metadata.papermill.parameters`` show ``"<secret>"``, outputs and log lines
            have the value masked, and records carry no secret at all. A grid or fixed
            parameter of the same name, an empty value or one shorter than 4 characters
            raise UsageError before anything runs.
        allow_insecure_secrets, transport, encryption: as in :func:`execute_notebook`, for
            every run (tcp without encryption with secrets raises UsageError unless
            ``allow_insecure_secrets``).

    Returns:
        One :class:`SweepRecord` per run of this shard, by index; runs that failed are
        records too (a failed run does not stop the others).

    Raises:
        ParameterError, NotebookError, KernelNotFoundError, UsageError: bad input (a grid of
            the wrong shape, a duplicated output path, an unknown parameter under strict
            checks, a bad shard), raised before anything starts or is written.
        TypeError, ValueError: arguments of the wrong type or range.
        KeyboardInterrupt: the sweep was interrupted; running notebooks were stopped and
            saved with their cell marked, and every kernel ended.
    """
    input_path = _notebook_path(notebook)
    if not isinstance(output_template, (str, os.PathLike)) or not os.fspath(output_template):
        raise TypeError("output_template must be a non-empty path template")
    grid_text, grid_origin = _grid_text(grid)
    if shard is not None and not isinstance(shard, str):
        raise TypeError(f"shard must be a str such as '0/4', not {type(shard).__name__}")
    if autosave_cell_every < 0:
        raise ValueError("autosave_cell_every must be >= 0")
    parameter_check = _parameter_check(strict_parameters, allow_unknown_parameters,
                                       check_parameters, strict_by_default=True)
    secrets = _secrets(secrets)
    transport, encryption = _transport_choice(transport, encryption)
    options = _run_options(input_path, "", _read_parameters(parameters), kernel_name=kernel_name,
                           language=language, cwd=cwd, start_timeout=start_timeout,
                           execution_timeout=execution_timeout, allow_errors=allow_errors,
                           report_mode=report_mode, prepare_only=False,
                           parameter_check=parameter_check,
                           request_save_on_cell_execute=request_save_on_cell_execute,
                           autosave_cell_every=autosave_cell_every,
                           interrupt_on_timeout=interrupt_on_timeout,
                           deadline=_deadline_seconds(deadline), secrets=secrets,
                           allow_insecure_secrets=allow_insecure_secrets,
                           transport=transport, encryption=encryption)
    result = _core.run_sweep(options, grid_text, grid_origin, os.fspath(output_template),
                             shard=shard, jobs=_jobs(jobs), fail_fast=bool(fail_fast),
                             fork=bool(fork), preload=_preload_list(preload), log=_log,
                             run_log=_run_log)
    records = [SweepRecord(**record) for record in result["records"]]
    if result["cancelled"]:
        done = sum(1 for r in records if r.status == "completed")
        raise KeyboardInterrupt(f"nbexec: sweep interrupted after {done} of {len(records)} runs "
                                "completed; running notebooks were saved")
    return records

