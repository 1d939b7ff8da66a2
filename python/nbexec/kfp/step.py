"""One notebook step at run time: ``nbexec run`` on the notebook, then the step's outputs.

Both forms of a notebook op end here: the container form through ``python3 -m
nbexec.kfp.entrypoint`` (argv built from KFP placeholders), the lightweight form through
:func:`run_lightweight`, called by KFP's Python executor. Nothing here imports kfp, so the
container image needs only nbexec (its CLI and this package).

The step:

1. writes the embedded notebook (or takes the one in the image) and the parameters, as YAML
   that ``nbexec run -f`` reads back to the same values;
2. runs ``nbexec run IN OUT -f params.yaml --log-format json --stdout-file - --stderr-file -
   [options]``: the cells' text goes to the step's stdout as it arrives, the run's events are
   turned into log lines on stderr; SIGTERM and SIGINT are passed on, so a stopped pod still
   saves the notebook;
3. reads the scraps the executed notebook recorded and writes one output parameter per
   declared scrap, the Metrics values, the HTML page, and the status and error outputs.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from nbexec.kfp import embed, html, logs, values

#: run_end statuses (docs/events.md) and the step's own.
COMPLETED = "completed"
SCRAP_ERROR = "scrap_error"


@dataclass
class StepConfig:
    """What the op was built with; the same for both forms."""

    notebook_name: str
    notebook: Optional[str] = None          # packed notebook (embed.pack)
    notebook_path: Optional[str] = None     # or a notebook inside the image
    parameters: dict[str, str] = field(default_factory=dict)   # name -> type
    artifact_inputs: list[str] = field(default_factory=list)
    artifact_outputs: list[str] = field(default_factory=list)
    scraps: dict[str, str] = field(default_factory=dict)       # name -> type
    metrics: bool = False
    html: bool = False
    on_failure: str = "fail"
    run_options: list[str] = field(default_factory=list)       # extra `nbexec run` options

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "StepConfig":
        return cls(**json.loads(text))


@dataclass
class StepOutputs:
    """Where the step writes its outputs (local paths KFP gives it)."""

    executed_notebook: str
    scraps: dict[str, str] = field(default_factory=dict)       # name -> output parameter file
    artifact_outputs: dict[str, str] = field(default_factory=dict)
    metrics: Optional[str] = None
    html: Optional[str] = None
    status: Optional[str] = None
    error: Optional[str] = None


@dataclass
class StepResult:
    status: str                 # run_end's status, or "scrap_error"
    exit_code: int              # nbexec's exit code (1 for a scrap error)
    error: str                  # "" on success
    scraps: dict[str, Any]      # every scrap the notebook recorded
    metrics: dict[str, float]   # the numeric ones

    @property
    def failed(self) -> bool:
        return self.status != COMPLETED


def find_cli() -> str:
    """The ``nbexec`` executable: $NBEXEC_CLI, else beside this Python, else on PATH."""
    if os.environ.get("NBEXEC_CLI"):
        return os.environ["NBEXEC_CLI"]
    beside = os.path.join(os.path.dirname(sys.executable), "nbexec")
    if os.path.exists(beside):
        return beside
    found = shutil.which("nbexec")
    if not found:
        raise FileNotFoundError("the nbexec executable is not installed in this image "
                                "(pip install nbexec puts it beside python)")
    return found


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _write(path: str, text: str) -> None:
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _run_nbexec(command: list[str]) -> tuple[int, Optional[dict[str, Any]]]:
    """Runs the CLI; returns its exit code and its run_end event."""
    sys.stdout.flush()
    sys.stderr.flush()
    # The handlers go in before the child starts, so a pod stopped while nbexec starts is
    # not lost: a signal that comes first is passed on as soon as there is a child.
    child: list[subprocess.Popen] = []
    pending: list[int] = []

    def forward(signum, _frame):
        if not child:
            pending.append(signum)
            return
        try:
            child[0].send_signal(signum)
        except ProcessLookupError:
            pass

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            previous[signum] = signal.signal(signum, forward)
        except ValueError:  # not the main thread: the signals stay where they were
            pass
    if pending:  # stopped before anything ran: nothing to start
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        return 128 + pending[0], None
    try:
        process = subprocess.Popen(command, stdout=None, stderr=subprocess.PIPE, text=True,
                                   encoding="utf-8", errors="replace", bufsize=1)
    except BaseException:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        raise
    child.append(process)
    for signum in pending:
        process.send_signal(signum)
    run_end = None
    try:
        assert process.stderr is not None
        for line in process.stderr:
            event = logs.parse(line)
            if event is None:
                if line.strip():
                    _say(line.rstrip("\n"))
                continue
            if event.get("event") == "run_end":
                run_end = event
            text = logs.render(event)
            if text:
                _say(text)
        code = process.wait()
        if code < 0:  # killed by a signal that came before nbexec could handle it
            code = 128 - code
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code, run_end


def _status_of(code: int) -> str:
    return {0: COMPLETED, 1: "failed", 3: "timeout", 4: "kernel_died"}.get(
        code, "interrupted" if code > 128 else "error")


def _numeric(scraps: Mapping[str, Any]) -> dict[str, float]:
    return {name: value for name, value in scraps.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value)}


def run_step(config: StepConfig, parameters: Mapping[str, Any],
             artifact_inputs: Mapping[str, str], outputs: StepOutputs) -> StepResult:
    """Runs the notebook with ``parameters`` (typed values; the notebook's own default for a
    parameter left out) and writes ``outputs``. Never raises for a failed run: the result
    says what happened, and the caller decides whether the step fails."""
    from nbexec.scraps import read_scraps

    workdir = tempfile.mkdtemp(prefix="nbexec-kfp-")
    try:
        if config.notebook is not None:
            notebook_path = os.path.join(workdir, config.notebook_name)
            _write(notebook_path, embed.unpack(config.notebook))
        else:
            notebook_path = config.notebook_path or ""

        injected: dict[str, Any] = {}
        for name, value in parameters.items():
            injected[name] = values.normalize(value, config.parameters.get(name, "str"))
        for name, path in artifact_inputs.items():
            injected[name] = path
        for name, path in outputs.artifact_outputs.items():
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            injected[name] = path
        params_file = os.path.join(workdir, "parameters.yaml")
        _write(params_file, values.to_yaml(injected))
        os.makedirs(os.path.dirname(outputs.executed_notebook) or ".", exist_ok=True)

        try:
            command = [find_cli(), "run", notebook_path, outputs.executed_notebook,
                       "-f", params_file, "--log-format", "json", "--stdout-file", "-",
                       "--stderr-file", "-", *config.run_options]
            code, run_end = _run_nbexec(command)
            status = (run_end or {}).get("status") or _status_of(code)
            error = (run_end or {}).get("error") or ("" if code == 0 else f"nbexec exited {code}")
        except OSError as exc:  # no nbexec executable in the image
            code, status, error = 2, "error", f"cannot run nbexec: {exc}"
            _say(f"nbexec.kfp: {error}")

        recorded: dict[str, Any] = {}
        notebook: Optional[dict[str, Any]] = None
        if os.path.exists(outputs.executed_notebook):
            try:
                with open(outputs.executed_notebook, encoding="utf-8") as handle:
                    notebook = json.load(handle)
                recorded = read_scraps(notebook)
            except ValueError as exc:
                _say(f"nbexec.kfp: cannot read the executed notebook: {exc}")

        problems = []
        for name, type_ in config.scraps.items():
            value = values.zero(type_)
            if name not in recorded:
                problems.append(f"the notebook did not record scrap {name!r}")
            else:
                try:
                    value = values.coerce_scrap(recorded[name], type_)
                except ValueError as exc:
                    problems.append(f"scrap {name!r} is not a {type_}: {exc}")
            if name in outputs.scraps:
                _write(outputs.scraps[name], values.output_text(value, type_))
        if status == COMPLETED and problems:
            status, code, error = SCRAP_ERROR, 1, "; ".join(problems)
        elif problems:
            _say("nbexec.kfp: " + "; ".join(problems))

        metrics = _numeric(recorded)
        if outputs.metrics:
            _write(outputs.metrics, json.dumps(metrics, sort_keys=True))
        if outputs.html:
            if notebook is not None:
                page = html.render(notebook, title=config.notebook_name)
            else:
                page = html.not_run(config.notebook_name, error)
            _write(outputs.html, page)
        if outputs.status:
            _write(outputs.status, status)
        if outputs.error:
            _write(outputs.error, error if status != COMPLETED else "")
        _say(f"nbexec.kfp: step {status}" + (f": {error}" if status != COMPLETED else "")
             + (f"; scraps {json.dumps(recorded)}" if recorded else ""))
        return StepResult(status=status, exit_code=code if status != COMPLETED else 0,
                          error=error if status != COMPLETED else "", scraps=recorded,
                          metrics=metrics)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def should_fail(config: StepConfig, result: StepResult) -> bool:
    return result.failed and config.on_failure == "fail"


def run_lightweight(config_json: str, arguments: Mapping[str, Any]) -> None:
    """The body of the lightweight form: ``arguments`` are the function's arguments as KFP's
    executor passes them (parameter values, artifact objects, output parameter paths)."""
    config = StepConfig.from_json(config_json)
    from nbexec.kfp import interface as iface

    parameters = {name: arguments[name] for name in config.parameters
                  if arguments.get(name) is not None}
    artifact_inputs = {name: arguments[name].path for name in config.artifact_inputs}
    outputs = StepOutputs(
        executed_notebook=arguments[iface.NOTEBOOK_OUTPUT].path,
        scraps={name: arguments[name] for name in config.scraps},
        artifact_outputs={name: arguments[name].path for name in config.artifact_outputs},
        metrics=arguments[iface.METRICS_OUTPUT].path if config.metrics else None,
        html=arguments[iface.HTML_OUTPUT].path if config.html else None,
        status=arguments.get(iface.STATUS_OUTPUT) if config.on_failure == "succeed" else None,
        error=arguments.get(iface.ERROR_OUTPUT) if config.on_failure == "succeed" else None,
    )
    result = run_step(config, parameters, artifact_inputs, outputs)
    if config.metrics:
        for name, value in result.metrics.items():
            arguments[iface.METRICS_OUTPUT].log_metric(name, value)
    if should_fail(config, result):
        raise RuntimeError(f"notebook {config.notebook_name}: {result.status}: {result.error}")
