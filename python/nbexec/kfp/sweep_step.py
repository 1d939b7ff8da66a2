"""One shard of a sweep over pods at run time: ``nbexec sweep --shard I/K`` on the notebook.

Both forms end here: the container form through ``python3 -m nbexec.kfp.sweep_step`` (no kfp
in the image), the lightweight form through :func:`run_lightweight`.

    --config JSON          what the sweep was built with (ShardConfig: the embedded notebook or
                           its path in the image, K, jobs, the output template, options)
    --shard I              this shard's number, 0 <= I < K (the ParallelFor item)
    --grid JSON            the whole grid, a list of mappings (one run each)
    --parameters JSON      fixed values every run gets (a mapping)
    --notebooks PATH       the output artifact (a folder): every run's executed notebook
    --summary PATH         the output Dataset: the shard's summary as JSON lines, each row with
                           its output path relative to the notebooks folder and its shard

The step writes the grid to a JSON file, the fixed values to YAML, and runs ``nbexec sweep
NOTEBOOK NOTEBOOKS/TEMPLATE --grid grid.json --shard I/K -j J --summary summary.jsonl -f
fixed.yaml [options]``; the sweep's lines go to the step's log. Runs that fail do not fail
the step (sweep exit 1): the summary says how each ended. Anything else (exit 2: bad input
such as an unknown parameter in a grid given at run time; a signal) fails the step.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from nbexec.kfp import embed, values
from nbexec.kfp.step import _run_nbexec, find_cli

DEFAULT_TEMPLATE = "run-{run:04d}.ipynb"


@dataclass
class ShardConfig:
    notebook_name: str
    notebook: Optional[str] = None          # packed notebook (embed.pack)
    notebook_path: Optional[str] = None     # or a notebook inside the image
    shards: int = 1
    jobs: int = 1
    output_template: str = DEFAULT_TEMPLATE
    parameter_types: dict[str, str] = field(default_factory=dict)  # the notebook's, by name
    sweep_options: list[str] = field(default_factory=list)         # more `nbexec sweep` options

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "ShardConfig":
        return cls(**json.loads(text))


class ShardError(Exception):
    pass


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _typed(value: Any, type_: Optional[str]) -> Any:
    """KFP keeps every number inside a list or dict as a double: an int parameter's 2 arrives
    as 2.0. The notebook's own type puts it back; anything else is left for nbexec's check."""
    if type_ == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _typed_mapping(entry: Any, types: Mapping[str, str], where: str) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        raise ShardError(f"{where} must be a mapping of parameter names to values, not "
                         f"{type(entry).__name__} {json.dumps(entry)[:80]}")
    # KFP's protobuf Struct does not keep key order; the parameters cell's order is the
    # order nbexec would inject them in, so that is the order restored (others after it).
    order = {name: i for i, name in enumerate(types)}
    keys = sorted((str(k) for k in entry), key=lambda k: order.get(k, len(order)))
    return {k: _typed(entry[k], types.get(k)) for k in keys}


def grid_json(grid: Any, types: Mapping[str, str]) -> str:
    """The grid as JSON that nbexec's grid reader (YAML 1.1 rules) reads back to the same
    values: floats keep a dot before their exponent (``1.0e-05``; ``1e-05`` would be a str)."""
    if not isinstance(grid, list) or not grid:
        raise ShardError("the grid must be a non-empty list of mappings (one run each), not "
                         f"{json.dumps(grid)[:80]}")
    runs = [_typed_mapping(entry, types, f"grid[{i}]") for i, entry in enumerate(grid)]
    return values._yaml_value(runs) + "\n"  # JSON too, for JSON values (no NaN in KFP)


def run_shard(config: ShardConfig, shard: int, grid: Any, parameters: Any, notebooks: str,
              summary: str) -> int:
    """Runs the shard; returns 0, or the exit code that fails the step."""
    workdir = tempfile.mkdtemp(prefix="nbexec-kfp-sweep-")
    try:
        try:
            if not 0 <= shard < config.shards:
                raise ShardError(f"shard {shard} is not in 0..{config.shards - 1}")
            grid_text = grid_json(grid, config.parameter_types)
            fixed = _typed_mapping(parameters or {}, config.parameter_types, "parameters")
        except ShardError as exc:
            _say(f"nbexec.kfp: sweep shard: {exc}")
            return 2
        if config.notebook is not None:
            notebook_path = os.path.join(workdir, config.notebook_name)
            with open(notebook_path, "w", encoding="utf-8") as handle:
                handle.write(embed.unpack(config.notebook))
        else:
            notebook_path = config.notebook_path or ""
        grid_file = os.path.join(workdir, "grid.json")
        with open(grid_file, "w", encoding="utf-8") as handle:
            handle.write(grid_text)
        os.makedirs(notebooks, exist_ok=True)
        shard_summary = os.path.join(workdir, "summary.jsonl")
        command = [find_cli(), "sweep", notebook_path,
                   os.path.join(notebooks, config.output_template), "--grid", grid_file,
                   "--shard", f"{shard}/{config.shards}", "-j", str(config.jobs),
                   "--summary", shard_summary, "--no-progress-bar"]
        if fixed:
            fixed_file = os.path.join(workdir, "parameters.yaml")
            with open(fixed_file, "w", encoding="utf-8") as handle:
                handle.write(values.to_yaml(fixed))
            command += ["-f", fixed_file]
        try:
            code, _ = _run_nbexec(command + list(config.sweep_options))
        except OSError as exc:  # no nbexec executable in the image
            _say(f"nbexec.kfp: cannot run nbexec: {exc}")
            return 2
        if code not in (0, 1):
            _say(f"nbexec.kfp: sweep shard {shard}/{config.shards} failed: nbexec sweep "
                 f"exited {code}")
            return code
        rows = []
        with open(shard_summary, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    row["output_path"] = os.path.relpath(row["output_path"], notebooks)
                    row["shard"] = shard
                    rows.append(row)
        folder = os.path.dirname(summary)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(summary, "w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        done = sum(1 for row in rows if row["status"] == "completed")
        _say(f"nbexec.kfp: sweep shard {shard}/{config.shards}: {len(rows)} runs, {done} "
             "completed")
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_lightweight(config_json: str, shard: int, grid: Any, parameters: Any, notebooks: Any,
                    summary: Any) -> None:
    """The lightweight form's body (KFP's executor passes the artifacts as objects)."""
    config = ShardConfig.from_json(config_json)
    code = run_shard(config, int(shard), grid, parameters, notebooks.path, summary.path)
    if code:
        raise RuntimeError(f"sweep shard {shard}/{config.shards} of {config.notebook_name} "
                           f"failed (exit {code}); see the log above")


_FLAGS = ("--config", "--shard", "--grid", "--parameters", "--notebooks", "--summary")


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) % 2 or any(f not in _FLAGS for f in argv[::2]) or \
            sorted(set(argv[::2])) != sorted(_FLAGS):
        print(f"nbexec.kfp.sweep_step: usage: {' VALUE '.join(_FLAGS)} VALUE, once each",
              file=sys.stderr)
        return 2
    flags = dict(zip(argv[::2], argv[1::2]))
    try:
        config = ShardConfig.from_json(flags["--config"])
        shard = values.from_text(flags["--shard"], "int")
        grid = json.loads(flags["--grid"])
        parameters = json.loads(flags["--parameters"])
    except (ValueError, TypeError) as exc:
        print(f"nbexec.kfp.sweep_step: {exc}", file=sys.stderr)
        return 2
    return run_shard(config, shard, grid, parameters, flags["--notebooks"], flags["--summary"])


if __name__ == "__main__":
    sys.exit(main())
