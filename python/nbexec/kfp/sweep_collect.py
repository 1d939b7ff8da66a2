"""The collect step of a sweep over pods: the shards' summaries merged into one table, the best
run by a chosen scrap, and an HTML report.

Both forms end here: the container form through ``python3 -m nbexec.kfp.sweep_collect`` (no
kfp in the image), the lightweight form through :func:`run_lightweight`.

    --config JSON             what the sweep was built with (CollectConfig)
    --executor-input JSON     KFP's executor input ({{$}}): the shards' summaries are its input
                              artifact list ``summaries``; the Metrics values go to its
                              executor output file
    --summary PATH            a shard's summary (repeatable; instead of --executor-input's list)
    --table PATH, --metrics PATH, --report PATH
                              the outputs

Exit status: 0, or 1 when ``objective`` is set and no completed run recorded it as a number
(there is no best run; the message names the scraps the runs did record), or 2 for bad
arguments.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from nbexec.kfp import sweep_report
from nbexec.kfp.step import _say, _write
from nbexec.kfp.sweep_report import cell_text

#: Columns of the merged table before the parameters' and after them (then the scraps).
LEADING = ("index",)
TRAILING = ("status", "exit_code", "seconds", "output_path", "shard")
LAST = ("error",)
#: Where the KFP launcher mounts remote artifact stores (kfp.dsl.types.artifact_types).
_MOUNTS = (("gs://", "/gcs/"), ("minio://", "/minio/"), ("s3://", "/s3/"))


class CollectError(Exception):
    """The sweep has no answer to give (no run recorded the objective)."""


@dataclass
class CollectConfig:
    title: str
    objective: Optional[str] = None
    mode: str = "min"
    plot: Optional[list] = None      # [scrap, parameter]

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "CollectConfig":
        return cls(**json.loads(text))


def local_path(uri: str) -> str:
    """An artifact URI as the path the KFP launcher mounts it at."""
    for prefix, mount in _MOUNTS:
        if uri.startswith(prefix):
            return mount + uri[len(prefix):]
    return uri


def read_summaries(paths: Sequence[str]) -> list[dict[str, Any]]:
    """Every shard's rows, by run index; a run found twice is an error."""
    rows: dict[int, dict[str, Any]] = {}
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                if row["index"] in rows:
                    raise CollectError(f"{path}:{number}: run {row['index']} is in two shards' "
                                       "summaries")
                rows[row["index"]] = row
    return [rows[i] for i in sorted(rows)]


def table(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Header and cells: index, the parameters (first-seen order; ``param.NAME`` when a name is
    one of the table's own columns), status, exit_code, seconds, output_path, shard, one
    ``scrap.NAME`` per scrap (name order), error."""
    names: list[str] = []
    scraps: set[str] = set()
    for row in rows:
        names += [n for n in row["parameters"] if n not in names]
        scraps.update(row.get("scraps") or {})
    own = set(LEADING + TRAILING + LAST)
    header = [*LEADING, *(f"param.{n}" if n in own or n.startswith(("param.", "scrap."))
                          else n for n in names), *TRAILING,
              *(f"scrap.{s}" for s in sorted(scraps)), *LAST]
    cells = []
    for row in rows:
        cells.append([
            str(row["index"]), *(cell_text(row["parameters"].get(n)) for n in names),
            row["status"], str(row["exit_code"]), f"{float(row.get('duration') or 0):.3f}",
            row.get("output_path") or "", cell_text(row.get("shard")),
            *(cell_text((row.get("scraps") or {}).get(s)) for s in sorted(scraps)),
            row.get("error") or "",
        ])
    return header, cells


def to_csv(header: Sequence[str], cells: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(cells)
    return out.getvalue()


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def best_run(rows: Sequence[Mapping[str, Any]], objective: str,
             mode: str) -> Optional[dict[str, Any]]:
    """The completed run with the lowest (``min``) or highest (``max``) numeric ``objective``
    scrap; the first by index on a tie. None when no completed run recorded it as a number."""
    found = None
    for row in rows:
        value = _number((row.get("scraps") or {}).get(objective))
        if row["status"] != "completed" or value is None:
            continue
        if found is None or (value < found["value"] if mode == "min" else value > found["value"]):
            found = {"index": row["index"], "value": value, "parameters": row["parameters"],
                     "objective": objective, "mode": mode}
    return found


def _no_best_message(rows: Sequence[Mapping[str, Any]], objective: str) -> str:
    completed = [r for r in rows if r["status"] == "completed"]
    if not rows:
        return f"objective {objective!r}: the sweep has no runs"
    if not completed:
        return (f"objective {objective!r}: none of the {len(rows)} runs completed, so there is "
                "no best run (see the shards' summaries)")
    recorded = sorted({s for r in completed for s in (r.get("scraps") or {})})
    return (f"objective {objective!r} was not recorded as a number by any of the "
            f"{len(completed)} completed runs; they recorded: "
            f"{', '.join(recorded) if recorded else 'no scraps'}")


def _plot_axes(config: CollectConfig,
               rows: Sequence[Mapping[str, Any]]) -> Optional[tuple[str, str]]:
    if config.plot:
        return config.plot[0], config.plot[1]
    if not config.objective or not rows:
        return None
    names: list[str] = []
    for row in rows:
        names += [n for n in row["parameters"] if n not in names]
    varying = [n for n in names
               if len({json.dumps(r["parameters"].get(n), sort_keys=True) for r in rows}) > 1]
    chosen = (varying or names or [None])[0]
    return (config.objective, chosen) if chosen else None


def collect(config: CollectConfig, summaries: Sequence[str], table_path: str,
            report_path: str) -> dict[str, float]:
    """Writes the table and the report; returns the Metrics values. Raises CollectError when
    there is an objective and no best run (after writing both, for whoever reads the pod)."""
    rows = read_summaries(summaries)
    header, cells = table(rows)
    _write(table_path, to_csv(header, cells))
    completed = sum(1 for r in rows if r["status"] == "completed")
    metrics: dict[str, float] = {"runs": float(len(rows)), "completed": float(completed)}
    best = best_run(rows, config.objective, config.mode) if config.objective else None
    if best is not None:
        metrics[config.objective] = best["value"]
        metrics["best_run"] = float(best["index"])
        for name, value in best["parameters"].items():
            if _number(value) is not None:
                metrics[f"param.{name}"] = float(value)
    plot, note = None, "no plot: give objective= or plot=(scrap, parameter)"
    axes = _plot_axes(config, rows)
    if axes is not None:
        y_name, x_name = axes
        points = [(r["parameters"][x_name], _number(r["scraps"][y_name]), r["index"])
                  for r in rows if r["status"] == "completed" and x_name in r["parameters"]
                  and _number((r.get("scraps") or {}).get(y_name)) is not None]
        if points:
            plot = sweep_report.plot_svg(points, x_name, y_name,
                                         best["index"] if best else None)
        else:
            note = (f"no plot: no completed run has both parameter {x_name!r} and a numeric "
                    f"scrap {y_name!r}")
    summary = [f"{len(rows)} runs: {completed} completed, {len(rows) - completed} did not."]
    page = sweep_report.render(config.title, header, cells, [r["status"] for r in rows],
                               [r["index"] for r in rows], summary, best, plot, note)
    _write(report_path, page)
    _say(f"nbexec.kfp: sweep collected: {summary[0]}"
         + (f" Best run {best['index']}: {config.objective} = {best['value']}" if best else ""))
    if config.objective and best is None:
        raise CollectError(_no_best_message(rows, config.objective))
    return metrics



def run_lightweight(config_json: str, summaries: Sequence[Any], table: Any, metrics: Any,
                    report: Any) -> None:
    """The lightweight form's body: KFP's artifact objects in, Metrics logged on ``metrics``."""
    config = CollectConfig.from_json(config_json)
    try:
        values = collect(config, [a.path for a in summaries], table.path, report.path)
    except CollectError as exc:
        raise RuntimeError(f"sweep {config.title}: {exc}") from None
    _write(metrics.path, json.dumps(values, sort_keys=True))
    for name, value in values.items():
        metrics.log_metric(name, value)


def main(argv: Optional[list[str]] = None) -> int:
    from nbexec.kfp.entrypoint import _write_executor_output

    argv = sys.argv[1:] if argv is None else argv
    flags: dict[str, list[str]] = {}
    known = ("--config", "--executor-input", "--summary", "--table", "--metrics", "--report")
    if len(argv) % 2 or any(f not in known for f in argv[::2]):
        print(f"nbexec.kfp.sweep_collect: usage: FLAG VALUE ... with FLAG one of "
              f"{', '.join(known)}", file=sys.stderr)
        return 2
    for flag, value in zip(argv[::2], argv[1::2]):
        flags.setdefault(flag, []).append(value)
    missing = [f for f in ("--config", "--table", "--metrics", "--report") if f not in flags]
    if missing:
        print(f"nbexec.kfp.sweep_collect: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    config = CollectConfig.from_json(flags["--config"][0])
    summaries = list(flags.get("--summary", []))
    executor_input = (flags.get("--executor-input") or [None])[0]
    if executor_input:
        spec = json.loads(executor_input)
        listed = (((spec.get("inputs") or {}).get("artifacts") or {}).get("summaries") or {})
        summaries += [local_path(a["uri"]) for a in listed.get("artifacts") or []]
    try:
        values = collect(config, summaries, flags["--table"][0], flags["--report"][0])
    except CollectError as exc:
        _say(f"nbexec.kfp: sweep {config.title}: {exc}")
        return 1
    _write(flags["--metrics"][0], json.dumps(values, sort_keys=True))
    if executor_input:
        _write_executor_output(executor_input, values)
    return 0


if __name__ == "__main__":
    sys.exit(main())
