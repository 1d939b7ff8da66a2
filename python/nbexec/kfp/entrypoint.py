"""The container form's command: ``python3 -m nbexec.kfp.entrypoint ARGS -- [nbexec run options]``.

The arguments are what the component's placeholders become at run time. Every flag takes a
fixed number of values, taken as they are (a parameter value may start with ``-`` or be
``--``); a ``--`` where a flag is expected ends them, and the rest goes to ``nbexec run``.

    --notebook-name NAME              file name of the notebook (for logs and metadata)
    --notebook PACKED | --notebook-path PATH
                                      the embedded notebook, or one inside the image
    --executed-notebook PATH          where the executed notebook goes (an output artifact)
    --parameter NAME TYPE VALUE       a parameter as KFP substituted it
                                      (TYPE: str, int, float, bool, list or dict)
    --artifact-input NAME PATH        an input artifact; the notebook's parameter NAME gets PATH
    --artifact-output NAME PATH       an output artifact; the notebook's parameter NAME gets PATH
    --scrap NAME TYPE PATH            write the recorded scrap NAME to this output parameter file
    --metrics PATH                    the Metrics artifact (numeric scraps, as JSON)
    --executor-input JSON             KFP's executor input ({{$}}): the Metrics values go to its
                                      executor output file, where KFP reads artifact metadata
    --html PATH                       the HTML rendering of the executed notebook
    --status PATH, --error PATH       status and error outputs (with --on-failure succeed)
    --on-failure fail|succeed         whether a failed run fails the step (default fail)

Exit status: 0 when the run completed (or failed with ``--on-failure succeed``), else nbexec's
exit code (1 for a declared scrap the notebook did not record).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Optional

from nbexec.kfp import interface, values
from nbexec.kfp.step import StepConfig, StepOutputs, run_step, should_fail

_ARITY = {
    "--notebook-name": 1, "--notebook": 1, "--notebook-path": 1, "--executed-notebook": 1,
    "--parameter": 3, "--artifact-input": 2, "--artifact-output": 2, "--scrap": 3,
    "--metrics": 1, "--executor-input": 1, "--html": 1, "--status": 1, "--error": 1,
    "--on-failure": 1,
}


class UsageError(Exception):
    pass


def parse(argv: list[str]) -> dict[str, Any]:
    """``{flag: [values, ...] per occurrence}`` plus ``"--": run options``."""
    parsed: dict[str, Any] = {"--": []}
    i = 0
    while i < len(argv):
        flag = argv[i]
        if flag == "--":
            parsed["--"] = argv[i + 1:]
            break
        if flag not in _ARITY:
            raise UsageError(f"unknown argument {flag!r}")
        n = _ARITY[flag]
        if i + n >= len(argv):
            raise UsageError(f"{flag} takes {n} value(s)")
        parsed.setdefault(flag, []).append(argv[i + 1:i + 1 + n])
        i += 1 + n
    return parsed


def _one(parsed: dict[str, Any], flag: str, default: Optional[str] = None) -> Optional[str]:
    found = parsed.get(flag)
    if not found:
        return default
    if len(found) > 1:
        raise UsageError(f"{flag} given more than once")
    return found[0][0]


def _write_executor_output(executor_input: str, metrics: dict[str, float]) -> None:
    """KFP reads artifact metadata (a Metrics artifact's values) from the executor output file
    named in the executor input."""
    spec = json.loads(executor_input)
    outputs = spec.get("outputs") or {}
    target = outputs.get("outputFile")
    artifact = ((outputs.get("artifacts") or {}).get(interface.METRICS_OUTPUT) or {}).get(
        "artifacts") or []
    if not target or not artifact:
        return
    entry = {"name": artifact[0].get("name", ""), "uri": artifact[0].get("uri", ""),
             "metadata": metrics}
    folder = os.path.dirname(target)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(target, "w", encoding="utf-8") as handle:
        json.dump({"artifacts": {interface.METRICS_OUTPUT: {"artifacts": [entry]}}}, handle)


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv in (["--help"], ["-h"]):  # alone only: elsewhere it may be a parameter's value
        print(__doc__.strip())
        return 0
    try:
        parsed = parse(argv)
        name = _one(parsed, "--notebook-name", "notebook.ipynb")
        packed, in_image = _one(parsed, "--notebook"), _one(parsed, "--notebook-path")
        if (packed is None) == (in_image is None):
            raise UsageError("give one of --notebook and --notebook-path")
        executed = _one(parsed, "--executed-notebook")
        if not executed:
            raise UsageError("--executed-notebook is required")
        on_failure = _one(parsed, "--on-failure", "fail")
        if on_failure not in interface.ON_FAILURE:
            raise UsageError(f"--on-failure must be fail or succeed, not {on_failure!r}")
        parameters: dict[str, Any] = {}
        types: dict[str, str] = {}
        for pname, ptype, text in parsed.get("--parameter", []):
            if ptype not in values.TYPES:
                raise UsageError(f"--parameter {pname}: unknown type {ptype!r}")
            try:
                parameters[pname] = values.from_text(text, ptype)
            except ValueError as exc:
                raise UsageError(f"--parameter {pname}: {exc}") from None
            types[pname] = ptype
        scraps = {s: t for s, t, _ in parsed.get("--scrap", [])}
        for s, t in scraps.items():
            if t not in values.TYPES:
                raise UsageError(f"--scrap {s}: unknown type {t!r}")
        config = StepConfig(
            notebook_name=name, notebook=packed, notebook_path=in_image, parameters=types,
            artifact_inputs=[n for n, _ in parsed.get("--artifact-input", [])],
            artifact_outputs=[n for n, _ in parsed.get("--artifact-output", [])],
            scraps=scraps, metrics="--metrics" in parsed, html="--html" in parsed,
            on_failure=on_failure, run_options=list(parsed["--"]))
        outputs = StepOutputs(
            executed_notebook=executed,
            scraps={s: p for s, _, p in parsed.get("--scrap", [])},
            artifact_outputs=dict(parsed.get("--artifact-output", [])),
            metrics=_one(parsed, "--metrics"), html=_one(parsed, "--html"),
            status=_one(parsed, "--status"), error=_one(parsed, "--error"))
        artifact_inputs = dict(parsed.get("--artifact-input", []))
        executor_input = _one(parsed, "--executor-input")
    except UsageError as exc:
        print(f"nbexec.kfp.entrypoint: {exc}", file=sys.stderr)
        return 2
    result = run_step(config, parameters, artifact_inputs, outputs)
    if executor_input and config.metrics:
        _write_executor_output(executor_input, result.metrics)
    return result.exit_code if should_fail(config, result) else 0


if __name__ == "__main__":
    sys.exit(main())
