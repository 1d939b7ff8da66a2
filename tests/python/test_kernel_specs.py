"""Kernelspec discovery seen from the CLI: listing, a missing kernel, and argv[0] "python3"
resolved to the interpreter of the environment that holds the spec."""

from __future__ import annotations

import subprocess
import sys

from fake_kernel.harness import assert_nothing_left, fake_env, install_kernelspec  # noqa: F401
from helpers import code_cells, read_valid, stream_text


def test_kernelspecs_lists_name_language_and_path(cli, fake_env):
    proc = subprocess.run([cli, "kernelspecs"], capture_output=True, text=True, env=fake_env.env)
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split()[1:] for line in proc.stdout.splitlines()[1:] if line}
    kernels = fake_env.root / "jupyter" / "kernels"
    assert rows["fake"] == ["python", str(kernels / "fake")]
    assert rows["fake-msg"] == ["python", str(kernels / "fake-msg")]


def test_missing_kernel_exits_2_naming_folders_and_kernels(cli, fake_env, write_notebook,
                                                           tmp_path):
    out = tmp_path / "out.ipynb"
    src = write_notebook(["echo x"], kernel="nope")
    proc = subprocess.run([cli, "run", str(src), str(out)], capture_output=True, text=True,
                          env=fake_env.env)
    assert proc.returncode == 2, proc.stderr
    assert "No such kernel named 'nope'" in proc.stderr
    assert str(fake_env.root / "jupyter" / "kernels") in proc.stderr
    assert "fake, fake-msg" in proc.stderr
    assert not out.exists()


def test_python3_argv0_is_the_interpreter_of_the_specs_environment(cli, fake_env,
                                                                    write_notebook, tmp_path):
    prefix = tmp_path / "env"
    (prefix / "bin").mkdir(parents=True)
    python3 = prefix / "bin" / "python3"
    # Stands for the environment's interpreter; the marker shows it was the one started.
    python3.write_text(f"#!/bin/sh\nFAKE_VIA_PREFIX=yes exec {sys.executable} \"$@\"\n")
    python3.chmod(0o755)
    install_kernelspec(prefix / "share" / "jupyter" / "kernels", "envk", argv0="python3")
    env = dict(fake_env.env, JUPYTER_PATH=str(prefix / "share" / "jupyter"))
    out = tmp_path / "out.ipynb"
    src = write_notebook(["env FAKE_VIA_PREFIX"], kernel="envk")
    proc = subprocess.run([cli, "run", str(src), str(out), "--log-level", "DEBUG"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert f"starting kernel 'envk': {python3} " in proc.stderr
    assert stream_text(code_cells(read_valid(out))[0]) == "yes\n"
    assert_nothing_left(fake_env.runtime_dir, fake_env.kernel_pids())
