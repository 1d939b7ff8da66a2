#!/usr/bin/env python3
"""nbexec side by side with papermill, nbclient and nbformat (docs/benchmarks.md).

    .venv/bin/python bench/run.py                  # every case, full sizes (tens of minutes)
    .venv/bin/python bench/run.py --quick          # smoke run: small sizes, 1 repetition
    .venv/bin/python bench/run.py --cases 1,4 --repeat 3 --out bench/out/results.json

Generates its inputs in a temporary folder, builds the bench programs (bench/CMakeLists.txt)
into build/bench when they are missing or stale, runs every case with nbexec and its peers
alternately (A B A B ...), prints median, min and max per runner and the ratio nbexec/peer,
checks the targets, and writes a JSON results file.

Cases:
  1 CLI start-up (--version, --help-notebook) vs papermill
  2 end to end on ipykernel, trivial cells, vs papermill, nbclient and the floor (raw client)
  3 executor overhead per cell on an instant-reply C++ kernel, vs nbclient and the floor
  4 read + validate + write of a notebook with image outputs, vs nbformat (time, peak RSS)
  5 one cell printing many lines, vs papermill (time, peak RSS, every line arrived)
  6 bytes written to the output file, many cells with 20 KB outputs, vs papermill (strace)
  7 16 notebooks run concurrently, vs papermill
  8 a sweep: 32 runs of a small numpy/pandas notebook, `nbexec sweep -j 2` (with and without
    --preload) vs papermill and `nbexec run` in loops (one and two at a time) and the floor
    (the runs' cells on one kernel that is already running, imports done)
  9 papermill with nbexec as its engine (--engine nbexec), trivial cells, vs papermill's
    default engine and `nbexec run`
 10 notebooks as tests: 20 small notebooks, `pytest --nbexec` (alone, -j 2, -n 2) vs
    `pytest --nbmake` (alone, -n 2)
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"
VENV_PY = VENV / "bin" / "python"
BENCH_BUILD = REPO / "build" / "bench"
BENCH_BIN = BENCH_BUILD / "bench"
PEERS = REPO / "bench" / "peers.py"
INSTANT_KERNEL = "nbexec-bench-instant"
BENCH_PROGRAMS = ("nbexec_bench_instant_kernel", "nbexec_bench_raw_client", "nbexec_bench_rw",
                  "nbexec_bench_spawn")
# The programs a case needs besides nbexec_bench_spawn, which measures every run; a run of
# cases that need nothing else builds only that one small program, not the library.
CASE_PROGRAMS = {2: ("nbexec_bench_raw_client",),
                 3: ("nbexec_bench_instant_kernel", "nbexec_bench_raw_client"),
                 4: ("nbexec_bench_rw",), 8: ("nbexec_bench_raw_client",)}

# Sizes per case: the full run (the targets are stated for these) and the smoke run.
FULL = {
    "startup_repeat_factor": 2,
    "e2e_cells": [10, 100, 300, 1000],
    "instant_cells": [100, 2000],
    "rw_mb": 50,
    "lines": 1_000_000,
    "bytes_cells": 1000,
    "concurrent": (16, 20),  # notebooks, trivial cells each
    "once_from_cells": 1000,  # papermill runs once at this many cells and above
    "engine_cells": 1000,
    "sweep_grid": ((0.01, 0.1, 1.0, 10.0), tuple(range(8))),  # alpha x seed: 32 runs
    "test_notebooks": 20,
}
QUICK = {
    "startup_repeat_factor": 3,
    "e2e_cells": [10, 50],
    "instant_cells": [20, 200],
    "rw_mb": 5,
    "lines": 100_000,
    "bytes_cells": 100,
    "concurrent": (4, 5),
    "once_from_cells": 1000,
    "engine_cells": 100,
    "sweep_grid": ((0.1, 1.0), tuple(range(4))),  # 8 runs
    "test_notebooks": 6,
}
OUTPUT_BYTES_PER_CELL = 20_000


# ---- processes ---------------------------------------------------------------------------


@dataclass
class Sample:
    wall: float  # seconds, fork to reaped (nbexec_bench_spawn)
    cpu: float  # user + sys seconds of the process and every descendant it reaped
    maxrss_kb: int  # largest RSS in the process tree (wait4's ru_maxrss)
    hwm_kb: int  # the runner process's own peak RSS (VmHWM, sampled every 10 ms)
    rc: int
    stdout: str
    stderr: str
    tree_rss_kb: int = 0  # with tree=True: the largest sum of RSS over the whole tree (sampled)
    tree_pss_kb: int = 0  # the same for PSS (pages shared by n processes count 1/n in each)


def _read_hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _child_of(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            children = f.read().split()
        return int(children[0]) if children else 0
    except (OSError, ValueError):
        return 0


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as f:
                    todo.extend(int(c) for c in f.read().split())
        except (OSError, ValueError):
            pass
    return found


def _rss_pss_kb(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


def run_process(argv: list, env: dict, timeout: float, cwd: Path | None = None,
                tree: bool = False) -> Sample:
    """Runs argv under nbexec_bench_spawn, which reports wall time and the rusage of the
    process tree; the runner's own peak RSS is sampled from /proc meanwhile. stdout and stderr
    go to temporary files (no pipe back-pressure). With tree=True the sum of RSS and of PSS
    over every process of the tree is sampled too (every 50 ms; smaps_rollup), the memory a
    runner of many kernels holds at once, which ru_maxrss (the largest single process) misses."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(suffix=".json") as result:
        proc = subprocess.Popen(
            [str(BENCH_BIN / "nbexec_bench_spawn"), result.name, *(str(a) for a in argv)],
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd,
            start_new_session=True,
        )
        hwm = [0]
        done = threading.Event()

        tree_peak = [0, 0]

        def sample() -> None:
            child = 0
            ticks = 0
            while not done.wait(0.01):
                child = child or _child_of(proc.pid)
                if child:
                    hwm[0] = max(hwm[0], _read_hwm(child))
                ticks += 1
                if tree and ticks % 5 == 0:
                    sums = [0, 0]
                    for pid in _descendants(proc.pid):
                        rss, pss = _rss_pss_kb(pid)
                        sums[0] += rss
                        sums[1] += pss
                    tree_peak[0] = max(tree_peak[0], sums[0])
                    tree_peak[1] = max(tree_peak[1], sums[1])

        def stop() -> None:
            for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 0)):
                if done.is_set():
                    return
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    return
                done.wait(grace)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        watchdog = threading.Timer(timeout, stop)
        watchdog.daemon = True
        watchdog.start()
        proc.wait()
        done.set()
        watchdog.cancel()
        sampler.join()
        out.seek(0)
        err.seek(0)
        try:
            cost = json.loads(Path(result.name).read_text() or "{}")
        except ValueError:
            cost = {}
        return Sample(
            wall=cost.get("wall_s", float("nan")),
            cpu=cost.get("user_s", 0.0) + cost.get("sys_s", 0.0),
            maxrss_kb=cost.get("maxrss_kb", 0),
            hwm_kb=hwm[0],
            rc=proc.returncode if cost else -1,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            tree_rss_kb=tree_peak[0],
            tree_pss_kb=tree_peak[1],
        )


def last_json_line(text: str) -> dict:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return {}


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# ---- the bench programs --------------------------------------------------------------------


def build_programs(lock: str, cases: list[int]) -> None:
    """Configures and builds build/bench when a program is missing or older than a source."""
    wanted = ["nbexec_bench_spawn"] + sorted({p for c in cases for p in CASE_PROGRAMS.get(c, ())})
    sources = [p for d in ("src", "include", "bench") for p in (REPO / d).rglob("*")
               if p.is_file() and p.suffix in (".cpp", ".hpp", ".txt")
               and "cli" not in p.relative_to(REPO).parts]
    sources.append(REPO / "CMakeLists.txt")
    newest = max(p.stat().st_mtime for p in sources)
    programs = [BENCH_BIN / name for name in wanted]
    if all(p.exists() and p.stat().st_mtime >= newest for p in programs):
        return
    flock = ["flock", lock] if lock and shutil.which("flock") else []
    print(f"bench programs: building {BENCH_BUILD.relative_to(REPO)} (sources changed)", flush=True)
    configure = [
        "cmake", "-S", str(REPO), "-B", str(BENCH_BUILD), "-DCMAKE_BUILD_TYPE=Release",
        "-DNBEXEC_BUILD_BENCH=ON", "-DNBEXEC_BUILD_TESTS=OFF", "-DNBEXEC_BUILD_CLI=OFF",
        "-DNBEXEC_BUILD_PYTHON=OFF", "-DNBEXEC_INSTALL=OFF",
    ]
    if shutil.which("ninja") and not (BENCH_BUILD / "CMakeCache.txt").exists():
        configure += ["-G", "Ninja"]
    subprocess.run(flock + configure, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        flock + ["cmake", "--build", str(BENCH_BUILD), "-j", str(os.cpu_count() or 2),
                 "--target", *wanted],
        check=True,
    )
    for p in programs:  # ninja leaves an up-to-date program untouched
        p.touch()


# ---- inputs --------------------------------------------------------------------------------


def new_notebook(sources: list[str], kernel: str = "python3", outputs=None, tag_first=None):
    from nbformat.v4 import new_code_cell
    from nbformat.v4 import new_notebook as nb_new

    nb = nb_new(metadata={
        "kernelspec": {"name": kernel, "display_name": kernel, "language": "python"},
        "language_info": {"name": "python"},
    })
    for i, source in enumerate(sources):
        cell = new_code_cell(source)
        if outputs:
            cell.outputs = outputs(i)
            cell.execution_count = i + 1
        if tag_first and i == 0:
            cell.metadata["tags"] = [tag_first]
        nb.cells.append(cell)
    return nb


def write_nb(nb, path: Path) -> Path:
    import nbformat

    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def trivial_notebook(path: Path, cells: int, kernel: str = "python3") -> Path:
    return write_nb(new_notebook([f"x = {i}" for i in range(cells)], kernel), path)


def image_notebook(path: Path, megabytes: int) -> Path:
    """Cells with a stream output and a PNG display_data of about 500 KB (base64) each."""
    from nbformat.v4 import new_output

    rng = random.Random(42)
    png_bytes = 375_000  # 500,000 base64 characters
    cells = max(1, round(megabytes * 1_000_000 / (png_bytes * 4 / 3 + 1_000)))
    header = b"\x89PNG\r\n\x1a\n"

    def outputs(i: int):
        data = header + rng.randbytes(png_bytes - len(header))
        return [
            new_output("stream", name="stdout", text=f"epoch {i}: loss {1 / (i + 1):.6f}\n" * 10),
            new_output("display_data", data={
                "image/png": base64.b64encode(data).decode() + "\n",
                "text/plain": "<Figure size 640x480 with 1 Axes>",
            }, metadata={"image/png": {"width": 640, "height": 480}}),
        ]

    sources = [f"fig, ax = plt.subplots()\nax.plot(range({i}))\nplt.show()" for i in range(cells)]
    return write_nb(new_notebook(sources, outputs=outputs), path)


def params_notebook(path: Path) -> Path:
    nb = new_notebook([
        'alpha = 0.5  # learning rate\nepochs: int = 10\nname = "run"  # a label',
        "print(alpha, epochs, name)",
    ], tag_first="parameters")
    return write_nb(nb, path)


# ---- results -------------------------------------------------------------------------------


@dataclass
class Row:
    case: int
    size: str
    runner: str
    role: str  # "nbexec", "peer", "floor" or "info" (shown, never a ratio's denominator)
    samples: list[Sample] = field(default_factory=list)
    failures: int = 0  # runs that exited non-zero (left out of the figures)
    extra: dict = field(default_factory=dict)  # per-run facts (bytes, lines checked, ...)

    def walls(self) -> list[float]:
        return [s.wall for s in self.samples]

    def median(self) -> float:
        return statistics.median(self.walls()) if self.samples else float("nan")

    def stat(self, name: str) -> float:
        values = [getattr(s, name) for s in self.samples]
        return statistics.median(values) if values else float("nan")

    def to_json(self) -> dict:
        w = self.walls()
        return {
            "case": self.case, "size": self.size, "runner": self.runner, "role": self.role,
            "n": len(w),
            "failures": self.failures,
            "median_s": statistics.median(w) if w else None,
            "min_s": min(w) if w else None,
            "max_s": max(w) if w else None,
            "walls_s": w,
            "cpu_s": [s.cpu for s in self.samples],
            "tree_maxrss_kb": [s.maxrss_kb for s in self.samples],
            "runner_hwm_kb": [s.hwm_kb for s in self.samples],
            "tree_rss_sum_kb": [s.tree_rss_kb for s in self.samples],
            "tree_pss_sum_kb": [s.tree_pss_kb for s in self.samples],
            **self.extra,
        }


@dataclass
class Target:
    case: int
    name: str
    wanted: str
    measured: str
    met: bool | None  # None: could not be judged (missing data)


class Failure(RuntimeError):
    pass


@dataclass
class Runner:
    name: str
    role: str
    # (size, run directory) -> (argv, check(sample, run directory) -> extra facts)
    make: Callable
    times: Callable[[object], int] | None = None  # repetitions for a size (default: --repeat)


class Bench:
    def __init__(self, args, sizes: dict):
        self.args = args
        self.sizes = sizes
        self.rows: list[Row] = []
        self.targets: list[Target] = []
        self.errors: list[str] = []
        self.work = Path(tempfile.mkdtemp(prefix="nbexec-bench-"))
        self.nbexec = str(Path(args.nbexec).resolve())
        self.papermill = str(VENV / "bin" / "papermill")
        self.env = self._environment()
        self.py_kernel_argv = [str(VENV_PY), "-m", "ipykernel_launcher", "-f", "{connection_file}",
                               "--HistoryManager.hist_file=:memory:"]
        self.instant_argv = [str(BENCH_BIN / "nbexec_bench_instant_kernel"), "{connection_file}"]

    def _environment(self) -> dict:
        jupyter = self.work / "jupyter"
        spec = jupyter / "kernels" / INSTANT_KERNEL
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [str(BENCH_BIN / "nbexec_bench_instant_kernel"), "{connection_file}"],
            "display_name": "instant-reply benchmark kernel",
            "language": "python",
        }))
        (self.work / "runtime").mkdir()
        env = dict(os.environ)
        env["JUPYTER_PATH"] = f"{jupyter}{os.pathsep}{VENV / 'share' / 'jupyter'}"
        env["JUPYTER_RUNTIME_DIR"] = str(self.work / "runtime")
        env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        return env

    # -- running -----------------------------------------------------------------------------

    def measure(self, case: int, size, label: str, runners: list[Runner], repeat: int,
                warmup: bool, tree: bool = False) -> dict[str, Row]:
        """Runs each runner `repeat` times, alternating runners within each round. tree: sample
        the summed RSS and PSS of the whole process tree too (run_process)."""
        rows = {r.name: Row(case, label, r.name, r.role) for r in runners}
        self.rows.extend(rows.values())
        rounds = [("warm-up", r) for r in runners] if warmup else []
        for i in range(repeat):
            rounds += [(i, r) for r in runners if i < (r.times(size) if r.times else repeat)]
        for index, runner in rounds:
            run_dir = self.work / f"case{case}" / re.sub(r"[^\w.-]+", "_",
                                                         f"{runner.name}-{label}-{index}")
            run_dir.mkdir(parents=True, exist_ok=True)
            argv, check = runner.make(size, run_dir)
            sample = run_process(argv, self.env, self.args.timeout, cwd=run_dir, tree=tree)
            what = f"case {case} {runner.name} {label}"
            if sample.rc != 0:
                if index != "warm-up":
                    rows[runner.name].failures += 1
                message = f"{what}: exit {sample.rc}\n{tail(sample.stderr)}"
                self.errors.append(message)
                print(f"  ! {message}", flush=True)
                shutil.rmtree(run_dir, ignore_errors=True)
                continue
            try:
                facts = check(sample, run_dir) if check else {}
            except Exception as e:  # noqa: BLE001 - any broken output is a failed run
                problem = str(e) if isinstance(e, Failure) else f"checking the output: {e!r}"
                self.errors.append(f"{what}: {problem}")
                print(f"  ! {what}: {problem}", flush=True)
                if index != "warm-up":
                    rows[runner.name].failures += 1
                    rows[runner.name].extra.setdefault("check_failed", []).append(problem)
                shutil.rmtree(run_dir, ignore_errors=True)
                continue
            shutil.rmtree(run_dir, ignore_errors=True)
            if index == "warm-up":
                continue
            row = rows[runner.name]
            row.samples.append(sample)
            for key, value in (facts or {}).items():
                row.extra.setdefault(key, []).append(value)
            if self.args.verbose:
                print(f"    {runner.name:<16} {label:<10} {sample.wall:9.3f} s", flush=True)
        return rows

    # -- checks ------------------------------------------------------------------------------

    @staticmethod
    def check_executed(expected_cells: int):
        def check(sample: Sample, run_dir: Path) -> dict:
            nb = json.loads((run_dir / "out.ipynb").read_text(encoding="utf-8"))
            done = sum(1 for c in nb["cells"]
                       if c["cell_type"] == "code" and c.get("execution_count") is not None)
            if done != expected_cells:
                raise Failure(f"{done} of {expected_cells} cells executed in out.ipynb")
            return {}
        return check

    # -- cases -------------------------------------------------------------------------------

    def case1_startup(self) -> None:
        print("case 1: CLI start-up", flush=True)
        nb = params_notebook(self.work / "inputs" / "params.ipynb")
        repeat = self.args.repeat * self.sizes["startup_repeat_factor"]
        for label, nbexec_argv, pm_argv in (
            ("--version", [self.nbexec, "--version"], [self.papermill, "--version"]),
            ("--help-notebook", [self.nbexec, "run", nb, "--help-notebook"],
             [self.papermill, nb, "--help-notebook"]),
        ):
            rows = self.measure(1, label, label, [
                Runner("nbexec", "nbexec", lambda s, d, a=nbexec_argv: (a, None)),
                Runner("papermill", "peer", lambda s, d, a=pm_argv: (a, None)),
            ], repeat, warmup=not self.args.quick)
            self.speedup_target(1, f"start-up {label}: papermill / nbexec", rows["nbexec"],
                                rows["papermill"], 20)

    def case2_end_to_end(self) -> None:
        print("case 2: end to end on ipykernel, trivial cells", flush=True)
        once_from = self.sizes["once_from_cells"]
        largest = None
        by_size = {}
        # The transports side by side in the same rounds (the machine is shared and noisy, so
        # only ratios within one run mean much): "nbexec" is the default (ipc, and CurveZMQ
        # because ipykernel's kernelspec declares it); the rows below pin each choice.
        transports = {
            "nbexec ipc": ["--transport", "ipc", "--encryption", "off"],
            "nbexec tcp": ["--transport", "tcp", "--encryption", "off"],
            "nbexec tcp+curve": ["--transport", "tcp", "--encryption", "required"],
        }
        for cells in self.sizes["e2e_cells"]:
            nb = trivial_notebook(self.work / "inputs" / f"trivial-{cells}.ipynb", cells)
            check = self.check_executed(cells)
            runners = [
                Runner("nbexec", "nbexec", lambda s, d, nb=nb, c=check: (
                    [self.nbexec, "run", nb, d / "out.ipynb"], c)),
                *[Runner(name, "info", lambda s, d, nb=nb, c=check, extra=extra: (
                    [self.nbexec, "run", nb, d / "out.ipynb", *extra], c))
                  for name, extra in transports.items()],
                Runner("papermill", "peer", lambda s, d, nb=nb, c=check: (
                    [self.papermill, nb, d / "out.ipynb", "--no-progress-bar"], c),
                    times=lambda s: 1 if s >= once_from else self.args.repeat),
                Runner("nbclient", "peer", lambda s, d, nb=nb, c=check: (
                    [VENV_PY, PEERS, "nbclient", nb, d / "out.ipynb"], c)),
                Runner("floor", "floor", lambda s, d, nb=nb: (
                    [BENCH_BIN / "nbexec_bench_raw_client", nb, "--", *self.py_kernel_argv],
                    lambda sample, _d: last_json_line(sample.stdout))),
                Runner("jupyter_client", "info", lambda s, d, nb=nb: (
                    [VENV_PY, PEERS, "jupyter-client", nb],
                    lambda sample, _d: last_json_line(sample.stdout))),
            ]
            largest = self.measure(2, cells, f"{cells} cells", runners, self.args.repeat,
                                   warmup=not self.args.quick and cells == self.sizes["e2e_cells"][0])
            by_size[cells] = largest
        self.transport_targets(by_size)
        if largest:
            n, f = largest["nbexec"], largest["floor"]
            ratio = n.median() / f.median() if n.samples and f.samples else float("nan")
            self.targets.append(Target(2, f"{n.size}: nbexec within 5% of the floor", "<= 1.05",
                                       fmt_ratio(ratio), ratio <= 1.05 if ratio == ratio else None))
            self.speedup_target(2, f"{n.size}: papermill / nbexec", n, largest["papermill"], 40)

    def transport_targets(self, by_size: dict) -> None:
        """Case 2's transport rows as ratios to tcp: the start (the smallest notebook's run,
        which the kernel start dominates) and the time per cell (the slope between the smallest
        and the largest notebook)."""
        sizes = sorted(by_size)
        if len(sizes) < 2:
            return
        small, large = sizes[0], sizes[-1]

        def slope(name):
            a, b = by_size[small][name], by_size[large][name]
            return (b.median() - a.median()) / (large - small) if a.samples and b.samples else None

        tcp_start = by_size[small]["nbexec tcp"]
        tcp_slope = slope("nbexec tcp")
        for name in ("nbexec", "nbexec ipc", "nbexec tcp+curve"):
            row = by_size[small][name]
            if row.samples and tcp_start.samples:
                self.targets.append(Target(
                    2, f"{small} cells (start): {name} / nbexec tcp", "-",
                    f"{fmt_ratio(row.median() / tcp_start.median())} ({row.median():.3f} vs "
                    f"{tcp_start.median():.3f} s)", None))
            mine = slope(name)
            if mine is not None and tcp_slope:
                self.targets.append(Target(
                    2, f"per cell ({small}..{large}): {name} / nbexec tcp", "-",
                    f"{fmt_ratio(mine / tcp_slope)} ({mine * 1e6:.0f} vs {tcp_slope * 1e6:.0f} "
                    "us/cell)", None))

    def case3_overhead(self) -> None:
        print("case 3: executor overhead per cell, instant-reply kernel", flush=True)
        small, large = self.sizes["instant_cells"]
        per_size = {}
        for cells in (small, large):
            nb = trivial_notebook(self.work / "inputs" / f"instant-{cells}.ipynb", cells,
                                  kernel=INSTANT_KERNEL)
            check = self.check_executed(cells)
            per_size[cells] = self.measure(3, cells, f"{cells} cells", [
                Runner("nbexec", "nbexec", lambda s, d, nb=nb, c=check: (
                    [self.nbexec, "run", nb, d / "out.ipynb"], c)),
                Runner("nbclient", "peer", lambda s, d, nb=nb, c=check: (
                    [VENV_PY, PEERS, "nbclient", nb, d / "out.ipynb", "--kernel", INSTANT_KERNEL],
                    c)),
                Runner("floor", "floor", lambda s, d, nb=nb: (
                    [BENCH_BIN / "nbexec_bench_raw_client", nb, "--", *self.instant_argv],
                    lambda sample, _d: last_json_line(sample.stdout))),
            ], self.args.repeat, warmup=not self.args.quick and cells == small)
        slopes = {}
        for name in ("nbexec", "nbclient", "floor"):
            a, b = per_size[small][name], per_size[large][name]
            if a.samples and b.samples:
                slopes[name] = (b.median() - a.median()) / (large - small)
        self.slopes = slopes
        if {"nbexec", "nbclient", "floor"} <= slopes.keys():
            # Overhead: the time per cell beyond the floor's (one ZeroMQ round trip to a kernel
            # that does nothing); the raw per-cell times are printed beside it.
            ours, theirs = slopes["nbexec"] - slopes["floor"], slopes["nbclient"] - slopes["floor"]
            ratio = ours / theirs if theirs > 0 else float("nan")
            self.targets.append(Target(
                3, "per-cell overhead above the floor, nbexec / nbclient", "<= 1/20 (0.05)",
                f"{fmt_ratio(ratio)} ({ours * 1e6:.0f} vs {theirs * 1e6:.0f} us/cell)",
                ratio <= 0.05 if ratio == ratio else None))
            self.targets.append(Target(
                3, "per-cell time, nbexec / nbclient (floor included)", "-",
                f"{fmt_ratio(slopes['nbexec'] / slopes['nbclient'])} ({slopes['nbexec'] * 1e6:.0f}"
                f" vs {slopes['nbclient'] * 1e6:.0f} us/cell; floor {slopes['floor'] * 1e6:.0f})",
                None))
        else:
            self.targets.append(Target(3, "per-cell overhead above the floor, nbexec / nbclient",
                                       "<= 1/20 (0.05)", "n/a", None))

    def case4_read_write(self) -> None:
        mb = self.sizes["rw_mb"]
        print(f"case 4: read + validate + write, ~{mb} MB notebook with images", flush=True)
        nb = image_notebook(self.work / "inputs" / f"images-{mb}mb.ipynb", mb)
        size = nb.stat().st_size
        digests: dict[str, set] = {}

        def digest(name):
            def check(sample: Sample, run_dir: Path) -> dict:
                out = (run_dir / "out.ipynb").read_bytes()
                digests.setdefault(name, set()).add(hashlib.sha256(out).hexdigest())
                return {"steps": last_json_line(sample.stdout)}
            return check

        rows = self.measure(4, size, f"{size / 1e6:.0f} MB", [
            Runner("nbexec", "nbexec", lambda s, d: (
                [BENCH_BIN / "nbexec_bench_rw", nb, d / "out.ipynb"], digest("nbexec"))),
            Runner("nbformat", "peer", lambda s, d: (
                [VENV_PY, PEERS, "nbformat-rw", nb, d / "out.ipynb"], digest("nbformat"))),
            # The same save without the fsync: what nbformat.write does, and nbexec run's saves
            # during a run.
            Runner("nbexec-no-fsync", "info", lambda s, d: (
                [BENCH_BIN / "nbexec_bench_rw", "--atomic", nb, d / "out.ipynb"],
                digest("nbexec-no-fsync"))),
            Runner("nbexec-python", "info", lambda s, d: (
                [VENV_PY, PEERS, "nbexec-py-rw", nb, d / "out.ipynb"], digest("nbexec-python"))),
        ], self.args.repeat, warmup=not self.args.quick)
        identical = len(set().union(*digests.values())) == 1 if digests else False
        rows["nbexec"].extra["output_identical_to_nbformat"] = identical
        if not identical:
            self.errors.append("case 4: nbexec's output differs from nbformat's")
        self.speedup_target(4, "read+validate+write: nbformat / nbexec", rows["nbexec"],
                            rows["nbformat"], 10)
        self.speedup_target(4, "same, no fsync (as nbformat.write): nbformat / nbexec",
                            rows["nbexec-no-fsync"], rows["nbformat"], 10)
        n, p = rows["nbexec"], rows["nbformat"]
        if n.samples and p.samples:
            ratio = n.stat("maxrss_kb") / p.stat("maxrss_kb")
            self.targets.append(Target(
                4, "peak RSS nbexec / nbformat", "<= 0.5",
                f"{fmt_ratio(ratio)} ({n.stat('maxrss_kb') / 1024:.0f} vs "
                f"{p.stat('maxrss_kb') / 1024:.0f} MiB)", ratio <= 0.5))

    def case5_many_lines(self) -> None:
        lines = self.sizes["lines"]
        print(f"case 5: one cell printing {lines:,} lines", flush=True)
        nb = write_nb(new_notebook([f"for i in range({lines}):\n    print(i)"]),
                      self.work / "inputs" / f"lines-{lines}.ipynb")
        expected = "".join(f"{i}\n" for i in range(lines))

        def check(sample: Sample, run_dir: Path) -> dict:
            doc = json.loads((run_dir / "out.ipynb").read_text(encoding="utf-8"))
            code = [c for c in doc["cells"] if c["cell_type"] == "code"][-1]
            text = "".join(
                "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
                for o in code["outputs"] if o.get("output_type") == "stream"
            )
            streams = sum(1 for o in code["outputs"] if o.get("output_type") == "stream")
            if text != expected:
                got = text.count("\n")
                raise Failure(f"{got:,} of {lines:,} lines arrived in order")
            return {"lines_ok": True, "stream_outputs": streams}

        rows = self.measure(5, lines, f"{lines:,} lines", [
            Runner("nbexec", "nbexec", lambda s, d: ([self.nbexec, "run", nb, d / "out.ipynb"], check)),
            Runner("papermill", "peer", lambda s, d: (
                [self.papermill, nb, d / "out.ipynb", "--no-progress-bar"], check)),
        ], self.args.repeat, warmup=False)
        self.speedup_target(5, f"{lines:,} lines: papermill / nbexec", rows["nbexec"],
                            rows["papermill"], None)

    def case6_bytes_written(self) -> None:
        cells = self.sizes["bytes_cells"]
        print(f"case 6: bytes written, {cells} cells with 20 KB outputs each", flush=True)
        if not shutil.which("strace"):
            self.errors.append("case 6: strace is not installed")
            return
        width = 5
        nb = write_nb(new_notebook([
            f"print('{i:0{width}d}' * {OUTPUT_BYTES_PER_CELL // width})" for i in range(cells)
        ]), self.work / "inputs" / f"bytes-{cells}.ipynb")
        json_log = self.nbexec_supports("--log-format")
        once_from = self.sizes["once_from_cells"]

        def traced(argv, run_dir: Path) -> list:
            out_dir = run_dir / "out"
            out_dir.mkdir()
            return ["strace", "-f", "-qq", "-y", "-s", "0", "-o", run_dir / "strace.log",
                    "-e", "trace=write,pwrite64,writev,pwritev", "-e", "signal=none",
                    *argv(out_dir / "out.ipynb")]

        def check(sample: Sample, run_dir: Path) -> dict:
            out_dir = run_dir / "out"
            final = (out_dir / "out.ipynb").stat().st_size
            written, calls = bytes_written_to(run_dir / "strace.log", out_dir)
            facts = {"bytes_written": written, "write_calls": calls, "final_size": final,
                     "written_over_final": written / final}
            end = [e for e in map(try_json, sample.stderr.splitlines())
                   if e.get("event") == "run_end"]
            if end:
                facts["run_end_bytes_written"] = end[-1].get("bytes_written")
                facts["run_end_saves"] = end[-1].get("saves")
            return facts

        nbexec_extra = ["--log-format", "json"] if json_log else []
        rows = self.measure(6, cells, f"{cells} cells", [
            Runner("nbexec", "nbexec", lambda s, d: (traced(
                lambda out: [self.nbexec, "run", nb, out, *nbexec_extra], d), check)),
            Runner("papermill", "peer", lambda s, d: (traced(
                lambda out: [self.papermill, nb, out, "--no-progress-bar"], d), check),
                times=lambda s: 1 if s >= once_from else self.args.repeat),
        ], self.args.repeat, warmup=False)
        n, p = rows["nbexec"], rows["papermill"]
        if n.extra.get("written_over_final"):
            ratio = statistics.median(n.extra["written_over_final"])
            self.targets.append(Target(6, "nbexec bytes written / final size", "<= 3",
                                       f"{ratio:.2f}", ratio <= 3))
        if p.extra.get("written_over_final"):
            self.targets.append(Target(
                6, "papermill bytes written / final size (for reference)", "-",
                f"{statistics.median(p.extra['written_over_final']):.1f}", None))

    def case7_concurrent(self) -> None:
        count, cells = self.sizes["concurrent"]
        print(f"case 7: {count} notebooks of {cells} cells run concurrently", flush=True)
        nb = trivial_notebook(self.work / "inputs" / f"concurrent-{cells}.ipynb", cells)
        runner_script = [VENV_PY, "-c", CONCURRENT_SCRIPT]

        def make(command: list):
            def build(size, run_dir: Path):
                argv = runner_script + [str(count), str(run_dir), json.dumps([str(a) for a in command])]

                def check(sample: Sample, d: Path) -> dict:
                    facts = last_json_line(sample.stdout)
                    for i in range(count):
                        nbdoc = json.loads((d / f"out-{i}.ipynb").read_text(encoding="utf-8"))
                        done = sum(1 for c in nbdoc["cells"] if c.get("execution_count") is not None)
                        if done != cells:
                            raise Failure(f"notebook {i}: {done} of {cells} cells executed")
                    return facts
                return argv, check
            return build

        rows = self.measure(7, count, f"{count} x {cells} cells", [
            Runner("nbexec", "nbexec", make([self.nbexec, "run", nb, "{out}"])),
            Runner("papermill", "peer", make([self.papermill, nb, "{out}", "--no-progress-bar"])),
        ], self.args.repeat, warmup=False)
        self.speedup_target(7, f"{count} concurrent: papermill / nbexec", rows["nbexec"],
                            rows["papermill"], None)

    def case8_sweep(self) -> None:
        alphas, seeds = self.sizes["sweep_grid"]
        runs = [{"alpha": a, "seed": s} for a in alphas for s in seeds]  # the grid's order
        count = len(runs)
        print(f"case 8: a sweep of {count} runs ({len(alphas)} alpha x {len(seeds)} seed),"
              " numpy + pandas, 2,000-row ridge fit", flush=True)
        inputs = self.work / "inputs" / "sweep"
        nb = write_nb(new_notebook(SWEEP_CELLS, tag_first="parameters"), inputs / "ml.ipynb")
        grid = inputs / "grid.yaml"
        grid.write_text(f"alpha: [{', '.join(map(repr, alphas))}]\n"
                        f"seed: [{', '.join(map(repr, seeds))}]\n", encoding="utf-8")
        runs_file = inputs / "runs.json"
        runs_file.write_text(json.dumps(runs), encoding="utf-8")
        template = "out/{alpha}-{seed}.ipynb"
        # The floor: one kernel, the import cell once (untimed, --setup 1), then every run's
        # other cells as papermill and nbexec run them: the parameters cell, the injected
        # parameters, the fit, the record.
        params_cell, imports_cell, fit_cell, record_cell = SWEEP_CELLS
        floor_cells = [imports_cell]
        for r in runs:
            injected = "# Parameters\n" + "".join(f"{k} = {v!r}\n" for k, v in r.items())
            floor_cells += [params_cell, injected, fit_cell, record_cell]
        floor_nb = write_nb(new_notebook(floor_cells), inputs / "floor.ipynb")
        rmse_by_runner: dict[str, dict] = {}

        def outputs_check(name: str):
            def check(sample: Sample, run_dir: Path) -> dict:
                from nbexec import read_scraps

                outs = sorted((run_dir / "out").glob("*.ipynb"))
                if len(outs) != count:
                    raise Failure(f"{len(outs)} of {count} output notebooks written")
                rmse = {}
                for path in outs:
                    doc = json.loads(path.read_text(encoding="utf-8"))
                    code = [c for c in doc["cells"] if c["cell_type"] == "code"]
                    done = sum(1 for c in code if c.get("execution_count") is not None)
                    if done != len(code):
                        raise Failure(f"{path.name}: {done} of {len(code)} code cells executed")
                    scraps = read_scraps(str(path))
                    if not isinstance(scraps.get("rmse"), float):
                        raise Failure(f"{path.name}: no rmse scrap (scraps: {sorted(scraps)})")
                    rmse[path.name] = scraps["rmse"]
                rmse_by_runner.setdefault(name, rmse)
                return {"outputs": len(outs), "per_run_s": sample.wall / count}
            return check

        def floor_check(sample: Sample, run_dir: Path) -> dict:
            facts = last_json_line(sample.stdout)
            if facts.get("cells") != 4 * count:
                raise Failure(f"the floor ran {facts.get('cells')} of {4 * count} cells")
            return {**facts, "per_run_s": facts["cells_s"] / count}

        # sweep-preload is the reference of the ratios; the targets name their denominators.
        role = {"sweep-preload": "nbexec", "sweep": "info", "nbexec-run-j2": "peer",
                "nbexec-run": "info", "papermill-j2": "peer", "papermill": "peer"}

        def launcher(name: str, argv: list) -> Runner:
            def make(size, run_dir: Path):
                (run_dir / "out").mkdir()
                return argv, outputs_check(name)
            return Runner(name, role[name], make)

        sweep = [self.nbexec, "sweep", nb, template, "--grid", grid, "-j", "2"]
        pm_loop = [VENV_PY, PEERS, "papermill-loop", nb, template, runs_file]
        run_loop = [VENV_PY, PEERS, "nbexec-run-loop", self.nbexec, nb, template, runs_file]
        runners = []
        # An older CLI reads `nbexec sweep --help` as papermill's form (`nbexec IN ...`).
        has_sweep = "--grid" in subprocess.run([self.nbexec, "sweep", "--help"],
                                               capture_output=True, text=True,
                                               env=self.env).stdout
        if has_sweep:
            runners += [launcher("sweep-preload", [*sweep, "--preload", "numpy,pandas"]),
                        launcher("sweep", sweep)]
        else:
            self.errors.append(f"case 8: {self.nbexec} has no `sweep` command; the sweep rows"
                               " and the targets are not measured")
            print(f"  ! {self.errors[-1]}", flush=True)
        runners += [
            launcher("nbexec-run-j2", [*run_loop, "--jobs", "2"]),
            launcher("nbexec-run", run_loop),
            launcher("papermill-j2", [*pm_loop, "--jobs", "2"]),
            launcher("papermill", pm_loop),
            Runner("floor", "floor", lambda s, d: (
                [BENCH_BIN / "nbexec_bench_raw_client", floor_nb, "--setup", "1", "--",
                 *self.py_kernel_argv], floor_check)),
        ]
        rows = self.measure(8, count, f"{count} runs", runners, self.args.repeat,
                            warmup=not self.args.quick, tree=True)
        # Isolation, as far as the figures go: every runner computed the same RMSE per run.
        if rmse_by_runner:
            ref_name, ref = next(iter(rmse_by_runner.items()))
            for name, got in rmse_by_runner.items():
                same = (got == ref if got.keys() == ref.keys()
                        else sorted(got.values()) == sorted(ref.values()))
                if not same:
                    self.errors.append(f"case 8: {name}'s RMSEs differ from {ref_name}'s")
        sp = rows.get("sweep-preload") or Row(8, "", "sweep-preload", "nbexec")
        self.speedup_target(8, f"{count} runs: papermill 2 at a time / sweep -j2 --preload", sp,
                            rows["papermill-j2"], 10)
        self.speedup_target(8, f"{count} runs: nbexec run 2 at a time / sweep -j2 --preload", sp,
                            rows["nbexec-run-j2"], 3)
        floor = rows["floor"]
        if sp.samples and floor.extra.get("per_run_s"):
            ours = sp.median() / count
            theirs = statistics.median(floor.extra["per_run_s"])
            ratio = ours / theirs
            self.targets.append(Target(
                8, "per run: sweep -j2 --preload / floor", "<= 2",
                f"{ratio:.2f} ({ours * 1000:.0f} vs {theirs * 1000:.0f} ms)", ratio <= 2))
        else:
            self.targets.append(Target(8, "per run: sweep -j2 --preload / floor", "<= 2", "n/a",
                                       None))
        if "sweep" in rows:
            self.speedup_target(8, f"{count} runs: sweep -j2 / sweep -j2 --preload", sp,
                                rows["sweep"], None)
        self.speedup_target(8, f"{count} runs: papermill in a loop / sweep -j2 --preload", sp,
                            rows["papermill"], None)
        self.speedup_target(8, f"{count} runs: nbexec run in a loop / sweep -j2 --preload", sp,
                            rows["nbexec-run"], None)
        pm = rows["papermill-j2"]
        if sp.samples and pm.samples:
            self.targets.append(Target(
                8, "peak memory of the tree (sums), sweep --preload vs papermill 2 at a time",
                "-", f"RSS {sp.stat('tree_rss_kb') / 1024:.0f} vs {pm.stat('tree_rss_kb') / 1024:.0f}"
                f" MiB, PSS {sp.stat('tree_pss_kb') / 1024:.0f} vs"
                f" {pm.stat('tree_pss_kb') / 1024:.0f} MiB", None))

    def case9_papermill_engine(self) -> None:
        cells = self.sizes["engine_cells"]
        print(f"case 9: papermill --engine nbexec, {cells} trivial cells", flush=True)
        nb = trivial_notebook(self.work / "inputs" / f"engine-{cells}.ipynb", cells)
        check = self.check_executed(cells)
        papermill = [self.papermill, nb, "out.ipynb", "--no-progress-bar"]
        # Every runner alternates, papermill included: this case is about the ratios between
        # them in one session, so papermill runs --repeat times even at 1,000 cells.
        rows = self.measure(9, cells, f"{cells} cells", [
            Runner("nbexec", "nbexec", lambda s, d: (
                [self.nbexec, "run", nb, d / "out.ipynb"], check)),
            # papermill's CLI with nbexec's papermill engine (docs/papermill-engine.md)
            Runner("pm+nbexec", "info", lambda s, d: (
                [*papermill, "--engine", "nbexec"], check)),
            Runner("papermill", "peer", lambda s, d: (papermill, check)),
        ], self.args.repeat, warmup=False)
        n, e, p = rows["nbexec"], rows["pm+nbexec"], rows["papermill"]
        self.speedup_target(9, f"{cells}: papermill / papermill --engine nbexec", e, p, None)
        self.speedup_target(9, f"{cells}: papermill / nbexec run", n, p, None)
        self.speedup_target(9, f"{cells}: papermill --engine nbexec / nbexec run", n, e, None)

    def case10_pytest(self) -> None:
        count = self.sizes["test_notebooks"]
        print(f"case 10: {count} small notebooks as tests, pytest --nbexec vs --nbmake",
              flush=True)
        folder = self.work / "inputs" / "pytest"
        for i in range(count):
            write_nb(new_notebook(TEST_CELLS, tag_first="parameters"), folder / f"nb{i:02d}.ipynb")
        from importlib.metadata import entry_points

        # An install older than the plugin's pytest11 entry point loads it by name.
        plugin = [] if any(ep.name == "nbexec" for ep in entry_points(group="pytest11")) \
            else ["-p", "nbexec.pytest_plugin"]
        pytest = [VENV_PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", folder]

        def check(sample: Sample, run_dir: Path) -> dict:
            if not re.search(rf"\b{count} passed\b", sample.stdout):
                raise Failure(f"not {count} passed: {tail(sample.stdout, 3)}")
            return {"per_run_s": sample.wall / count}

        def runner(name: str, role: str, extra: list) -> Runner:
            return Runner(name, role, lambda s, d: ([*pytest, *extra], check))

        rows = self.measure(10, count, f"{count} notebooks", [
            runner("nbexec", "nbexec", [*plugin, "--nbexec"]),
            runner("nbexec -j 2", "info", [*plugin, "--nbexec", "-j", "2"]),
            runner("nbexec -n 2", "info", [*plugin, "--nbexec", "-n", "2"]),
            runner("nbmake", "peer", ["--nbmake"]),
            runner("nbmake -n 2", "peer", ["--nbmake", "-n", "2"]),
        ], self.args.repeat, warmup=not self.args.quick)
        self.speedup_target(10, "nbmake / nbexec", rows["nbexec"], rows["nbmake"], 3)
        self.speedup_target(10, "nbmake -n 2 / nbexec -n 2", rows["nbexec -n 2"],
                            rows["nbmake -n 2"], 3)
        self.speedup_target(10, "nbmake -n 2 / nbexec -j 2", rows["nbexec -j 2"],
                            rows["nbmake -n 2"], 3)

    # -- helpers -----------------------------------------------------------------------------

    def nbexec_supports(self, option: str) -> bool:
        out = subprocess.run([self.nbexec, "run", "--help"], capture_output=True, text=True,
                             env=self.env)
        return option in out.stdout

    def speedup_target(self, case: int, name: str, nbexec: Row, peer: Row, at_least) -> None:
        if not (nbexec.samples and peer.samples):
            self.targets.append(Target(case, name, f">= {at_least}x" if at_least else "-", "n/a",
                                       None))
            return
        speedup = peer.median() / nbexec.median()
        self.targets.append(Target(case, name, f">= {at_least}x" if at_least else "-",
                                   f"{speedup:.1f}x",
                                   speedup >= at_least if at_least else None))


# Case 8's notebook: parameters, imports, a ridge fit on 2,000 rows, the RMSE recorded.
SWEEP_CELLS = [
    "alpha = 0.1\nseed = 0",
    "import numpy as np, pandas as pd",
    """rng = np.random.default_rng(seed)
rows, features = 2_000, 20
X = rng.normal(size=(rows, features))
y = X @ rng.normal(size=features) + rng.normal(scale=0.5, size=rows)
df = pd.DataFrame(X, columns=[f"x{i}" for i in range(features)]).assign(y=y)
train, test = df.iloc[:1_500], df.iloc[1_500:]
A, b = train.drop(columns="y").to_numpy(), train["y"].to_numpy()
w = np.linalg.solve(A.T @ A + alpha * np.eye(features), A.T @ b)
rmse = np.sqrt(np.mean((test["y"].to_numpy() - test.drop(columns="y").to_numpy() @ w) ** 2))""",
    'import nbexec; nbexec.record("rmse", float(rmse)); print(rmse)',
]


# Case 10's notebook: small, as the notebooks a CI checks often are: a parameters cell, a
# little work, an assertion.
TEST_CELLS = [
    "n = 1000",
    "import math, json",
    "total = sum(math.sqrt(i) for i in range(n))\nprint(f'total {total:.3f}')",
    "data = json.dumps({'n': n, 'total': total})\ndata",
    "assert total > 0",
]


# A tiny launcher for case 7: starts N runs at once, waits for all, prints the span.
CONCURRENT_SCRIPT = r"""
import json, subprocess, sys, time
count, run_dir, command = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
t0 = time.perf_counter()
procs = []
for i in range(count):
    argv = [a.replace("{out}", f"{run_dir}/out-{i}.ipynb") for a in command]
    procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                  stderr=open(f"{run_dir}/err-{i}.log", "wb")))
codes = [p.wait() for p in procs]
span = time.perf_counter() - t0
bad = [i for i, c in enumerate(codes) if c != 0]
for i in bad:
    log = open(f"{run_dir}/err-{i}.log", errors="replace").read()
    hints = [l for l in log.splitlines() if "Address already in use" in l or "Error" in l]
    sys.stderr.write(f"run {i} of {count} exit {codes[i]}: " + " | ".join(hints[-3:])[-1500:] + "\n")
print(json.dumps({"span_s": span, "failed": len(bad)}))
sys.exit(1 if bad else 0)
"""


def try_json(line: str) -> dict:
    line = line.strip()
    if not line.startswith("{"):
        return {}
    try:
        value = json.loads(line)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_WRITE = re.compile(r"^(\d+)\s+(?:write|pwrite64|writev|pwritev)\(\d+<([^>]*)>.*?(?:=\s+(-?\d+)|<unfinished \.\.\.>)")
_RESUMED = re.compile(r"^(\d+)\s+<\.\.\. (?:write|pwrite64|writev|pwritev) resumed>.*=\s+(-?\d+)")


def bytes_written_to(log: Path, folder: Path) -> tuple[int, int]:
    """Bytes and write calls strace saw going to regular files directly inside `folder`."""
    total = calls = 0
    pending: dict[str, str] = {}
    prefix = str(folder.resolve()) + "/"

    def count(path: str, result: str) -> None:
        nonlocal total, calls
        if path.startswith(prefix) and "/" not in path[len(prefix):] and int(result) > 0:
            total += int(result)
            calls += 1

    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = _WRITE.match(line)
            if m:
                pid, path, result = m.groups()
                if result is None:
                    pending[pid] = path
                else:
                    count(path, result)
                continue
            m = _RESUMED.match(line)
            if m and m.group(1) in pending:
                count(pending.pop(m.group(1)), m.group(2))
    return total, calls


def fmt_ratio(x: float) -> str:
    return "n/a" if x != x else f"{x:.3f}"


def fmt_s(x: float) -> str:
    if x != x:
        return "-"
    if x < 1:
        return f"{x * 1000:.1f} ms"
    return f"{x:.2f} s"


# ---- report --------------------------------------------------------------------------------


CASE_TITLES = {
    1: "CLI start-up",
    2: "end to end on ipykernel, trivial cells",
    3: "per-cell overhead, instant-reply kernel",
    4: "read + validate + write, notebook with images",
    5: "one cell printing many lines",
    6: "bytes written to the output file (runs under strace)",
    7: "notebooks run concurrently",
    8: "a sweep: many runs of one numpy/pandas notebook",
    9: "papermill with nbexec as its engine, trivial cells",
    10: "notebooks as tests: pytest --nbexec vs pytest --nbmake",
}


def emit(line: str = "") -> None:
    print(line.rstrip())  # the table's padding leaves trailing blanks


def print_report(bench: Bench) -> None:
    emit()
    for case in sorted({r.case for r in bench.rows}):
        emit(f"case {case}: {CASE_TITLES[case]}")
        emit(f"  {'size':<18} {'runner':<15} {'n':>2} {'median':>10} {'min':>10} {'max':>10}"
             f" {'cpu':>9} {'peak RSS':>9}  nbexec/runner  notes")
        rows = [r for r in bench.rows if r.case == case]
        for r in rows:
            ours = next((x for x in rows if x.size == r.size and x.role == "nbexec"), None)
            ratio = ""
            if r.role != "nbexec" and ours and ours.samples and r.samples:
                ratio = f"{ours.median() / r.median():.3f}"
            rss_kb = r.stat("hwm_kb") if case in (5,) else r.stat("maxrss_kb")
            rss = f"{rss_kb / 1024:.0f} MiB" if r.samples and rss_kb == rss_kb else "-"
            w = r.walls()
            emit(f"  {r.size:<18} {r.runner:<15} {len(w):>2} {fmt_s(r.median()):>10}"
                 f" {fmt_s(min(w) if w else float('nan')):>10}"
                 f" {fmt_s(max(w) if w else float('nan')):>10}"
                 f" {fmt_s(r.stat('cpu')):>9} {rss:>9}  {ratio:>13}  {notes(r)}")
        emit()
    emit("targets")
    for t in bench.targets:
        met = {True: "yes", False: "MISSED", None: "-"}[t.met]
        emit(f"  case {t.case}  {t.name:<58} wanted {t.wanted:<16} measured {t.measured:<14} {met}")
    if bench.errors:
        emit("\nerrors")
        for e in bench.errors:
            emit("  " + e.replace("\n", "\n    "))


def notes(r: Row) -> str:
    parts = [f"{r.failures} run(s) FAILED"] if r.failures else []
    e = r.extra
    if "bytes_written" in e:
        parts.append(f"wrote {statistics.median(e['bytes_written']) / 1e6:.1f} MB"
                     f" = {statistics.median(e['written_over_final']):.2f} x final"
                     f" {statistics.median(e['final_size']) / 1e6:.1f} MB")
        if e.get("run_end_bytes_written") and e["run_end_bytes_written"][0] is not None:
            parts.append(f"run_end says {statistics.median(e['run_end_bytes_written']) / 1e6:.1f} MB"
                         f" in {e['run_end_saves'][-1]} saves")
    if "lines_ok" in e:
        parts.append(f"lines ok in {len(e['lines_ok'])}/{len(r.samples)} runs,"
                     f" {e['stream_outputs'][-1]} stream outputs; own peak RSS shown,"
                     f" tree {r.stat('maxrss_kb') / 1024:.0f} MiB")
    if "check_failed" in e:
        parts.append(f"CHECK FAILED: {e['check_failed'][-1]}")
    if "output_identical_to_nbformat" in e:
        parts.append("output identical to nbformat's" if e["output_identical_to_nbformat"]
                     else "OUTPUT DIFFERS from nbformat's")
    if "cells_s" in e and e["cells_s"]:
        parts.append(f"kernel ready {statistics.median(e['kernel_ready_s']):.2f} s,"
                     + (f" setup cells {statistics.median(e['setup_s']):.2f} s (untimed),"
                        if e.get("setup_s") else "")
                     + f" cells {statistics.median(e['cells_s']):.2f} s")
    slow = [x for x in e.get("shutdown", []) if x != "exited"]
    if slow:
        parts.append(f"kernel shutdown: {slow[0]} in {len(slow)}/{len(e['shutdown'])} runs")
    if "per_run_s" in e:
        parts.append(f"per run {statistics.median(e['per_run_s']) * 1000:.0f} ms"
                     + (" (cells only)" if "cells_s" in e else ""))
    if r.samples and r.samples[0].tree_rss_kb:
        parts.append(f"tree sums: RSS {r.stat('tree_rss_kb') / 1024:.0f} MiB,"
                     f" PSS {r.stat('tree_pss_kb') / 1024:.0f} MiB")
    if "span_s" in e:
        parts.append(f"span {statistics.median(e['span_s']):.2f} s")
    return "; ".join(parts)


def machine_info() -> dict:
    info = {
        "hostname": platform.node(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
        info["cpu_model"] = m.group(1) if m else platform.processor()
        mem = re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.M)
        info["memory_gib"] = round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None
        info["os"] = re.search(r'^PRETTY_NAME="?([^"\n]+)', Path("/etc/os-release").read_text(),
                               re.M).group(1)
    except (OSError, AttributeError):
        pass
    return info


def versions(nbexec: str) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    # boto3 and the other cloud SDKs matter: papermill imports the ones installed at start-up.
    for pkg in ("papermill", "nbclient", "nbformat", "ipykernel", "jupyter_client", "pyzmq",
                "pytest", "pytest-xdist", "nbmake",
                "boto3", "azure-storage-blob", "gcsfs", "pyarrow"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    out["nbexec_cli"] = subprocess.run([nbexec, "--version"], capture_output=True,
                                       text=True).stdout.strip()
    git = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                         capture_output=True, text=True)
    out["nbexec_git"] = git.stdout.strip() or None
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: small sizes, 1 repetition, no warm-up (about 3 minutes)")
    parser.add_argument("--cases", default="1,2,3,4,5,6,7,8,9,10",
                        help="comma-separated case numbers")
    parser.add_argument("--repeat", type=int, help="runs per runner and size (default 5; 1 with"
                        " --quick); papermill runs once at 1,000 cells (not in case 9)")
    parser.add_argument("--out", default=str(REPO / "bench" / "out" / "results.json"),
                        help="JSON results file (default bench/out/results.json)")
    default_cli = VENV / "bin" / "nbexec"
    parser.add_argument("--nbexec", default=str(default_cli if default_cli.exists()
                                                else REPO / "build" / "python" / "nbexec"),
                        help="the nbexec CLI to measure (default .venv/bin/nbexec)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per run")
    parser.add_argument("--build-lock", default="/tmp/nbexec-build.lock",
                        help="flock file the bench build waits on (shared build machines)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every run")
    args = parser.parse_args()
    if args.repeat is None:
        args.repeat = 1 if args.quick else 5
    cases = sorted({int(c) for c in args.cases.split(",") if c.strip()})
    if unknown := [c for c in cases if c not in CASE_TITLES]:
        parser.error(f"unknown cases {unknown}; there are 1 to 10")
    if Path(sys.prefix).resolve() != VENV.resolve() and VENV_PY.exists():
        os.execv(VENV_PY, [str(VENV_PY), __file__, *sys.argv[1:]])  # papermill & co. live there

    build_programs(args.build_lock, cases)
    bench = Bench(args, QUICK if args.quick else FULL)
    started = time.time()
    print(f"nbexec: {bench.nbexec}; work folder {bench.work}"
          f"{'; SMOKE RUN (--quick): sizes and repetitions too small for conclusions' if args.quick else ''}",
          flush=True)
    meta = {"machine": machine_info(), "versions": versions(bench.nbexec),
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "quick": args.quick, "repeat": args.repeat, "cases": cases,
            "sizes": QUICK if args.quick else FULL}
    try:
        for case in cases:
            getattr(bench, {1: "case1_startup", 2: "case2_end_to_end", 3: "case3_overhead",
                            4: "case4_read_write", 5: "case5_many_lines",
                            6: "case6_bytes_written", 7: "case7_concurrent",
                            8: "case8_sweep", 9: "case9_papermill_engine",
                            10: "case10_pytest"}[case])()
    finally:
        meta["duration_s"] = time.time() - started
        meta["machine"]["load_average_at_end"] = os.getloadavg()
        print_report(bench)
        results = {
            **meta,
            "rows": [r.to_json() for r in bench.rows],
            "per_cell_slopes_s": getattr(bench, "slopes", None),
            "targets": [t.__dict__ for t in bench.targets],
            "errors": bench.errors,
        }
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=1, default=str) + "\n")
        print(f"\nresults: {out}  ({meta['duration_s']:.0f} s; load average"
              f" {meta['machine']['load_average_at_start'][0]:.1f} at start,"
              f" {meta['machine']['load_average_at_end'][0]:.1f} at end)")
        if args.keep:
            print(f"work folder kept: {bench.work}")
        else:
            shutil.rmtree(bench.work, ignore_errors=True)
    return 1 if bench.errors else 0


if __name__ == "__main__":
    sys.exit(main())
