"""Installs the fake kernel as kernelspecs in a private JUPYTER_PATH and checks that a run
left nothing behind: no kernel process (running or zombie) and no file in the runtime dir."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

FAKE_KERNEL = Path(__file__).resolve().parent / "fake_kernel.py"


def install_kernelspec(kernels_dir: Path, name: str, argv0: str = sys.executable, **extra) -> Path:
    folder = kernels_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [argv0, str(FAKE_KERNEL), "-f", "{connection_file}"],
        "display_name": name,
        "language": "python",
        **extra,
    }
    (folder / "kernel.json").write_text(json.dumps(spec))
    return folder


class FakeKernelEnv:
    """Environment for one nbexec run against the fake kernels "fake" and "fake-msg"."""

    def __init__(self, tmp_path: Path):
        self.root = tmp_path
        self.runtime_dir = tmp_path / "runtime"
        self.record = tmp_path / "kernel-record.txt"
        kernels = tmp_path / "jupyter" / "kernels"
        install_kernelspec(kernels, "fake", env={"FAKE_GREETING": "hello ${FAKE_NAME}!"})
        install_kernelspec(kernels, "fake-msg", interrupt_mode="message")
        self.env = dict(os.environ)
        self.env.update(
            JUPYTER_PATH=str(tmp_path / "jupyter"),
            JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            FAKE_KERNEL_RECORD=str(self.record),
        )

    def events(self) -> list[str]:
        return self.record.read_text().splitlines() if self.record.exists() else []

    def kernel_pids(self) -> list[int]:
        return [int(line.split()[1]) for line in self.events() if line.startswith("pid ")]


@pytest.fixture
def fake_env(tmp_path) -> FakeKernelEnv:
    return FakeKernelEnv(tmp_path)


def process_alive(pid: int) -> bool:
    """True while /proc has the pid, zombies included."""
    return Path(f"/proc/{pid}").exists()


def processes_mentioning(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{proc.name}: {cmdline}")
    return found


def assert_nothing_left(runtime_dir: Path, pids=(), grace: float = 0.5) -> None:
    """No connection or ipc file in runtime_dir, no process or zombie for any pid, and no
    process whose command line names the runtime dir (the connection file path)."""
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(process_alive(p) for p in pids):
        time.sleep(0.02)
    for pid in pids:
        state = ""
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            pass
        assert not process_alive(pid), f"kernel pid {pid} is still in the process table ({state})"
    assert processes_mentioning(str(runtime_dir)) == []
    left = sorted(p.name for p in runtime_dir.iterdir()) if runtime_dir.exists() else []
    assert left == [], f"left in {runtime_dir}: {left}"


def started_pid(stderr: str) -> int:
    match = re.search(r"started \(pid (\d+)\)", stderr)
    assert match, stderr
    return int(match.group(1))
