"""`nbexec sweep`: a notebook run once per entry of a grid file, several at a time, with a
summary per run (CSV, JSON lines, events) and bad input refused before anything starts."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess
import time

import jsonschema
import nbformat
import pytest

from helpers import REPO, code_cells, make_notebook, read_valid

SCHEMA = json.loads((REPO / "docs" / "events.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())

# A run fails when alpha is negative; every run records a score computed from its parameters.
CELLS = [
    "import nbexec",
    "if alpha < 0:\n    raise ValueError('negative alpha')",
    "nbexec.record('score', alpha * 10 + seed)\nnbexec.record('tag', f'a,\"{alpha}\"')\n"
    "nbexec.record('pair', [alpha, seed])",
]
PARAMETERS = "alpha = 0.0\nseed = 0"


@pytest.fixture
def notebook(tmp_path):
    path = tmp_path / "train.ipynb"
    nbformat.write(make_notebook(CELLS, parameters_cell=PARAMETERS), str(path))
    return path


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def injected(nb):
    cell = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    return cell.source


def test_mapping_grid_runs_every_combination_with_a_csv_summary(run_cli, notebook, tmp_path):
    grid = write(tmp_path, "grid.yaml", "alpha: [0.1, 0.5]\nseed: [1, 2]\n")
    proc = run_cli("sweep", notebook, "out/{alpha}-{seed}.ipynb", "--grid", grid, "-j", "2",
                   "--summary", "summary.csv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    expected = [(0.1, 1), (0.1, 2), (0.5, 1), (0.5, 2)]
    for alpha, seed in expected:
        nb = read_valid(tmp_path / "out" / f"{alpha}-{seed}.ipynb")
        assert f"alpha = {alpha}" in injected(nb) and f"seed = {seed}" in injected(nb)
        assert all(c.execution_count for c in code_cells(nb))
    # Not a terminal: one line per finished run, then the total.
    lines = proc.stderr.splitlines()
    assert "nbexec: run 0 (alpha=0.1, seed=1) completed in" in proc.stderr
    assert "→ out/0.1-1.ipynb" in proc.stderr
    assert lines[-1].startswith("nbexec: 4 runs: 4 completed in "), lines[-1]

    text = (tmp_path / "summary.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["index", "status", "exit_code", "duration", "output_path", "error",
                             "alpha", "seed", "scrap.pair", "scrap.score", "scrap.tag"]
    assert [r["index"] for r in rows] == ["0", "1", "2", "3"]
    for row, (alpha, seed) in zip(rows, expected):
        assert row["status"] == "completed" and row["exit_code"] == "0" and row["error"] == ""
        assert (float(row["alpha"]), int(row["seed"])) == (alpha, seed)
        assert float(row["scrap.score"]) == pytest.approx(alpha * 10 + seed)
        # Quoted as CSV needs; a list is JSON in its cell.
        assert row["scrap.tag"] == f'a,"{alpha}"'
        assert json.loads(row["scrap.pair"]) == [alpha, seed]
        assert row["output_path"] == f"out/{alpha}-{seed}.ipynb"
        assert float(row["duration"]) > 0


def test_list_grid_run_template_fixed_values_and_jsonl(run_cli, notebook, tmp_path):
    grid = write(tmp_path, "grid.json", json.dumps(
        [{"alpha": 1.5}, {"alpha": 2.5, "seed": 9}, {}]))
    proc = run_cli("sweep", notebook, "runs/run-{run:02d}.ipynb", "--grid", grid, "-j", "2",
                   "-p", "seed", "4", "--summary", "summary.jsonl")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in (tmp_path / "summary.jsonl").read_text().splitlines()]
    assert [r["index"] for r in rows] == [0, 1, 2]
    # A fixed value goes under every run; the grid's value of the same name wins.
    assert [r["parameters"] for r in rows] == [
        {"seed": 4, "alpha": 1.5}, {"seed": 9, "alpha": 2.5}, {"seed": 4}]
    assert [r["scraps"]["score"] for r in rows] == [19.0, 34.0, 4.0]
    for i, row in enumerate(rows):
        assert list(row) == ["index", "parameters", "status", "exit_code", "duration",
                             "output_path", "scraps", "error"]
        assert row["status"] == "completed" and row["exit_code"] == 0 and row["error"] is None
        assert row["output_path"] == f"runs/run-{i:02d}.ipynb"
        read_valid(tmp_path / row["output_path"])
    assert "seed = 9" in injected(nbformat.read(str(tmp_path / "runs/run-01.ipynb"), 4))


@pytest.mark.parametrize("case", ["not_a_list", "duplicate_path", "unknown_name", "shard",
                                  "missing_grid", "summary_extension", "summary_folder",
                                  "empty_grid", "dash_output", "missing_kernel"])
def test_bad_input_is_exit_2_with_nothing_written(run_cli, notebook, tmp_path, case):
    grid = write(tmp_path, "grid.yaml", "alpha: [0.1, 0.5]\n")
    template = "out/{alpha}.ipynb"
    extra = []
    message = ""
    if case == "not_a_list":
        grid = write(tmp_path, "grid.yaml", "alpha: 0.1\nseed: [1]\n")
        message = "grid.yaml"
    elif case == "duplicate_path":
        grid = write(tmp_path, "grid.yaml", "alpha: [0.1]\nseed: [1, 2]\n")
        message = "out/0.1.ipynb"
    elif case == "unknown_name":
        grid = write(tmp_path, "grid.yaml", "alpha: [0.1]\nepochz: [1]\n")
        message = "epochz"
    elif case == "shard":
        extra = ["--shard", "3/2"]
        message = "3/2"
    elif case == "missing_grid":
        grid = tmp_path / "nope.yaml"
        message = "nope.yaml"
    elif case == "summary_extension":
        extra = ["--summary", "summary.txt"]
        message = "summary.txt"
    elif case == "summary_folder":
        extra = ["--summary", "missing/summary.csv"]
        message = "missing"
    elif case == "empty_grid":
        grid = write(tmp_path, "grid.yaml", "{}\n")
    elif case == "dash_output":
        template = "-"
    elif case == "missing_kernel":
        extra = ["-k", "no-such-kernel"]
        message = "no-such-kernel"
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = run_cli("sweep", notebook, template, "--grid", grid, *extra)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith("nbexec: error: "), proc.stderr
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert message in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_failing_run_fails_only_itself(run_cli, notebook, tmp_path):
    grid = write(tmp_path, "grid.yaml", "alpha: [-1, 0.5, 1]\n")
    proc = run_cli("sweep", notebook, "out/{run}.ipynb", "--grid", grid, "-j", "2",
                   "--summary", "s.jsonl")
    assert proc.returncode == 1, proc.stderr
    rows = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert [(r["status"], r["exit_code"]) for r in rows] == [
        ("failed", 1), ("completed", 0), ("completed", 0)]
    assert "ValueError: negative alpha" in rows[0]["error"]
    assert rows[0]["scraps"] == {} and rows[2]["scraps"]["score"] == 10
    assert "nbexec: run 0 (alpha=-1) failed in " in proc.stderr
    assert "ValueError: negative alpha" in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("nbexec: 3 runs: 2 completed, 1 failed in ")
    # The failed run's notebook is what `nbexec run` saves: the error in its cell.
    failed = read_valid(tmp_path / "out" / "0.ipynb")
    errors = [o for c in code_cells(failed) for o in c.outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "ValueError"


def test_fail_fast_skips_the_runs_not_started(run_cli, notebook, tmp_path):
    grid = write(tmp_path, "grid.yaml", "alpha: [-1, 0.5, 1]\n")
    proc = run_cli("sweep", notebook, "out/{run}.ipynb", "--grid", grid, "-j", "1",
                   "--fail-fast", "--no-fork", "--summary", "s.csv")
    assert proc.returncode == 1, proc.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "s.csv").read_text())))
    assert [r["status"] for r in rows] == ["failed", "skipped", "skipped"]
    assert "fail-fast" in rows[1]["error"]
    assert not (tmp_path / "out" / "1.ipynb").exists()
    assert "1 failed, 2 skipped" in proc.stderr.splitlines()[-1]


def test_shards_are_disjoint_and_cover_the_grid(run_cli, notebook, tmp_path):
    grid = write(tmp_path, "grid.yaml", "alpha: [0.1, 0.2, 0.3]\n")
    seen = []
    for shard in ("0/2", "1/2"):
        proc = run_cli("sweep", notebook, "out/{run}.ipynb", "--grid", grid, "--shard", shard,
                       "-j", "2", "--summary", f"s{shard[0]}.jsonl")
        assert proc.returncode == 0, proc.stderr
        rows = [json.loads(x) for x in (tmp_path / f"s{shard[0]}.jsonl").read_text().splitlines()]
        seen.append([r["index"] for r in rows])
        assert f"(shard {shard} of 3)" in proc.stderr.splitlines()[-1]
    assert seen == [[0, 2], [1]]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "0.ipynb", "1.ipynb", "2.ipynb"]


def test_dry_run_prints_the_plan_and_runs_nothing(run_cli, notebook, tmp_path):
    grid = write(tmp_path, "grid.yaml", "alpha: [0.1, 0.2]\nseed: [1]\n")
    proc = run_cli("sweep", notebook, "out/{alpha}.ipynb", "--grid", grid, "--dry-run",
                   "--shard", "1/2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["1 of 2 runs (shard 1/2)",
                                        "1  out/0.2.ipynb  alpha=0.2, seed=1"]
    assert not (tmp_path / "out").exists()


def parse_events(stderr):
    events = [json.loads(line) for line in stderr.splitlines()]
    for event in events:
        VALIDATOR.validate(event)
    return events


def test_json_events_validate_and_frame_every_run(run_cli, notebook, tmp_path):
    grid = write(tmp_path, "grid.yaml", "alpha: [-1, 0.5]\nseed: [3]\n")
    proc = run_cli("sweep", notebook, "out/{run}.ipynb", "--grid", grid, "-j", "2",
                   "--preload", "json", "--log-format", "json")
    assert proc.returncode == 1
    events = parse_events(proc.stderr)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "sweep_start" and kinds[-1] == "sweep_end"
    start, end = events[0], events[-1]
    assert (start["runs"], start["total_runs"], start["jobs"]) == (2, 2, 2)
    assert start["shard"] == {"index": 0, "count": 1} and start["preload"] == ["json"]
    assert end["status"] == "failed" and end["exit_code"] == 1
    assert end["statuses"] == {"completed": 1, "failed": 1} and end["runs"] == 2
    for run in (0, 1):
        own = [e for e in events if e.get("run") == run and e["event"] != "sweep_run_end"]
        assert own[0]["event"] == "run_start" and own[-1]["event"] == "run_end"
        summary = [e for e in events if e["event"] == "sweep_run_end" and e["run"] == run]
        assert len(summary) == 1
        assert summary[0]["status"] == own[-1]["status"]
        assert summary[0]["exit_code"] == own[-1]["exit_code"]
    assert [e for e in events if e["event"] == "sweep_run_end" and e["run"] == 1][0][
        "scraps"] == {"score": 8.0, "tag": 'a,"0.5"', "pair": [0.5, 3]}
    # Sweep-level lines come after sweep_start, never before it.
    assert all("run" in e or e["event"].startswith("sweep") or e["event"] in ("log", "warning")
               for e in events)


def test_json_error_before_start_is_one_sweep_end(run_cli, notebook, tmp_path):
    grid = write(tmp_path, "grid.yaml", "alpha: 1\n")
    proc = run_cli("sweep", notebook, "out/{run}.ipynb", "--grid", grid, "--log-format", "json")
    assert proc.returncode == 2
    events = parse_events(proc.stderr)
    assert [e["event"] for e in events][-1] == "sweep_end"
    assert events[-1]["status"] == "error" and "grid.yaml" in events[-1]["error"]
    usage = run_cli("sweep", notebook, "--log-format", "json")  # no --grid
    assert usage.returncode == 2
    assert [e["event"] for e in parse_events(usage.stderr)] == ["sweep_end"]


def test_help_teaches_and_leaves_out_what_is_per_notebook(run_cli):
    proc = run_cli("sweep", "--help")
    assert proc.returncode == 0
    text = proc.stdout
    for needed in ("--grid", "-j,--jobs", "--shard", "--fail-fast", "--preload", "--no-fork",
                   "--summary", "--deadline", "--strict-parameters", "--log-format",
                   "Examples:", "Exit codes:", "128+N"):
        assert needed in text, needed
    for absent in ("--log-output", "--stdout-file", "--stderr-file", "--prepare-only",
                   "--help-notebook", "--engine", "--inject-paths"):
        assert absent not in text, absent
    assert "nbexec sweep" in run_cli("--help").stdout


@pytest.mark.skipif(shutil.which("script") is None, reason="needs util-linux script")
def test_terminal_gets_a_table(cli, notebook, tmp_path):
    grid = write(tmp_path, "grid.yaml", "alpha: [0.1, 0.2]\n")
    command = (f"{cli} sweep {notebook} 'out/{{run}}.ipynb' --grid {grid} -j 2 "
               "--no-progress-bar")
    proc = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path,
                          env=dict(os.environ, TERM="dumb", COLUMNS="100"))
    assert proc.returncode == 0, proc.stdout
    lines = proc.stdout.replace("\r", "").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("run  parameters"))
    assert lines[header + 1].split()[:4] == ["0", "alpha=0.1", "completed", "0"]
    assert "score=1" in lines[header + 1]
    assert lines[-1].startswith("nbexec: 2 runs: 2 completed in ")


def test_sigterm_saves_running_runs_skips_the_rest_and_writes_the_summary(cli, tmp_path):
    src = tmp_path / "slow.ipynb"
    nbformat.write(make_notebook(["import time; time.sleep(60)"], parameters_cell="alpha = 0"),
                   str(src))
    grid = write(tmp_path, "grid.yaml", "alpha: [1, 2, 3]\n")
    proc = subprocess.Popen(
        [cli, "sweep", str(src), "out/{run}.ipynb", "--grid", str(grid), "-j", "2",
         "--log-format", "json", "--summary", "s.jsonl"],
        stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    seen = []
    # Wait until both runs are in their long cell.
    while sum(1 for e in seen if e["event"] == "cell_start" and "sleep" in e["source"]) < 2:
        line = proc.stderr.readline()
        assert line, seen
        seen.append(json.loads(line))
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    assert proc.wait(timeout=20) == 128 + signal.SIGTERM
    events = seen + parse_events(rest)
    assert events[-1]["event"] == "sweep_end" and events[-1]["status"] == "interrupted"
    assert events[-1]["exit_code"] == 143
    rows = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert sorted(r["status"] for r in rows) == ["interrupted", "interrupted", "skipped"]
    for row in rows:
        if row["status"] == "interrupted":
            nb = read_valid(tmp_path / row["output_path"])
            assert nb.metadata.papermill.exception is True
        else:
            assert not (tmp_path / row["output_path"]).exists()


def test_runs_lines_are_prefixed_and_filtered_by_log_level(run_cli, notebook, tmp_path):
    grid = write(tmp_path, "grid.yaml", "alpha: [0.1]\nepochz: [1]\n")
    lenient = run_cli("sweep", notebook, "out/{run}.ipynb", "--grid", grid,
                      "--no-strict-parameters")
    assert lenient.returncode == 0, lenient.stderr
    # A run's warnings are shown with its index; its info lines only at DEBUG.
    assert "nbexec: [run 0] Passed unknown parameter: epochz" in lenient.stderr
    assert "Input Notebook" not in lenient.stderr
    debug = run_cli("sweep", notebook, "out/{run}.ipynb", "--grid", grid,
                    "--no-strict-parameters", "--log-level", "DEBUG")
    assert "nbexec: [run 0] Input Notebook:" in debug.stderr
    assert "nbexec: run 0 (alpha=0.1, epochz=1) started → out/0.ipynb" in debug.stderr
    quiet = run_cli("sweep", notebook, "out/{run}.ipynb", "--grid", grid,
                    "--no-strict-parameters", "--log-level", "ERROR")
    assert quiet.stderr.splitlines() == [quiet.stderr.splitlines()[-1]]
    assert quiet.stderr.startswith("nbexec: 1 run: 1 completed in ")
