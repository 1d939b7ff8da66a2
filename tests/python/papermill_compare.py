"""Comparing papermill's results with nbexec's: the normalisation and structural checks that
test_papermill_parity.py (CLI against CLI) and test_papermill_differential.py (every papermill
entry point against nbexec's) share.

Times cannot be equal between two runs: they are checked for their type, their format and
their consistency. Outputs are compared as nbclient's suite compares them (no memory
addresses, colours or IPython input markers); stream outputs cut into messages at different
places are merged first.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from helpers import CORPUS

PAPERMILL_NOTEBOOKS = CORPUS / "papermill" / "notebooks"
PAPERMILL_PARAMETERS = CORPUS / "papermill" / "parameters"
ERROR_TAG = "papermill-error-cell-tag"
ERROR_STYLE = ('style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; '
               'font-size:2em;"')
ANCHOR_TEXT = (f'<span id="papermill-error-cell" {ERROR_STYLE}>Execution using papermill '
               "encountered an exception here and stopped:</span>")
# Both kernels get the same terminal (tracebacks wrap at its width) and papermill's own
# PYDEVD setting, which its CLI puts in the environment the kernel inherits.
ENV = {"COLUMNS": "80", "LINES": "24", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
EXECUTION_KEYS = {"iopub.status.busy", "iopub.execute_input", "shell.execute_reply",
                  "iopub.status.idle"}
# nbclient's timestamp(): strftime("%Y-%m-%dT%H:%M:%S.%fZ") of the message header's date.
EXECUTION_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
# datetime.isoformat() of an aware UTC time (no fraction when the microseconds are zero).
PAPERMILL_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$")
CELL_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
ADDRESS = re.compile(r"0x[0-9a-f]{6,16}")
INPUT_MARKERS = [
    (re.compile(r"<ipython-input-\d+-[0-9a-f]+>"), "<INPUT>"),
    (re.compile(r"Cell In ?\[\d+\], line \d+"), "<INPUT>"),
    (re.compile(r"Input In ?\[\d+\], in <cell line: \d+>\(\)"), "<INPUT>"),
]


def need_corpus():
    if not PAPERMILL_NOTEBOOKS.is_dir():
        pytest.skip(f"papermill's corpus is not there ({PAPERMILL_NOTEBOOKS}): a fresh clone "
                    "has no ../shared/corpus beside the project")


def papermill_command():
    """papermill's CLI in this environment (without its progress bar)."""
    beside = Path(sys.executable).parent / "papermill"
    if beside.exists():
        return [str(beside), "--no-progress-bar"]
    return [sys.executable, "-m", "papermill", "--no-progress-bar"]


def strip_ansi(value: str) -> str:
    return ANSI.sub("", value)


def text(source) -> str:
    """A multiline string as written (a list of lines) or as one string."""
    return "".join(source) if isinstance(source, list) else source


def normalise(value):
    """Outputs as nbclient's suite compares them: no addresses, colours or input markers."""
    if isinstance(value, str):
        value = ADDRESS.sub("0x<ADDR>", strip_ansi(value))
        for pattern, replacement in INPUT_MARKERS:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    return value


def parse_time(value) -> datetime:
    assert isinstance(value, str) and PAPERMILL_TIME.match(value), value
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(0)
    return parsed


def check_span(meta, what):
    """start_time <= end_time, duration == end - start as timedelta.total_seconds() makes it."""
    start, end = parse_time(meta["start_time"]), parse_time(meta["end_time"])
    assert start <= end, what
    duration = meta["duration"]
    assert isinstance(duration, float), (what, duration)
    assert abs(duration - (end - start).total_seconds()) < 2e-6, (what, meta)
    return start, end


def is_marker(cell) -> bool:
    return ERROR_TAG in cell.get("metadata", {}).get("tags", [])


def without(mapping, *keys):
    return {k: v for k, v in mapping.items() if k not in keys}


def cell_shape(cell):
    """What must be equal in both runs: everything but ids, timings and outputs."""
    return {"cell_type": cell["cell_type"], "source": cell["source"],
            "metadata": without(cell.get("metadata", {}), "papermill", "execution")}


def check_times(nb):
    """The run's times: typed, consistent, and each cell's span inside the notebook's."""
    meta = nb["metadata"]["papermill"]
    nb_start, nb_end = check_span(meta, "notebook")
    previous_end = nb_start
    for index, cell in enumerate(nb["cells"]):
        if is_marker(cell):
            assert "papermill" not in cell["metadata"], index
            continue
        pm = cell["metadata"]["papermill"]
        assert set(pm) == {"exception", "start_time", "end_time", "duration", "status"}, pm
        if pm["start_time"] is None:
            # Never started: pending, or completed by notebook_complete's clean-up when no
            # cell failed before it.
            assert pm["status"] in ("pending", "completed"), index
            assert (pm["exception"], pm["end_time"], pm["duration"]) == (None, None, None), index
            continue
        start, end = check_span(pm, f"cell {index}")
        assert previous_end <= start and end <= nb_end, (index, pm, meta)
        previous_end = end
        assert isinstance(pm["exception"], bool), index
        assert pm["status"] in ("completed", "failed"), index


def merged_streams(outputs):
    """Consecutive stream outputs of one name as one: where the kernel cuts a stream into
    messages depends on timing (test_autosave prints for 2.5 s), in either run."""
    merged = []
    for output in outputs:
        output = dict(output)
        if output["output_type"] == "stream":
            output["text"] = text(output["text"])
            last = merged[-1] if merged else {}
            if last.get("output_type") == "stream" and last["name"] == output["name"]:
                last["text"] += output["text"]
                continue
        merged.append(output)
    return merged


def code_outputs(nb):
    return [normalise({"execution_count": c["execution_count"],
                       "outputs": merged_streams(c["outputs"])})
            for c in nb["cells"] if c["cell_type"] == "code"]


def check_file_layout(path, nb, tool):
    """On disk as nbformat.writes (papermill's writer) puts it: sorted keys, one-space indent.
    nbexec ends the file with a newline as nbformat.write and Jupyter do; papermill's
    write_ipynb (nbformat.writes) does not."""
    end = "\n" if tool == "nbexec" else ""
    written = json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + end
    assert Path(path).read_text(encoding="utf-8") == written, tool


def assert_same_notebook(pm, nx, *, pm_input="", nx_input="", output_path="",
                         kept_ids=None, versions=None):
    """Two executed notebooks (dicts) are the same but for times, ids papermill adds, and the
    deliberate differences.

    pm_input / nx_input / output_path: the paths each should record in metadata.papermill
    (pass ... to skip that check); kept_ids: the input's cell ids, which both must keep on the
    cells they did not add; versions: (papermill's, nbexec's) version, recorded when the input
    had no metadata.papermill.version.
    """
    assert (nx["nbformat"], nx["nbformat_minor"]) == (pm["nbformat"], pm["nbformat_minor"])

    # The cell list, banner and anchor included, in the same places with the same text.
    assert [cell_shape(c) for c in nx["cells"]] == [cell_shape(c) for c in pm["cells"]]
    assert [is_marker(c) for c in nx["cells"]] == [is_marker(c) for c in pm["cells"]]
    for nb in (pm, nx):
        assert all(CELL_ID.match(c.get("id", "")) for c in nb["cells"]), "a cell has no id"
        ids = [c["id"] for c in nb["cells"]]
        assert len(set(ids)) == len(ids)
    if kept_ids is not None:
        assert ([c["id"] for c in nx["cells"] if c["id"] in kept_ids]
                == [c["id"] for c in pm["cells"] if c["id"] in kept_ids])
        added = {c["id"] for c in pm["cells"] if c["id"] not in kept_ids}
        assert len([c for c in nx["cells"] if c["id"] not in kept_ids]) == len(added)

    # Notebook metadata: all equal but papermill's times and version.
    assert without(nx["metadata"], "papermill") == without(pm["metadata"], "papermill")
    assert nx["metadata"].get("language_info") == pm["metadata"].get("language_info")
    pm_meta, nx_meta = pm["metadata"]["papermill"], nx["metadata"]["papermill"]
    assert set(nx_meta) == set(pm_meta)
    timing = {"start_time", "end_time", "duration", "version"}
    assert without(nx_meta, *timing, "input_path", "output_path") == without(
        pm_meta, *timing, "input_path", "output_path")
    if pm_input is not ...:
        assert pm_meta["input_path"] == pm_input
    if nx_input is not ...:
        assert nx_meta["input_path"] == nx_input
    if output_path is not ...:
        assert (pm_meta["output_path"], nx_meta["output_path"]) == (output_path, output_path)
    if versions is not None and pm_meta["version"] == versions[0]:
        # Written by this run: nbexec writes its own version there.
        assert nx_meta["version"] == versions[1]
    else:
        assert nx_meta["version"] == pm_meta["version"]  # kept from the input
    if "start_time" in pm_meta:  # not with prepare_only
        check_times(pm)
        check_times(nx)

    # Each cell's papermill record and nbclient's timings.
    for index, (p, n) in enumerate(zip(pm["cells"], nx["cells"])):
        p_pm, n_pm = p["metadata"].get("papermill"), n["metadata"].get("papermill")
        assert (n_pm is None) == (p_pm is None), index
        if p_pm:
            assert set(n_pm) == set(p_pm), index
            assert (n_pm["status"], n_pm["exception"]) == (p_pm["status"], p_pm["exception"]), (
                index, p_pm, n_pm)
            for key in ("start_time", "end_time", "duration"):
                assert (n_pm[key] is None) == (p_pm[key] is None), (index, key)
        p_ex, n_ex = p["metadata"].get("execution"), n["metadata"].get("execution")
        assert (n_ex is None) == (p_ex is None), index
        ran = (p["cell_type"] == "code" and text(p["source"]).strip() != ""
               and (p_pm or {}).get("start_time") is not None)
        if p_ex is not None:
            if ran:
                assert set(n_ex) == set(p_ex) == EXECUTION_KEYS, index
                for value in n_ex.values():
                    assert EXECUTION_TIME.match(value), (index, value)
                assert n_ex["iopub.status.busy"] <= n_ex["iopub.execute_input"]
                assert n_ex["iopub.execute_input"] <= n_ex["shell.execute_reply"]
                assert n_ex["iopub.execute_input"] <= n_ex["iopub.status.idle"]
            else:
                assert n_ex == p_ex, index  # a cell not run keeps what it had

    assert code_outputs(nx) == code_outputs(pm)


def papermill_traceback(stderr: str) -> list:
    """The traceback in PapermillExecutionError's message (colours stripped by papermill)."""
    marker = stderr.rindex('Exception encountered at "In [')
    return stderr[marker:].split("\n", 1)[1].rstrip("\n").split("\n")


def check_banner(nb, failing_count, status="failed"):
    """papermill's raise_for_execution_errors: banner first, anchor before the failing cell."""
    cells = nb["cells"]
    markers = [i for i, c in enumerate(cells) if is_marker(c)]
    assert len(markers) == 2, markers
    banner, anchor = cells[markers[0]], cells[markers[1]]
    assert markers[0] == 0
    assert text(banner["source"]) == (f"<span {ERROR_STYLE}>An Exception was encountered at '<a "
                                      f"href=\"#papermill-error-cell\">In [{failing_count}]</a>'."
                                      "</span>")
    assert text(anchor["source"]) == ANCHOR_TEXT
    for marker in (banner, anchor):
        assert marker["cell_type"] == "markdown" and marker["metadata"] == {"tags": [ERROR_TAG]}
    after = cells[markers[1] + 1]
    assert after["execution_count"] == failing_count
    assert after["metadata"]["papermill"]["status"] == status
