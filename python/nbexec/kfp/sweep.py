"""``notebook_sweep``: a sweep over pods, as a fragment of a KFP v2 pipeline.

Called inside a ``@dsl.pipeline`` function, it adds

- a ``dsl.ParallelFor`` over K shards, each a step that runs ``nbexec sweep --shard I/K`` on
  the notebook (:mod:`nbexec.kfp.sweep_step`) and outputs its executed notebooks (an Artifact
  folder, ``notebooks``) and its summary (a Dataset, ``summary``);
- a collect step that takes ``dsl.Collected`` of the summaries and outputs the merged table
  (``table``, CSV), the best run by a scrap (``metrics``) and an HTML report (``report``)
  (:mod:`nbexec.kfp.sweep_collect`, :mod:`nbexec.kfp.sweep_report`).

Both steps have the two forms of a notebook op (docs/kfp.md): a container form for clusters
(``python3 -m nbexec.kfp.sweep_step`` / ``sweep_collect``; the image needs nbexec, not kfp),
and a lightweight form that kfp.local's SubprocessRunner can run, chosen when the fragment is
built by :func:`nbexec.kfp.local_mode.subprocess_runner_active`.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

from kfp import dsl

from nbexec import _core
from nbexec.exceptions import Error, ParameterError
from nbexec.kfp import codegen, embed, interface, local_mode
from nbexec.kfp import secrets as secrets_module
from nbexec.kfp.component import run_options
from nbexec.kfp.sweep_collect import CollectConfig
from nbexec.kfp.sweep_step import DEFAULT_TEMPLATE, ShardConfig
from nbexec.kfp.validation import _is_channel

SHARD_COMMAND = ("python3", "-m", "nbexec.kfp.sweep_step")
COLLECT_COMMAND = ("python3", "-m", "nbexec.kfp.sweep_collect")
MODES = ("min", "max")


class NotebookSweep:
    """What :func:`notebook_sweep` added to the pipeline.

    ``outputs`` are the collect step's: ``table`` (Dataset, CSV), ``metrics`` (Metrics) and
    ``report`` (HTML). ``shard_task`` is the step inside the ParallelFor (its outputs
    ``notebooks``, an Artifact folder, and ``summary``, a Dataset, are per shard: collect them
    with ``dsl.Collected``, as :attr:`notebooks` does); ``collect_task`` the collect step;
    ``loop`` the ParallelFor; ``secrets`` the secret parameters, name to environment
    variable.
    """

    def __init__(self, loop: Any, shard_task: Any, collect_task: Any,
                 secrets: Optional[Mapping[str, str]] = None):
        self.loop = loop
        self.shard_task = shard_task
        self.collect_task = collect_task
        self.secrets: dict[str, str] = dict(secrets or {})

    def use_kubernetes_secret(self, secret_name: str, keys: Mapping[str, str]) -> Any:
        """Fills secret parameters of the sweep's shard steps from Kubernetes Secret
        ``secret_name``: ``keys`` maps a secret parameter to its key in the Secret
        (kfp-kubernetes' ``use_secret_as_env``). Returns the shard task."""
        return secrets_module.use_kubernetes_secret(self.shard_task, self.secrets, secret_name,
                                                    keys)

    @property
    def outputs(self) -> Mapping[str, Any]:
        return self.collect_task.outputs

    @property
    def notebooks(self) -> Any:
        """Every shard's notebooks folder, for an input of type ``Input[List[Artifact]]``."""
        return dsl.Collected(self.shard_task.outputs["notebooks"])


def _positive(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ParameterError(f"notebook_sweep: {what} must be a whole number >= 1, not "
                             f"{value!r}")
    return value


def _constant_grid(grid: Any, template: str,
                   fixed: Optional[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A constant grid (a dict of lists, a list of dicts, a grid file) as the list of each
    run's grid values, planned by nbexec's core: shape, names, and, when the fixed values are
    constants too, the output paths (filled, no two the same)."""
    from nbexec.sweeps import _grid_text

    text, origin = _grid_text(os.fspath(grid) if isinstance(grid, os.PathLike) else grid)
    try:
        runs = _core.plan_sweep(text, origin, "{run}", None)
        if fixed is not None:
            _core.plan_sweep(text, origin, template, dict(fixed))
    except Error as exc:  # a bad template is the core's UsageError: still the sweep's input
        if isinstance(exc, ParameterError):
            raise
        raise ParameterError(f"notebook_sweep: {exc}") from None
    return [run["parameters"] for run in runs]


def _check(iface: interface.Interface, runs: Sequence[Mapping[str, Any]],
           fixed: Mapping[str, Any]) -> None:
    """Each distinct run's parameters (the fixed values, then its own) checked against the
    parameters cell, as ``nbexec sweep`` checks them before any kernel starts."""
    seen: set[str] = set()
    messages: list[str] = []
    told: set[str] = set()
    for index, run in enumerate(runs or [{}]):
        merged = {**fixed, **run}
        key = json.dumps(merged, sort_keys=True, default=repr)
        if key in seen or not merged:
            continue
        seen.add(key)
        for problem in _core.check_parameters_text(iface.notebook_text, merged,
                                                   iface.kernel_name, iface.language):
            if problem["message"] not in told:  # a fixed value's problem is every run's
                told.add(problem["message"])
                messages.append((f"run {index}: " if runs else "") + problem["message"])
    if messages:
        raise ParameterError(f"notebook_sweep {iface.name} ({iface.notebook_name}): "
                             + "; ".join(messages))


def _check_no_secret(secrets: Mapping[str, str], runs: Sequence[Mapping[str, Any]],
                     fixed: Optional[Mapping[str, Any]]) -> None:
    """A constant grid or fixed value may not name a secret (nbexec sweep refuses it too; a
    grid or fixed values given at run time are refused by the shard's nbexec sweep)."""
    if not secrets:
        return
    for index, run in enumerate(runs):
        for name in run:
            if name in secrets:
                raise ParameterError(f"notebook_sweep: run {index}: {name!r} is a secret; the "
                                     "grid may not give it a value")
    for name in fixed or {}:
        if name in secrets:
            raise ParameterError(f"notebook_sweep: {name!r} is a secret; parameters may not "
                                 "give it a value")


def _namespace() -> dict[str, Any]:
    from typing import List

    names = ("Input", "Output", "Artifact", "Dataset", "Metrics", "HTML")
    return {"List": List, **{n: getattr(dsl, n) for n in names}}


_SHARD_SIGNATURE = ("(shard: int, grid: list, parameters: dict, notebooks: Output[Artifact], "
                    "summary: Output[Dataset]):")
_COLLECT_SIGNATURE = ("(summaries: Input[List[Dataset]], table: Output[Dataset], "
                      "metrics: Output[Metrics], report: Output[HTML]):")


def _function(name: str, signature: str, doc: str, body: list[str], extra: Mapping[str, Any]):
    text = "\n".join([f"def {name}{signature}", f"    {doc!r}",
                      *[f"    {line}" for line in body]]) + "\n"
    return codegen.compile_function(text, name, {**_namespace(), **extra})


def _shard_op(name: str, image: str, config: ShardConfig, lightweight: bool,
              command: Sequence[str]) -> Any:
    doc = (f"One shard of a sweep of {config.notebook_name}: nbexec sweep --shard I/"
           f"{config.shards}.\n\nArgs:\n    shard: this shard's number, from 0\n"
           "    grid: the whole grid, one mapping per run\n"
           "    parameters: values every run gets\n"
           "    notebooks: a folder of the shard's executed notebooks\n"
           "    summary: the shard's summary, JSON lines")
    if lightweight:
        body = ["from nbexec.kfp.sweep_step import run_lightweight as _nbexec_run",
                f"_nbexec_run({config.to_json()!r}, shard, grid, parameters, notebooks, "
                "summary)"]
        return local_mode.local_only(dsl.component(
            _function(name, _SHARD_SIGNATURE, doc, body, {}), base_image=image,
            install_kfp_package=False))

    def spec(shard, grid, parameters, notebooks, summary):
        return dsl.ContainerSpec(image=image, command=list(command), args=[
            "--config", config.to_json(), "--shard", shard, "--grid", grid,
            "--parameters", parameters, "--notebooks", notebooks.path,
            "--summary", summary.path])

    body = ["return _nbexec_spec(shard, grid, parameters, notebooks, summary)"]
    return dsl.container_component(
        _function(name, _SHARD_SIGNATURE, doc, body, {"_nbexec_spec": spec}))


def _collect_op(name: str, image: str, config: CollectConfig, lightweight: bool,
                command: Sequence[str]) -> Any:
    doc = (f"Merges the shards' summaries of a sweep of {config.title}.\n\nArgs:\n"
           "    summaries: the shards' summaries\n"
           "    table: every run: index, parameters, status, exit_code, seconds, output_path, "
           "shard, scrap.NAME..., error (CSV)\n"
           "    metrics: runs, completed, and the best run by the objective\n"
           "    report: the table and a plot, as a self-contained HTML page")
    if lightweight:
        body = ["from nbexec.kfp.sweep_collect import run_lightweight as _nbexec_run",
                f"_nbexec_run({config.to_json()!r}, summaries, table, metrics, report)"]
        return local_mode.local_only(dsl.component(
            _function(name, _COLLECT_SIGNATURE, doc, body, {}), base_image=image,
            install_kfp_package=False))

    def spec(summaries, table, metrics, report):
        return dsl.ContainerSpec(image=image, command=list(command), args=[
            "--config", config.to_json(),
            "--executor-input", dsl.PIPELINE_TASK_EXECUTOR_INPUT_PLACEHOLDER,
            "--table", table.path, "--metrics", metrics.path, "--report", report.path])

    body = ["return _nbexec_spec(summaries, table, metrics, report)"]
    return dsl.container_component(
        _function(name, _COLLECT_SIGNATURE, doc, body, {"_nbexec_spec": spec}))


def notebook_sweep(
    notebook: Union[str, "os.PathLike[str]"],
    image: str,
    *,
    grid: Any,
    shards: int = 1,
    jobs: int = 1,
    parameters: Any = None,
    objective: Optional[str] = None,
    mode: str = "min",
    plot: Optional[Sequence[str]] = None,
    output_template: str = DEFAULT_TEMPLATE,
    name: Optional[str] = None,
    kernel_name: Optional[str] = None,
    language: Optional[str] = None,
    cwd: Optional[str] = None,
    execution_timeout: Optional[float] = None,
    start_timeout: Optional[float] = None,
    deadline: Optional[float] = None,
    interrupt_on_timeout: bool = False,
    allow_errors: bool = False,
    fail_fast: bool = False,
    preload: Iterable[str] = (),
    strict_parameters: bool = True,
    nbexec_options: Sequence[str] = (),
    notebook_in_image: Optional[str] = None,
    shard_command: Sequence[str] = SHARD_COMMAND,
    collect_command: Sequence[str] = COLLECT_COMMAND,
    secrets: Optional[Mapping[str, str]] = None,
) -> NotebookSweep:
    """Adds a sweep of ``notebook`` over ``grid`` to the pipeline being built: ``shards`` pods,
    each running ``jobs`` runs at a time, then a step that merges their summaries.

    ``grid``: a dict of name to list of values (every combination), a list of dicts (one run
    each), the path of a YAML or JSON grid file (read now), or a pipeline channel of type
    ``list`` (a list of dicts), so one compiled pipeline serves many sweeps. ``parameters``:
    values every run gets (a dict, or a ``dict`` channel); a grid value of the same name wins.
    Constants are checked now against the notebook's parameters cell (``nbexec.ParameterError``
    while ``@dsl.pipeline`` decorates), as ``nbexec sweep`` checks them.

    ``objective`` names a scrap; the best run is the completed run with the lowest
    (``mode="min"``) or highest (``"max"``) value, and the collect step fails when no
    completed run recorded it. ``plot=(scrap, parameter)`` chooses the report's plot
    (default: the objective against the first parameter that varies).

    ``secrets={"token": "API_TOKEN"}`` makes ``token`` a secret parameter of every run, as
    for ``notebook_component``: its value read in the shard's pod from environment variable
    ``API_TOKEN`` (``nbexec sweep --secret token=API_TOKEN``, over ipc), given to the kernels
    only, never in the pipeline, the grid, the summary, the table, the report or the executed
    notebooks. A grid or ``parameters`` may not name a secret (a constant one is a
    ParameterError now, one given at run time fails the shard). Fill the variable from a
    Kubernetes Secret with ``sweep.use_kubernetes_secret("secret-name", {"token": "key"})``.

    Returns a :class:`NotebookSweep`: ``.outputs["table"]``, ``["metrics"]``, ``["report"]``,
    ``.shard_task``, ``.collect_task``, ``.notebooks``. See docs/kfp.md.
    """
    shards = _positive(shards, "shards")
    jobs = _positive(jobs, "jobs")
    if mode not in MODES:
        raise ValueError(f"mode must be 'min' or 'max', not {mode!r}")
    if objective is not None and not (isinstance(objective, str) and objective):
        raise TypeError(f"objective must be a scrap name, not {objective!r}")
    if plot is not None:
        if isinstance(plot, str) or len(plot) != 2 or not all(isinstance(p, str) for p in plot):
            raise TypeError(f"plot must be (scrap, parameter), not {plot!r}")
        plot = list(plot)
    iface = interface.read_interface(notebook, kernel_name=kernel_name, language=language)
    iface.strict_parameters = strict_parameters
    secret_envs = secrets_module.check_secrets(secrets)
    secrets_module.check_secret_parameters(secret_envs, iface, strict_parameters)
    if objective and objective not in iface.scraps and \
            (iface.language or "python") == "python" and iface.scraps:
        warnings.warn(f"notebook_sweep: objective {objective!r} is not among the scraps "
                      f"{iface.notebook_name} records where nbexec can see "
                      f"({', '.join(iface.scraps)}); the collect step fails if no run "
                      "records it", stacklevel=2)

    fixed = {} if parameters is None else parameters
    if not _is_channel(fixed) and not isinstance(fixed, Mapping):
        raise TypeError(f"parameters must be a dict or a dict pipeline input, not "
                        f"{type(fixed).__name__}")
    if _is_channel(grid):
        runs: list[dict[str, Any]] = []
    else:
        runs = _constant_grid(grid, output_template, None if _is_channel(fixed) else fixed)
    _check_no_secret(secret_envs, runs, None if _is_channel(fixed) else fixed)
    if strict_parameters and not _is_channel(fixed):
        fixed = dict(fixed)
        _check(iface, runs, fixed)

    options = run_options(kernel_name, language, cwd, execution_timeout, start_timeout,
                          interrupt_on_timeout, allow_errors, False, nbexec_options,
                          strict_parameters)
    if deadline is not None:
        options += ["--deadline", str(deadline)]
    if fail_fast:
        options.append("--fail-fast")
    modules = [preload] if isinstance(preload, str) else list(preload)
    if modules:
        options += ["--preload", ",".join(modules)]
    options += secrets_module.secret_run_options(secret_envs, nbexec_options)
    base = name or interface.component_name(os.fspath(notebook))
    shard_config = ShardConfig(
        notebook_name=iface.notebook_name,
        notebook=None if notebook_in_image else embed.pack(iface.notebook_text),
        notebook_path=notebook_in_image, shards=shards, jobs=jobs,
        output_template=output_template,
        parameter_types={p.name: p.type for p in iface.parameters
                         if p.name not in secret_envs},
        sweep_options=options)
    collect_config = CollectConfig(title=f"Sweep of {iface.notebook_name}", objective=objective,
                                   mode=mode, plot=plot)

    # The form is decided here, at call time, and only here (docs/kfp.md).
    lightweight = local_mode.subprocess_runner_active()
    shard_op = _shard_op(f"{base}_sweep_shard", image, shard_config, lightweight, shard_command)
    collect_op = _collect_op(f"{base}_sweep_collect", image, collect_config, lightweight,
                             collect_command)
    grid_argument = grid if _is_channel(grid) else runs
    loop = dsl.ParallelFor(list(range(shards)))
    with loop as shard:
        shard_task = shard_op(shard=shard, grid=grid_argument, parameters=fixed)
    collect_task = collect_op(summaries=dsl.Collected(shard_task.outputs["summary"]))
    return NotebookSweep(loop, shard_task, collect_task, secret_envs)
