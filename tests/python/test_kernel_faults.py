"""Fault injection: nbexec against a pyzmq fake kernel that forges, replays, garbles, dies,
hangs, floods and misroutes. Each test checks the exit code, the message on stderr, the output
notebook (nbformat-validated) and that no kernel process or connection file is left behind."""

from __future__ import annotations

import re
import subprocess
import time

import pytest
from fake_kernel.harness import assert_nothing_left, fake_env  # noqa: F401 (fixture)
from helpers import code_cells, read_valid, stream_text


def run(cli, env, nb_path, out, *args, timeout=60):
    return subprocess.run(
        [cli, "run", str(nb_path), str(out), "--log-level", "DEBUG", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=env.env, cwd=env.root,
    )


@pytest.fixture
def notebook(write_notebook):
    def make(*cells, kernel="fake"):
        return write_notebook(list(cells), kernel=kernel)
    return make


def outputs_of(out):
    return [stream_text(c) for c in code_cells(read_valid(out))]


def test_fake_kernel_runs_cleanly(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run(cli, fake_env, notebook("echo one", "env FAKE_GREETING"), out)
    assert proc.returncode == 0, proc.stderr
    assert outputs_of(out) == ["one\n", "hello ${FAKE_NAME}!\n"]
    # The XPUB fake greets its subscriber (JEP 65); a status may still overtake the greeting.
    assert re.search(r"iopub proven by (iopub_welcome|status)", proc.stderr), proc.stderr
    assert "rejected" not in proc.stderr
    assert "control shutdown_request" in fake_env.events()
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_kernel_env_substitutes_variables(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    fake_env.env["FAKE_NAME"] = "world"
    proc = run(cli, fake_env, notebook("env FAKE_GREETING"), out)
    assert proc.returncode == 0, proc.stderr
    assert outputs_of(out) == ["hello world!\n"]


def test_wrong_key_is_rejected_and_logged(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run(cli, fake_env, notebook("wrong_key", "echo next"), out)
    assert proc.returncode == 0, proc.stderr
    assert outputs_of(out) == ["after\n", "next\n"]
    assert "FORGED" not in out.read_text()
    assert "1 kernel message rejected (1 invalid, 0 replayed)" in proc.stderr
    assert "invalid signature" in proc.stderr
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_replayed_message_is_rejected(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run(cli, fake_env, notebook("replay"), out)
    assert proc.returncode == 0, proc.stderr
    assert outputs_of(out) == ["once\n"]
    assert "(0 invalid, 1 replayed)" in proc.stderr
    assert "duplicate signature" in proc.stderr
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_garbage_frames_are_dropped_and_counted(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run(cli, fake_env, notebook("garbage", "echo still here"), out)
    assert proc.returncode == 0, proc.stderr
    assert outputs_of(out) == ["survived\n", "still here\n"]
    assert "GARBAGE" not in out.read_text()
    # 9 malformed variants, each on iopub and on shell; the two whose signature is genuine
    # (bad UTF-8, bad JSON) are remembered, so their second copy counts as a replay.
    assert "18 kernel messages rejected (16 invalid, 2 replayed)" in proc.stderr
    for reason in ("delimiter", "expected at least 5", "characters, expected 64",
                   "not lower-case hex", "invalid signature", "is unsigned",
                   "not valid UTF-8 JSON", "more than the 65536 allowed"):
        assert reason in proc.stderr, reason
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_wrongly_typed_content_adds_nothing_and_the_run_goes_on(cli, fake_env, notebook,
                                                                 tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run(cli, fake_env, notebook("wrong_types", "echo next"), out)
    assert proc.returncode == 0, proc.stderr
    # Only the well-formed stream of the first cell is kept; the notebook stays valid
    # (read_valid runs nbformat.validate) and the next cell runs.
    assert outputs_of(out) == ["survived\n", "next\n"]
    cells = code_cells(read_valid(out))
    assert [len(c.outputs) for c in cells] == [1, 1]
    assert cells[0].execution_count == 1
    assert "BADNAME" not in out.read_text()


def test_reply_for_another_request_is_ignored(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run(cli, fake_env, notebook("wrong_parent", "echo next"), out)
    assert proc.returncode == 0, proc.stderr
    assert outputs_of(out) == ["mine\n", "next\n"]
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_iopub_message_of_another_session_is_ignored(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run(cli, fake_env, notebook("other_session", "echo next"), out)
    assert proc.returncode == 0, proc.stderr
    assert outputs_of(out) == ["mine\n", "next\n"]
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_cell_error_exits_1(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run(cli, fake_env, notebook("echo a", "error", "echo never"), out)
    assert proc.returncode == 1, proc.stderr
    assert "FakeError: as asked" in proc.stderr
    cells = code_cells(read_valid(out))
    assert cells[1].outputs[0].output_type == "error"
    assert cells[2].outputs == []
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_death_mid_cell_exits_4_within_2_seconds(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run(cli, fake_env, notebook("echo before", "die", "echo never"), out)
    ended = time.time()
    assert proc.returncode == 4, proc.stderr
    assert "the kernel died while executing cell 1" in proc.stderr
    killed = float(next(e for e in fake_env.events() if e.startswith("killed")).split()[1])
    assert ended - killed < 2.0
    assert outputs_of(out) == ["before\n", "dying\n", ""]
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_hang_without_reply_times_out_with_exit_3(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run(cli, fake_env, notebook("hang", "echo never"), out, "--execution-timeout", "1")
    assert proc.returncode == 3, proc.stderr
    assert "cell 0 did not finish within 1 s" in proc.stderr
    assert outputs_of(out) == ["hanging\n", ""]
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_lost_heartbeat_counts_as_death(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run(cli, fake_env, notebook("hb_hang"), out)
    ended = time.time()
    assert proc.returncode == 4, proc.stderr
    assert "heartbeat" in proc.stderr
    stopped = float(next(e for e in fake_env.events() if e.startswith("hb_stopped")).split()[1])
    assert ended - stopped < 6.0
    assert outputs_of(out) == ["hanging\n"]
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_iopub_flood_loses_nothing(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    n = 20_000
    proc = run(cli, fake_env, notebook(f"flood {n}", "echo done"), out)
    assert proc.returncode == 0, proc.stderr
    texts = outputs_of(out)
    assert texts[0] == "".join(f"line {i}\n" for i in range(n))
    assert texts[1] == "done\n"
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


@pytest.mark.parametrize("mode", ["no_iopub", "silent"])
def test_start_without_proof_times_out_with_exit_3(cli, fake_env, notebook, tmp_path, mode):
    out = tmp_path / "out.ipynb"
    fake_env.env["FAKE_KERNEL_START"] = mode
    started = time.monotonic()
    proc = run(cli, fake_env, notebook("echo never"), out, "--start-timeout", "2")
    assert time.monotonic() - started < 8
    assert proc.returncode == 3, proc.stderr
    expected = "publish on iopub" if mode == "no_iopub" else "answer kernel_info_request"
    assert f"did not {expected} within 2 s. Command: " in proc.stderr
    # The library says what would help; the CLI names its own flag for it, at the end.
    assert proc.stderr.rstrip().endswith("(--start-timeout)")
    assert outputs_of(out) == [""]
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_deadline_cuts_a_silent_kernel_start_short(cli, fake_env, notebook, tmp_path):
    """The run's deadline bounds the start too, well before --start-timeout would."""
    out = tmp_path / "out.ipynb"
    fake_env.env["FAKE_KERNEL_START"] = "silent"
    started = time.monotonic()
    proc = run(cli, fake_env, notebook("echo never"), out, "--start-timeout", "60",
               "--deadline", "1.5")
    assert time.monotonic() - started < 6
    assert proc.returncode == 3, proc.stderr
    assert ("the run did not finish within its deadline of 1.5 s; it passed while kernel "
            "'fake' was starting") in proc.stderr
    assert not proc.stderr.rstrip().endswith("(--start-timeout)")  # raising it would not help
    assert outputs_of(out) == [""]
    assert fake_env.kernel_pids()  # it was launched, and is gone
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_classic_pub_kernel_proves_iopub_by_status(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    fake_env.env["FAKE_KERNEL_START"] = "pub"
    proc = run(cli, fake_env, notebook("echo hi"), out)
    assert proc.returncode == 0, proc.stderr
    assert "iopub proven by status" in proc.stderr
    assert outputs_of(out) == ["hi\n"]


def test_launch_that_loses_the_port_race_is_retried(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    failures = tmp_path / "bind-failures"
    failures.write_text("2")
    fake_env.env["FAKE_KERNEL_BIND_FAILURES"] = str(failures)
    proc = run(cli, fake_env, notebook("echo hi"), out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("retrying with new ports") == 2
    assert fake_env.events().count("bind_failure") == 2
    assert outputs_of(out) == ["hi\n"]
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_ipc_transport(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run(cli, fake_env, notebook("echo over ipc"), out, "--transport", "ipc")
    assert proc.returncode == 0, proc.stderr
    assert outputs_of(out) == ["over ipc\n"]
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


@pytest.mark.parametrize("kernel,expected", [("fake", "SIGINT"),
                                             ("fake-msg", "control interrupt_request")])
def test_sigterm_interrupts_per_interrupt_mode(cli, fake_env, notebook, tmp_path, kernel,
                                               expected):
    out = tmp_path / "out.ipynb"
    nb = notebook("echo first", "sleep 30", kernel=kernel)
    proc = subprocess.Popen([cli, "run", str(nb), str(out)], stderr=subprocess.PIPE, text=True,
                            env=fake_env.env, cwd=tmp_path)
    stderr = ""
    while "Executing cell 1" not in stderr:
        line = proc.stderr.readline()
        assert line, stderr
        stderr += line
    time.sleep(0.3)
    proc.terminate()
    stderr += proc.stderr.read()
    assert proc.wait(timeout=10) == 143, stderr
    assert expected in fake_env.events()
    assert outputs_of(out)[0] == "first\n"
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_sigterm_during_start_stops_at_once(cli, fake_env, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    fake_env.env["FAKE_KERNEL_START"] = "silent"
    proc = subprocess.Popen([cli, "run", str(notebook("echo never")), str(out)],
                            stderr=subprocess.PIPE, text=True, env=fake_env.env, cwd=tmp_path)
    deadline = time.monotonic() + 20
    while not fake_env.kernel_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    sent = time.monotonic()
    proc.terminate()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=10) == 143, stderr
    assert time.monotonic() - sent < 3
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())


def test_32_runs_at_once_all_succeed(cli, fake_env, notebook, tmp_path):
    nb = notebook("echo parallel")
    procs = [
        subprocess.Popen([cli, "run", str(nb), str(tmp_path / f"out{i}.ipynb"),
                          "--start-timeout", "120"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env=fake_env.env, cwd=tmp_path)
        for i in range(32)
    ]
    results = [(p.wait(timeout=240), p.stderr.read()) for p in procs]
    failed = [err for code, err in results if code != 0]
    assert failed == []
    for i in range(32):
        assert outputs_of(tmp_path / f"out{i}.ipynb") == ["parallel\n"]
    assert len(fake_env.kernel_pids()) >= 32
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())
