"""Transport and encryption (issue 20, docs/security.md "Transport"), against real ipykernel 7.4
kernels: ipc by default in a private 0700 folder that every way a run ends removes, tcp on
request, the fallback to tcp for a kernel that cannot use ipc (the fake kernel), CurveZMQ by
policy (off/auto/required) as jupyter_client 8.10 decides it, and a loopback capture showing
that an encrypted tcp run carries no cell text while a plain one does.

The cells look at their own kernel: ipykernel's app knows its connection file, which says the
transport and holds the curve keys when the wire is encrypted."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from fake_kernel.harness import FAKE_KERNEL, assert_nothing_left, started_pid
from helpers import code_cells, read_valid, stream_text

import nbexec

# Prints what the kernel's connection file and folder look like, as one JSON line.
INTROSPECT = """\
import json, os
from ipykernel.kernelapp import IPKernelApp
_cf = IPKernelApp.instance().abs_connection_file
_info = json.load(open(_cf))
_folder = os.path.dirname(_cf)
print(json.dumps({"transport": _info["transport"], "ip": _info["ip"],
                  "curve": "curve_secretkey" in _info, "folder": _folder,
                  "folder_mode": oct(os.stat(_folder).st_mode & 0o777),
                  "file_mode": oct(os.stat(_cf).st_mode & 0o777),
                  "entries": sorted(os.listdir(_folder))}))
"""


def python_kernelspec(kernels: Path, name: str, declares_curve: bool) -> None:
    """A copy of the venv's ipykernel kernelspec, with or without the curve declaration."""
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": name,
        "language": "python",
        "metadata": {"supported_encryption": ["curve"]} if declares_curve else {},
    }
    (kernels / name).mkdir(parents=True)
    (kernels / name / "kernel.json").write_text(json.dumps(spec))


@pytest.fixture
def env(tmp_path):
    """JUPYTER_PATH with "curvy" (declares curve), "plain" (does not) and "tcp-only" (the fake
    kernel, which refuses ipc), and a runtime dir of this test's own."""
    kernels = tmp_path / "jupyter" / "kernels"
    python_kernelspec(kernels, "curvy", True)
    python_kernelspec(kernels, "plain", False)
    (kernels / "tcp-only").mkdir(parents=True)
    (kernels / "tcp-only" / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, str(FAKE_KERNEL), "-f", "{connection_file}"],
        "display_name": "tcp only", "language": "python",
        "env": {"FAKE_KERNEL_NO_IPC": "1", "FAKE_KERNEL_RECORD": str(tmp_path / "record.txt")},
    }))
    runtime = tmp_path / "runtime"
    environ = dict(os.environ, JUPYTER_PATH=str(tmp_path / "jupyter"),
                   JUPYTER_RUNTIME_DIR=str(runtime))
    return {"env": environ, "runtime": runtime, "root": tmp_path}


def run(cli, env, nb, out, *args, timeout=60, log_level="DEBUG"):
    return subprocess.run([cli, "run", str(nb), str(out), "--log-level", log_level, *args],
                          capture_output=True, text=True, timeout=timeout, env=env["env"],
                          cwd=env["root"])


def introspected(out) -> dict:
    return json.loads(stream_text(code_cells(read_valid(out))[0]))


def test_ipc_is_the_default_in_a_private_folder_removed_afterwards(cli, write_notebook, tmp_path,
                                                                   env):
    # The venv's own python3 kernelspec (ipykernel 7.4), which declares curve: the default
    # policy "auto" encrypts it.
    nb = write_notebook([INTROSPECT])
    out = tmp_path / "out.ipynb"
    proc = run(cli, env, nb, out)
    assert proc.returncode == 0, proc.stderr
    seen = introspected(out)
    assert seen["transport"] == "ipc"
    assert seen["curve"] is True
    assert "kernel wire: ipc with CurveZMQ" in proc.stderr
    folder = Path(seen["folder"])
    assert folder.parent == env["runtime"]
    assert seen["folder_mode"] == "0o700"
    assert seen["file_mode"] == "0o600"
    assert seen["ip"] == str(folder / "ipc")
    # The five sockets and the connection file, nothing else.
    assert [e for e in seen["entries"] if not e.endswith(".json")] == [
        f"ipc-{n}" for n in range(1, 6)]
    assert not folder.exists()
    assert_nothing_left(env["runtime"], [started_pid(proc.stderr)])


@pytest.mark.parametrize("ending", ["sigterm", "kernel_death"])
def test_no_socket_file_survives_a_signal_or_a_kernel_death(cli, write_notebook, tmp_path, env,
                                                            ending):
    out = tmp_path / "out.ipynb"
    if ending == "sigterm":
        nb = write_notebook([INTROSPECT, "import time; time.sleep(60)"])
        proc = subprocess.Popen([cli, "run", str(nb), str(out)], stderr=subprocess.PIPE,
                                text=True, env=env["env"], cwd=tmp_path)
        stderr = ""
        while "Executing cell 1" not in stderr:
            line = proc.stderr.readline()
            assert line, stderr
            stderr += line
        # The sockets exist while the kernel runs.
        folders = list(env["runtime"].iterdir())
        assert len(folders) == 1 and (folders[0] / "ipc-1").exists()
        proc.terminate()
        stderr += proc.stderr.read()
        assert proc.wait(timeout=20) == 128 + signal.SIGTERM, stderr
    else:
        # SIGKILL: the kernel cannot remove its own socket files; nbexec must.
        nb = write_notebook([INTROSPECT, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
        done = run(cli, env, nb, out)
        assert done.returncode == 4, done.stderr
        stderr = done.stderr
    assert introspected(out)["transport"] == "ipc"
    assert_nothing_left(env["runtime"], [started_pid(stderr)])


def test_transport_tcp_on_request(cli, write_notebook, tmp_path, env):
    nb = write_notebook([INTROSPECT], kernel="plain")
    out = tmp_path / "out.ipynb"
    proc = run(cli, env, nb, out, "--transport", "tcp")
    assert proc.returncode == 0, proc.stderr
    seen = introspected(out)
    assert seen["transport"] == "tcp"
    assert seen["ip"] == "127.0.0.1"
    assert seen["curve"] is False  # "plain" does not declare curve: auto leaves it off
    assert seen["folder_mode"] == "0o700"  # the connection file is in a private folder too
    assert_nothing_left(env["runtime"], [started_pid(proc.stderr)])


def test_a_kernel_that_cannot_use_ipc_falls_back_to_tcp_with_a_warning(cli, write_notebook,
                                                                       tmp_path, env):
    nb = write_notebook(["echo over tcp"], kernel="tcp-only")
    out = tmp_path / "out.ipynb"
    proc = run(cli, env, nb, out, log_level="WARNING")  # a warning, not a debug line
    assert proc.returncode == 0, proc.stderr
    assert "could not start with the ipc transport; falling back to tcp" in proc.stderr
    assert "the ipc transport is not supported" in proc.stderr  # why, quoted
    assert stream_text(code_cells(read_valid(out))[0]) == "over tcp\n"
    record = (env["root"] / "record.txt").read_text().splitlines()
    assert record.count("no_ipc") == 1
    pids = [int(line.split()[1]) for line in record if line.startswith("pid ")]
    assert_nothing_left(env["runtime"], pids)

    # An explicit --transport ipc does not fall back.
    strict = run(cli, env, nb, tmp_path / "strict.ipynb", "--transport", "ipc")
    assert strict.returncode == 4, strict.stderr
    assert "falling back" not in strict.stderr
    assert "the ipc transport is not supported" in strict.stderr
    assert_nothing_left(env["runtime"])


def test_required_encryption_runs_a_declaring_kernel_and_refuses_another(cli, write_notebook,
                                                                         tmp_path, env):
    out = tmp_path / "out.ipynb"
    proc = run(cli, env, write_notebook([INTROSPECT], kernel="curvy"), out,
               "--encryption", "required")
    assert proc.returncode == 0, proc.stderr
    assert introspected(out)["curve"] is True
    assert_nothing_left(env["runtime"], [started_pid(proc.stderr)])

    refused = run(cli, env, write_notebook([INTROSPECT], kernel="plain", name="plain.ipynb"),
                  tmp_path / "refused.ipynb", "--encryption", "required")
    assert refused.returncode == 4, refused.stderr
    error = refused.stderr.strip().splitlines()[-1]
    assert "kernel 'plain' does not declare CurveZMQ support" in error
    assert str(env["root"] / "jupyter" / "kernels" / "plain" / "kernel.json") in error
    assert '"supported_encryption": ["curve"]' in error
    assert "--encryption auto or off" in error
    assert "started (pid" not in refused.stderr  # refused before any kernel ran
    assert_nothing_left(env["runtime"])


def test_auto_leaves_a_kernel_without_the_declaration_plain(cli, write_notebook, tmp_path, env):
    out = tmp_path / "out.ipynb"
    proc = run(cli, env, write_notebook([INTROSPECT], kernel="plain"), out)
    assert proc.returncode == 0, proc.stderr
    seen = introspected(out)
    assert (seen["transport"], seen["curve"]) == ("ipc", False)
    assert "kernel wire: ipc without encryption" in proc.stderr


def test_python_keywords_reach_the_kernel_and_forked_kernels_honour_curve(tmp_path, env,
                                                                          monkeypatch,
                                                                          write_notebook):
    monkeypatch.setenv("JUPYTER_PATH", env["env"]["JUPYTER_PATH"])
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(env["runtime"]))
    nb = write_notebook([INTROSPECT], kernel="curvy")
    with pytest.raises(ValueError, match="transport must be one of"):
        nbexec.execute_notebook(str(nb), None, transport="udp")
    with pytest.raises(ValueError, match="encryption must be one of"):
        nbexec.execute_notebook(str(nb), None, encryption="maybe")

    done = nbexec.execute_notebook(str(nb), None, transport="tcp", encryption="off",
                                   progress_bar=False)
    seen = json.loads(stream_text(code_cells(done)[0]))
    assert (seen["transport"], seen["curve"]) == ("tcp", False)

    # A pool forks its ipykernel kernels from a template: they read the keys from their
    # connection file like any other.
    with nbexec.KernelPool("curvy", size=1, encryption="required") as pool:
        forked = pool.execute_notebook(str(nb), None, progress_bar=False)
        seen = json.loads(stream_text(code_cells(forked)[0]))
        assert (seen["transport"], seen["curve"]) == ("ipc", True)
        assert pool.stats()["forked"] == 1
        with pytest.raises(nbexec.KernelError, match=r"kernel 'plain'.*encryption=\"auto\""):
            pool.execute_notebook(str(nb), None, kernel_name="plain", progress_bar=False)
    assert_nothing_left(env["runtime"])


def _start_capture(pcap: Path) -> subprocess.Popen:
    tcpdump = shutil.which("tcpdump") or ("/usr/bin/tcpdump" if Path("/usr/bin/tcpdump").exists()
                                          else None)
    if tcpdump is None:
        pytest.skip("tcpdump is not installed (scripts/install-deps.sh installs it)")
    # --immediate-mode: without it packets can wait in the kernel's capture buffer and be lost
    # when tcpdump stops.
    proc = subprocess.Popen([tcpdump, "-i", "lo", "--immediate-mode", "-U", "-s", "0", "-w",
                             str(pcap), "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    if "listening on" not in line:
        proc.kill()
        proc.wait()
        pytest.skip(f"tcpdump cannot capture on lo: {line.strip() or proc.stderr.read()}")
    return proc


def _tcp_payload(pcap: bytes, ports: set[int]) -> bytes:
    """The TCP payload bytes of the captured packets from or to `ports`, in capture order (the
    machine is shared: other processes' traffic on lo is left out)."""
    import struct

    order = "<" if pcap[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    link = struct.unpack(order + "I", pcap[20:24])[0]
    link_header = {1: 14, 113: 16, 276: 20}.get(link)
    assert link_header is not None, f"unexpected link type {link}"
    out, offset = [], 24
    while offset + 16 <= len(pcap):
        length = struct.unpack(order + "I", pcap[offset + 8:offset + 12])[0]
        packet = pcap[offset + 16:offset + 16 + length]
        offset += 16 + length
        ip = packet[link_header:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        tcp = ip[(ip[0] & 0x0F) * 4:]
        if len(tcp) < 20:
            continue
        source, destination = struct.unpack(">HH", tcp[:4])
        if source in ports or destination in ports:
            out.append(tcp[(tcp[12] >> 4) * 4:])
    return b"".join(out)


def _captured(cli, env, nb, out, tmp_path, name, *args) -> bytes:
    """Runs nb over tcp under a capture of lo; returns the payload of the kernel's ports."""
    pcap = tmp_path / f"{name}.pcap"
    capture = _start_capture(pcap)
    try:
        proc = run(cli, env, nb, out, "--transport", "tcp", *args)
    finally:
        time.sleep(0.3)  # the last packets reach the file (-U writes each as it comes)
        capture.send_signal(signal.SIGINT)
        capture.wait(timeout=10)
    assert proc.returncode == 0, proc.stderr
    found = re.search(r"kernel wire: tcp .* ports (\d+(?:,\d+)*)", proc.stderr)
    assert found, proc.stderr
    return _tcp_payload(pcap.read_bytes(), {int(p) for p in found.group(1).split(",")})


def test_loopback_capture_of_an_encrypted_tcp_run_holds_no_cell_text(cli, write_notebook,
                                                                     tmp_path, env):
    marker = "nbexec-marker-" + uuid.uuid4().hex
    nb = write_notebook([f"print({marker!r})"], kernel="curvy")
    plain = _captured(cli, env, nb, tmp_path / "plain.ipynb", tmp_path, "plain",
                      "--encryption", "off")
    if marker.encode() not in plain:
        pytest.skip("the capture did not see the plain run's traffic on lo")
    assert b"execute_request" in plain and b"NULL" in plain  # ZMTP's plain mechanism
    encrypted = _captured(cli, env, nb, tmp_path / "encrypted.ipynb", tmp_path, "encrypted",
                          "--encryption", "required")
    assert stream_text(code_cells(read_valid(tmp_path / "encrypted.ipynb"))[0]) == marker + "\n"
    # The kernel's traffic was captured (the ZMTP greetings name the CURVE mechanism, and a
    # run's worth of bytes went by)...
    assert b"CURVE" in encrypted
    assert len(encrypted) > 5000
    # ...and neither the cell's source nor its output is in it, nor any message JSON.
    assert marker.encode() not in encrypted
    assert b"execute_request" not in encrypted
    assert b'"msg_type"' not in encrypted


def test_secrets_go_only_over_a_private_wire(cli, write_notebook, tmp_path, env):
    """ipc or CurveZMQ: the secret is sent; tcp in clear: refused (before anything is written
    when asked for, once the kernel has started when "auto" gave a plain kernel tcp)."""
    secret = "s3cret-value-for-the-wire"
    nb = {name: write_notebook(["print(len(token))"], kernel=name, name=f"{name}.ipynb",
                               parameters_cell='token = ""\n') for name in ("curvy", "plain")}
    out = tmp_path / "out.ipynb"
    proc = run(cli, env, nb["curvy"], out, "-s", "token", secret, "--transport", "tcp",
               log_level="INFO")
    assert proc.returncode == 0, proc.stderr  # tcp, but CurveZMQ: private
    assert secret.encode() not in out.read_bytes()
    assert f"{len(secret)}\n" in code_cells(read_valid(out))[-1].outputs[0].text
    out.unlink()
    proc = run(cli, env, nb["plain"], out, "-s", "token", secret, "--transport", "tcp",
               log_level="INFO")
    assert proc.returncode == 2 and "in clear" in proc.stderr, proc.stderr
    assert not out.exists() or secret.encode() not in out.read_bytes()
    proc = run(cli, env, nb["curvy"], out, "-s", "token", secret, "--transport", "tcp",
               "--encryption", "off", log_level="INFO")
    assert proc.returncode == 2 and "in clear" in proc.stderr, proc.stderr
    assert not out.exists() or secret.encode() not in out.read_bytes()
    proc = run(cli, env, nb["plain"], tmp_path / "ipc.ipynb", "-s", "token", secret,
               log_level="INFO")
    assert proc.returncode == 0, proc.stderr  # the default: ipc
