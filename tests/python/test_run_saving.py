"""When the output notebook is written during a real run: paced by size after cells (bytes
written stay within 3x the final file), autosaved in the middle of a long cell, and never
half-written. The figures come from the run's own save/run_end events (--log-format json)."""

from __future__ import annotations

import json
import subprocess
import time

from helpers import code_cells, read_valid, stream_text


def events_of(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.strip()]


def test_bytes_written_stay_within_3x_the_final_size(run_cli, write_notebook, tmp_path):
    # 300 cells with 20 KB of output each: papermill would rewrite the growing file ~900 times.
    cells = ["print('x' * 20000)"] * 300
    src = write_notebook(cells)
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "--log-format", "json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    events = events_of(proc.stderr)
    end = events[-1]
    assert end["event"] == "run_end"
    final = out.stat().st_size
    saves = [e for e in events if e["event"] == "save"]
    assert sum(e["bytes"] for e in saves) == end["bytes_written"]
    assert saves[-1]["bytes"] == final
    assert end["bytes_written"] <= 3 * final, (end, final)
    # Saves grow with log(size), not with the number of cells, and some come after cells.
    assert len(saves) < 30
    assert any(e["reason"] == "cell" for e in saves)
    assert all(stream_text(c) == "x" * 20000 + "\n" for c in code_cells(read_valid(out)))


def test_no_saves_after_cells_when_turned_off(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print('x' * 50000)"] * 20)
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "--log-format", "json", "--no-request-save-on-cell-execute",
                   "--autosave-cell-every", "0")
    assert proc.returncode == 0, proc.stderr
    reasons = [e["reason"] for e in events_of(proc.stderr) if e["event"] == "save"]
    assert reasons == ["start", "end"]


def test_autosave_writes_a_long_cells_output_while_it_runs(cli, write_notebook, tmp_path):
    src = write_notebook(["print('tick', flush=True); import time; time.sleep(6)"])
    out = tmp_path / "out.ipynb"
    proc = subprocess.Popen([cli, "run", str(src), str(out), "--autosave-cell-every", "1",
                             "--log-format", "json"], stderr=subprocess.PIPE, text=True)
    try:
        seen_at = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                cells = code_cells(read_valid(out))
            except Exception:  # not written yet; a partial file is a failure below
                cells = None
            if cells and stream_text(cells[0]) == "tick\n":
                seen_at = time.monotonic()
                break
            time.sleep(0.1)
        assert seen_at is not None, "the output never reached the file during the cell"
        # The cell is still running: it ends about 6 s after printing.
        assert proc.poll() is None
        assert read_valid(out).cells[0].metadata.papermill.status == "running"
    finally:
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    reasons = [e["reason"] for e in events_of(stderr) if e["event"] == "save"]
    assert "autosave" in reasons


def test_every_save_leaves_a_whole_valid_notebook(cli, write_notebook, tmp_path):
    # A reader polling the file while cells complete never sees a partial document.
    src = write_notebook(["print('y' * 100000)"] * 40)
    out = tmp_path / "out.ipynb"
    proc = subprocess.Popen([cli, "run", str(src), str(out)], stderr=subprocess.PIPE, text=True)
    reads = 0
    while proc.poll() is None:
        if out.exists():
            read_valid(out)  # raises on a partial or invalid file
            reads += 1
        time.sleep(0.01)
    _, stderr = proc.communicate()
    assert proc.returncode == 0, stderr
    assert reads > 0
