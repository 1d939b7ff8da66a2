"""The hostile-input corpus (tests/hostile/manifest.json) fed to the nbexec CLI, one case each.

Every case asserts its exit code, that the error is one line naming the input and the place
(a regex from the manifest), that the child neither crashed nor was killed, and that it stayed
within the case's wall time and peak RSS (ru_maxrss of the child from os.wait4). A refused
input leaves the output path as it was (a sentinel file unchanged, or no file); an accepted one
writes a notebook that nbformat validates. Kernel cases run against a raw ZMTP peer
(tests/hostile/raw_zmtp_kernel.py) and also check that no kernel process and no connection
file is left. wire_frame and connection_file cases are Catch2 tests; here only their names
are checked against the sources.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from nbformat.validator import isvalid

from helpers import REPO

sys.path.insert(0, str(REPO / "tests" / "hostile"))
import generate  # noqa: E402  (tests/hostile/generate.py)

from fake_kernel.harness import assert_nothing_left  # noqa: E402

CASES = generate.load_manifest()
CLI_FEEDS = {"notebook", "params_file", "yaml_arg", "base64_arg", "p_arg", "kernel"}
SENTINEL = b"precious existing content\n"
# A runaway case must not take the machine down: address space is capped well above every
# case's RSS bound (the bound itself is checked on ru_maxrss).
ADDRESS_SPACE_LIMIT = 3 << 30
# Under scripts/sanitize.sh the CLI is built with ASan: its shadow memory is a ~20 TB address
# space reservation no cap allows, its redzones and quarantine count in ru_maxrss, and it runs
# 2-4x slower. There the sanitizer reports are the finding: no address-space cap (ASan's
# hard_rss_limit_mb, set by the script, stops a runaway), no peak-RSS or wall-time bound, and a
# longer timeout. The normal suite asserts all of them.
SANITIZED = os.environ.get("NBEXEC_SANITIZED") == "1"
if SANITIZED:
    ADDRESS_SPACE_LIMIT = 0
RAW_KERNEL = REPO / "tests" / "hostile" / "raw_zmtp_kernel.py"
MEASURED: list[tuple[str, int, float, float]] = []


# Peak RSS is read from a small Python parent (no site packages) that forks and execs the CLI
# and waits for it with os.wait4: a child forked straight from pytest would report pytest's own
# RSS, since Linux carries the pre-exec peak into ru_maxrss.
MEASURE = """
import json, os, resource, sys, time
record, limit, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
started = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(record, "w") as f:
    json.dump({"status": status, "seconds": time.monotonic() - started,
               "maxrss_kib": usage.ru_maxrss}, f)
"""


def run_measured(argv, cwd, env, timeout):
    """Runs argv; returns (wait status, seconds, peak RSS in MiB, stderr)."""
    record = cwd / "child.measure"
    with open(cwd / "child.stdout", "wb") as stdout, open(cwd / "child.stderr", "wb") as stderr:
        parent = subprocess.Popen(
            [sys.executable, "-S", "-c", MEASURE, str(record), str(ADDRESS_SPACE_LIMIT), *argv],
            cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
            start_new_session=True)
        try:
            parent.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(parent.pid, signal.SIGKILL)
            parent.wait()
            raise AssertionError(f"still running after {timeout} s: {argv}")
    measured = json.loads(record.read_text())
    return (measured["status"], measured["seconds"], measured["maxrss_kib"] / 1024,
            (cwd / "child.stderr").read_text(errors="replace"))


def strictly_valid(document) -> bool:
    """nbformat.validator.isvalid for an output (always 4.5): the schema and unique cell ids,
    without the repairs nbformat.validate makes (it only warns about repeated ids). Of a
    notebook with thousands of cells the schema sees the first and last hundred (nbformat
    takes minutes over 200,000 cells); the ids are compared over all of them."""
    cells = document["cells"]
    ids = [cell["id"] for cell in cells]
    if len(set(ids)) != len(ids):
        return False
    sample = dict(document, cells=cells[:100] + cells[-100:]) if len(cells) > 200 else document
    return isvalid(sample)


def command(case, cli, tmp_path, env):
    """The argv for a case, and the name its error must mention."""
    path = generate.materialize(case, tmp_path) if "file" in case or "generate" in case else None
    output = tmp_path / "out.ipynb"
    feed = case["feed"]
    if feed == "notebook":
        return [cli, "run", str(path), str(output), *case.get("args", [])], path.name
    notebook = tmp_path / "base.ipynb"
    notebook.write_bytes((generate.HOSTILE_DIR / case["notebook"]).read_bytes())
    argv = [cli, "run", str(notebook), str(output), *case.get("args", [])]
    if feed == "params_file":
        return argv + ["-f", str(path)], path.name
    if feed == "yaml_arg":
        return argv + ["-y", generate.argument_text(case, path)], "-y #1"
    if feed == "base64_arg":
        return argv + ["-b", generate.argument_text(case, path)], "-b #1"
    if feed == "p_arg":
        name, value = case["p"]
        if isinstance(value, dict):  # a long value, described rather than spelled out
            value = value["repeat"] * value["count"]
        encoding = case.get("p_encoding")
        if encoding:
            return argv + ["-p", name.encode(encoding), value.encode(encoding)], "-p"
        return argv + ["-p", name, value], "-p"
    if feed == "kernel":
        kernels = tmp_path / "jupyter" / "kernels" / "hostile"
        kernels.mkdir(parents=True)
        (kernels / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, str(RAW_KERNEL), "-f", "{connection_file}"],
            "display_name": "hostile", "language": "python",
            "env": {"HOSTILE_MODE": case["mode"], "HOSTILE_RECORD": str(tmp_path / "record")},
        }))
        env.update(JUPYTER_PATH=str(tmp_path / "jupyter"),
                   JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
        return argv + ["-k", "hostile"], case["names"]
    raise AssertionError(f"unknown feed {feed}")


@pytest.mark.parametrize("case", [c for c in CASES if c["feed"] in CLI_FEEDS],
                         ids=lambda c: c["id"])
def test_hostile_case(case, cli, tmp_path):
    expect = case["expect"]
    env = dict(os.environ)
    argv, where = command(case, cli, tmp_path, env)
    output = tmp_path / "out.ipynb"
    refused = expect["exit"] == 2
    keep_sentinel = refused and expect.get("output") == "untouched"
    if keep_sentinel:
        output.write_bytes(SENTINEL)

    status, seconds, rss_mib, stderr = run_measured(
        argv, tmp_path, env, timeout=expect["max_seconds"] * (5 if SANITIZED else 1) + 30)
    MEASURED.append((case["id"], os.waitstatus_to_exitcode(status), seconds, rss_mib))
    context = f"{case['id']}: {seconds:.2f} s, {rss_mib:.0f} MiB, stderr:\n{stderr[-2000:]}"

    assert not os.WIFSIGNALED(status), f"killed by signal {os.WTERMSIG(status)}; {context}"
    assert os.WEXITSTATUS(status) == expect["exit"], context
    if not SANITIZED:
        assert seconds <= expect["max_seconds"], context
        assert rss_mib <= expect["max_rss_mib"], context

    errors = [line for line in stderr.splitlines() if line.startswith("nbexec: error:")]
    if expect.get("error"):
        assert len(errors) == 1, context
        # The error is the last thing said, on one line, naming the input and the place.
        assert stderr.rstrip("\n").splitlines()[-1] == errors[0], context
        assert where in errors[0], context
        assert re.search(expect["error"], errors[0]), context
        assert "internal error" not in stderr, context
    else:
        assert not errors, context

    if keep_sentinel:
        assert output.read_bytes() == SENTINEL, context
    elif refused:
        assert not output.exists(), context
    elif expect.get("output") == "valid":
        text = output.read_text(encoding="utf-8")
        assert strictly_valid(json.loads(text)), context
        if expect.get("output_contains"):
            assert expect["output_contains"] in text, context
    elif expect.get("output") == "written":
        # Written, but beyond what nbformat can read (the case's input was too).
        assert output.read_bytes().startswith(b"{"), context

    if case["feed"] == "kernel":
        assert_transport_case(case, tmp_path)


def assert_transport_case(case, tmp_path):
    # The peer saw nbexec hang up after the claim, long before the claimed size arrived.
    lines = (tmp_path / "record").read_text().splitlines()
    assert lines, "the raw kernel recorded no hostile connection"
    for line in lines:
        fields = dict(part.split("=") for part in line.split()[1:])
        assert fields["dropped"] == "1", line
        assert int(fields["streamed"]) < 256 << 20, line
    # No kernel process (its command line names the connection file in the runtime dir) and
    # no connection file.
    assert_nothing_left(tmp_path / "runtime")


def test_catch2_cases_exist():
    """wire_frame and connection_file cases name Catch2 tests that exist in the named file."""
    named = [c for c in CASES if c["feed"] not in CLI_FEEDS]
    assert len(named) >= 6
    for case in named:
        source = (REPO / case["catch2"]).read_text()
        assert f'TEST_CASE("{case["test"]}"' in source.replace("\n", " ").replace(
            '"             "', ""), case["id"]


def test_manifest_is_complete():
    """Each case has the fields the README table is made of, and every committed file is used."""
    used = set()
    for case in CASES:
        assert {"id", "feed", "what", "expect"} <= set(case), case
        if case["feed"] in CLI_FEEDS:
            assert {"exit", "max_seconds", "max_rss_mib"} <= set(case["expect"]), case["id"]
            inputs = ("file" in case) + ("generate" in case) + ("p" in case)
            assert inputs == (0 if case["feed"] == "kernel" else 1), case["id"]
        if "file" in case:
            used.add(case["file"])
    files = {f"files/{p.name}" for p in (generate.HOSTILE_DIR / "files").iterdir()}
    # base.ipynb is the notebook of the parameter cases.
    assert files - used == {"files/base.ipynb"}, sorted(files - used)


def pytest_terminal_summary_table():  # pragma: no cover - a helper for the README
    return "\n".join(f"| {i} | {code} | {s:.2f} | {r:.0f} |" for i, code, s, r in MEASURED)


@pytest.fixture(scope="module", autouse=True)
def _report_measurements():
    yield
    table = os.environ.get("NBEXEC_HOSTILE_TABLE")
    if table:
        Path(table).write_text(pytest_terminal_summary_table() + "\n")
