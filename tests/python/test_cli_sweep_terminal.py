"""What a person sees on a terminal while `nbexec sweep` runs: the progress bar over runs, read
from a real terminal (tmux), then the table that follows it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time

import nbformat
import pytest
from helpers import make_notebook

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

BAR = re.compile(r"\[[#-]+\]\s+(\d+)/4 runs.*?(\d+) running")


def pane(session):
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                          text=True).stdout


def test_the_bar_counts_runs_while_they_run_and_the_table_follows(cli, tmp_path):
    src = tmp_path / "slow.ipynb"
    nbformat.write(make_notebook(["import time; time.sleep(1.5)"], parameters_cell="alpha = 0"),
                   str(src))
    (tmp_path / "grid.yaml").write_text("alpha: [1, 2, 3, 4]\n")
    session = f"nbexec-sweep-{os.getpid()}"
    command = (f"cd {tmp_path} && {cli} sweep slow.ipynb 'out/{{alpha}}.ipynb' --grid grid.yaml "
               "-j 2; echo EXIT=$?; sleep 60")
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40",
                    command], check=True, env=dict(os.environ, TERM="xterm"))
    try:
        seen = []
        deadline = time.monotonic() + 120
        screen = ""
        while "EXIT=" not in screen and time.monotonic() < deadline:
            screen = pane(session)
            seen += [m.groups() for m in BAR.finditer(screen)]
            time.sleep(0.1)
        assert "EXIT=0" in screen, screen
        # While it ran, the bar showed runs going on two at a time, and runs finishing.
        assert ("0", "2") in seen or ("1", "2") in seen, seen
        assert any(int(done) >= 1 for done, _ in seen), seen
        # At the end the bar stays, full, as tqdm's does; the table and the total follow it.
        assert [m.groups() for m in BAR.finditer(screen)] == [("4", "0")], screen
        lines = [line for line in screen.splitlines() if line.strip()]
        header = next(i for i, line in enumerate(lines) if line.startswith("run  parameters"))
        rows = [line.split() for line in lines[header + 1:header + 5]]
        assert [row[0] for row in rows] == ["0", "1", "2", "3"]
        assert all(row[2] == "completed" for row in rows), rows
        assert any(line.startswith("nbexec: 4 runs: 4 completed in ") for line in lines)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
