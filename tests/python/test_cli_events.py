"""`nbexec run --log-format json`: every stderr line is one event valid against
docs/events.schema.json, in a sequence a monitor can rely on, for every way a run ends."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import jsonschema
import nbformat
import pytest
from nbformat.v4 import new_markdown_cell

from helpers import REPO, code_cells, make_notebook, read_valid

SCHEMA = json.loads((REPO / "docs" / "events.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
EVENT_TEXT_LIMIT = 2000  # include/nbexec/run_events.hpp, event_text_limit


def parse_events(stderr: str) -> list[dict]:
    """Every stderr line is a JSON event valid against the schema; nothing else is there."""
    assert stderr.endswith("\n"), repr(stderr[-200:])
    events = []
    for line in stderr.splitlines():
        event = json.loads(line)
        VALIDATOR.validate(event)
        events.append(event)
    return events


def assert_well_formed(events, exit_code, status):
    """run_start (if the run got that far) first, run_end last and only once, cells paired."""
    assert events[-1]["event"] == "run_end"
    assert [e["event"] for e in events].count("run_end") == 1
    assert events[-1]["exit_code"] == exit_code
    assert events[-1]["status"] == status
    kinds = [e["event"] for e in events]
    if "run_start" in kinds:
        assert kinds[0] == "run_start"
    open_cell = None
    for event in events:
        if event["event"] == "cell_start":
            assert open_cell is None, "cell_start before the previous cell ended"
            open_cell = event["cell_index"]
        elif event["event"] == "cell_output":
            assert event["cell_index"] == open_cell
        elif event["event"] == "cell_end":
            assert event["cell_index"] == open_cell
            open_cell = None
    assert open_cell is None, "a cell_start without its cell_end"


def of_kind(events, kind):
    return [e for e in events if e["event"] == kind]


def test_schema_is_valid_and_strict():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    ok = {"event": "warning", "time": "2026-11-29T16:50:52.123456+00:00", "message": "m"}
    VALIDATOR.validate(ok)
    for bad in ({**ok, "extra": 1}, {**ok, "event": "nope"}, {"event": "warning", "time": "x"},
                {**ok, "message": 3}):
        with pytest.raises(jsonschema.ValidationError):
            VALIDATOR.validate(bad)


def test_successful_run_streams_every_event(run_cli, tmp_path):
    nb = make_notebook(
        ["print('hello')",
         "# papermill_description=compute\n6 * 7",
         "import sys; print('x' * 5000); print('warn', file=sys.stderr)"],
        parameters_cell="alpha = 1")
    nb.cells.insert(0, new_markdown_cell("# title"))
    src = tmp_path / "in.ipynb"
    nbformat.write(nb, str(src))
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "-p", "alpha", "2", "--log-format", "json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    events = parse_events(proc.stderr)
    assert_well_formed(events, 0, "completed")

    start = events[0]
    assert start["parameters"] == {"alpha": 2}
    assert start["cells"] == 6 and start["code_cells"] == 5  # markdown is not run
    assert start["output_path"] == str(out)
    assert of_kind(events, "kernel_ready")[0]["language_info"]["name"] == "python"

    starts = of_kind(events, "cell_start")
    assert [e["cell_index"] for e in starts] == [1, 2, 3, 4, 5]
    assert [e["cell_number"] for e in starts] == [1, 2, 3, 4, 5]
    assert starts[3]["description"] == "compute"
    assert all("description" not in e for i, e in enumerate(starts) if i != 3)
    assert all(e["status"] == "completed" for e in of_kind(events, "cell_end"))

    outputs = of_kind(events, "cell_output")
    assert {"cell_index": 3, "output_type": "stream", "name": "stdout", "text": "hello\n",
            "truncated": False}.items() <= outputs[0].items()
    result = [e for e in outputs if e["output_type"] == "execute_result"][0]
    assert result["text"] == "42" and result["mime_types"] == ["text/plain"]
    big = [e for e in outputs if e["cell_index"] == 5 and e.get("name") == "stdout"]
    assert big[0]["truncated"] is True
    assert len(big[0]["text"].encode()) <= EVENT_TEXT_LIMIT
    assert big[0]["text"] == "x" * len(big[0]["text"])
    assert [e["text"] for e in outputs if e.get("name") == "stderr"] == ["warn\n"]

    saves = of_kind(events, "save")
    assert saves[0]["reason"] == "start" and saves[-1]["reason"] == "end"
    end = events[-1]
    assert end["cells_executed"] == 5 and end["saves"] == len(saves)
    assert end["bytes_written"] == sum(s["bytes"] for s in saves)
    assert "error" not in end
    assert read_valid(out).metadata.papermill.parameters == {"alpha": 2}


def test_failing_cell_ends_with_failed_and_no_text(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print('before')", "raise ValueError('boom')", "print('never')"])
    proc = run_cli("run", src, tmp_path / "out.ipynb", "--log-format", "json")
    assert proc.returncode == 1
    events = parse_events(proc.stderr)
    assert_well_formed(events, 1, "failed")
    ends = of_kind(events, "cell_end")
    assert [e["status"] for e in ends] == ["completed", "failed"]
    assert ends[1]["ename"] == "ValueError" and ends[1]["evalue"] == "boom"
    assert [e["cell_index"] for e in of_kind(events, "cell_start")] == [0, 1]
    assert "ValueError: boom" in events[-1]["error"]
    assert "Traceback" not in proc.stderr  # the text summary is not printed in json mode


@pytest.mark.parametrize("case", ["malformed", "unknown_parameter", "missing_params_file",
                                  "usage"])
def test_bad_input_is_one_run_end_with_exit_2(run_cli, write_notebook, tmp_path, case):
    src = write_notebook(["pass"], parameters_cell="a = 1")
    out = tmp_path / "out.ipynb"
    args = {
        "malformed": [],
        "unknown_parameter": ["-p", "nope", "1"],
        "missing_params_file": ["-f", tmp_path / "missing.yaml"],
        "usage": ["--no-such-option"],
    }[case]
    if case == "malformed":
        src.write_text('{"cells": [')
    proc = run_cli("run", src, out, *args, "--log-format", "json")
    assert proc.returncode == 2, proc.stderr
    events = parse_events(proc.stderr)
    assert_well_formed(events, 2, "error")
    assert "run_start" not in [e["event"] for e in events]
    assert events[-1]["error"]
    assert not out.exists()


def test_execution_timeout_ends_with_timeout_exit_3(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print('start')", "import time; time.sleep(30)"])
    started = time.monotonic()
    proc = run_cli("run", src, tmp_path / "out.ipynb", "--execution-timeout", "1",
                   "--log-format", "json")
    assert time.monotonic() - started < 20
    assert proc.returncode == 3
    events = parse_events(proc.stderr)
    assert_well_formed(events, 3, "timeout")
    assert [e["status"] for e in of_kind(events, "cell_end")] == ["completed", "timeout"]
    assert "did not finish within 1 s" in events[-1]["error"]
    # Events are front-neutral: no CLI flag in what the library reports.
    assert "--" not in events[-1]["error"]


def test_interrupt_on_timeout_goes_on_and_ends_with_exit_3(run_cli, write_notebook, tmp_path):
    src = write_notebook(["import time; time.sleep(30)", "print('after')"])
    proc = run_cli("run", src, tmp_path / "out.ipynb", "--execution-timeout", "1",
                   "--interrupt-on-timeout", "--log-format", "json")
    assert proc.returncode == 3
    events = parse_events(proc.stderr)
    assert_well_formed(events, 3, "timeout")
    assert [e["status"] for e in of_kind(events, "cell_end")] == ["timeout", "completed"]
    assert any(e.get("text") == "after\n" for e in of_kind(events, "cell_output"))
    assert of_kind(events, "warning"), "the interruption is reported as a warning event"
    assert stream_after(tmp_path / "out.ipynb") == "after\n"


def stream_after(path):
    cell = code_cells(read_valid(path))[1]
    return "".join(o.text for o in cell.outputs if o.output_type == "stream")


def test_sigterm_mid_run_ends_with_interrupted_exit_143(cli, write_notebook, tmp_path):
    src = write_notebook(["print('first')", "import time; time.sleep(30)"])
    out = tmp_path / "out.ipynb"
    proc = subprocess.Popen([cli, "run", src, out, "--log-format", "json"], text=True,
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, cwd=tmp_path)
    lines = []
    while True:
        line = proc.stderr.readline()
        assert line, "".join(lines)
        lines.append(line)
        event = json.loads(line)
        if event["event"] == "cell_start" and event["cell_index"] == 1:
            break
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    rest = proc.communicate(timeout=15)[1]
    assert proc.returncode == 143
    events = parse_events("".join(lines) + rest)
    assert_well_formed(events, 143, "interrupted")
    assert of_kind(events, "cell_end")[-1]["status"] == "interrupted"
    assert of_kind(events, "save")[-1]["reason"] == "end"
    assert "stopped by signal" not in rest


def test_log_level_filters_log_events_only(run_cli, write_notebook, tmp_path):
    src = write_notebook(["1"])
    proc = run_cli("run", src, tmp_path / "out.ipynb", "--log-format", "json", "--prepare-only",
                   "--log-level", "WARNING")
    assert proc.returncode == 0, proc.stderr
    events = parse_events(proc.stderr)
    assert_well_formed(events, 0, "completed")
    assert not of_kind(events, "log")
    proc = run_cli("run", src, tmp_path / "out.ipynb", "--log-format", "json", "--prepare-only")
    assert of_kind(parse_events(proc.stderr), "log")
