"""`pip wheel .` gives a wheel that a clean virtual environment installs and runs the example
with: the native CLI and `import nbexec`, nothing else from this checkout.

The wheel is built in scripts/build.sh's CMake folder (build/python) with the same options,
so CMake finds everything built already and no C++ is compiled a second time; the test fails
if any is (CI must not build the same targets twice). Installing ipykernel into the new
environment needs PyPI.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from helpers import EXAMPLE_DIR, REPO

# Part of the normal suite (CI runs it, in about a minute); -m "not network" leaves it out.
pytestmark = pytest.mark.network

BUILD_DIR = REPO / "build" / "python"
BUILD_LOCK = "/tmp/nbexec-build.lock"  # the lock developers hold around scripts/build.sh


def _cache_value(name: str) -> str:
    text = (BUILD_DIR / "CMakeCache.txt").read_text()
    found = re.search(rf"^{name}:\w+=(.*)$", text, re.MULTILINE)
    assert found, f"{name} is not in {BUILD_DIR}/CMakeCache.txt"
    return found.group(1)


@contextlib.contextmanager
def _build_lock(timeout: float = 600):
    """Holds the developers' build lock while CMake works in the shared build folder."""
    with open(BUILD_LOCK, "a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{BUILD_LOCK} stayed locked for {timeout} s")
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that points at .venv or this checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "NBEXEC_CLI",
                        "PYTHONHOME", "JUPYTER_DATA_DIR")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not (BUILD_DIR / "CMakeCache.txt").exists():
        pytest.skip("no build/python (run scripts/build.sh first)")
    out = tmp_path_factory.mktemp("wheel")
    # scripts/build.sh's options, read back from the cache so that CMake sees no change.
    options = [f"-Ccmake.define.{name}={_cache_value(name)}"
               for name in ("NBEXEC_BUILD_TESTS", "NBEXEC_INSTALL")]
    with _build_lock():
        done = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
             ".", "-Cbuild-dir=build/python", *options, "-w", str(out)],
            cwd=REPO, capture_output=True, text=True, timeout=900,
            env={**os.environ, "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2)})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    compiled = re.findall(r"Building CXX object (\S+)", done.stdout + done.stderr)
    assert compiled == [], (
        f"the wheel build compiled {len(compiled)} objects ({compiled[:5]}...): build/python "
        "was not up to date, or its options differ from scripts/build.sh's")
    wheels = list(out.glob("nbexec-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_wheel_holds_the_package_the_stubs_and_the_cli(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("nbexec/__init__.py", "nbexec/execute.py", "nbexec/scraps.py",
                     "nbexec/remote.py", "nbexec/progress.py", "nbexec/_core.pyi",
                     "nbexec/py.typed", "nbexec/papermill_engine.py",
                     "nbexec/_papermill_engine.py", "nbexec/_papermill_manager.py"):
        assert expected in names
    # papermill finds the engine through the wheel's entry points (docs/papermill-engine.md).
    points = next(n for n in names if re.fullmatch(r"nbexec-[^/]+\.dist-info/entry_points\.txt", n))
    text = zipfile.ZipFile(wheel).read(points).decode()
    assert "[papermill.engine]\nnbexec = nbexec.papermill_engine:NBExecEngine" in text
    assert any(re.fullmatch(r"nbexec/_core\.cpython-.*\.so", n) for n in names)
    assert any(re.fullmatch(r"nbexec-[^/]+\.data/scripts/nbexec", n) for n in names)
    # The wheel is the Python component only: no C++ SDK (headers, static library, CMake files).
    assert not [n for n in names if n.endswith((".hpp", ".a", ".cmake"))]


def test_clean_venv_installs_the_wheel_and_runs_the_example(wheel, tmp_path):
    venv = tmp_path / "v"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = _clean_env(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                     PIP_DISABLE_PIP_VERSION_CHECK="1")
    done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel), "ipykernel"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-4000:]

    # README's first command, with the installed CLI.
    out = tmp_path / "cli-output.ipynb"
    done = subprocess.run(
        [str(venv / "bin" / "nbexec"), "run", str(EXAMPLE_DIR / "analysis.ipynb"), str(out),
         "-f", str(EXAMPLE_DIR / "params.yaml"), "-p", "CARRIER", "WN",
         "--cwd", str(EXAMPLE_DIR), "--log-output"],
        capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    nb = json.loads(out.read_text())
    assert nb["metadata"]["papermill"]["parameters"]["CARRIER"] == "WN"
    assert nb["metadata"]["papermill"]["exception"] is None

    # The Python API of the same install (no nbformat there: the notebook comes back a dict).
    script = f"""
import json, sys
import nbexec
assert nbexec.__file__.startswith({str(venv)!r}), nbexec.__file__
nb = nbexec.execute_notebook({str(EXAMPLE_DIR / "analysis.ipynb")!r}, "api-output.ipynb",
                             parameters={{"CARRIER": "WN", "DEVELOP_MODE": True}},
                             cwd={str(EXAMPLE_DIR)!r}, progress_bar=False)
print(json.dumps({{"type": type(nb).__name__, "parameters": nb["metadata"]["papermill"]["parameters"],
                  "kernels": [k["name"] for k in nbexec.list_kernelspecs()],
                  "inspect": sorted(nbexec.inspect_notebook({str(EXAMPLE_DIR / "analysis.ipynb")!r}))}}))
"""
    done = subprocess.run([str(venv / "bin" / "python"), "-c", script], capture_output=True,
                          text=True, timeout=180, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["type"] == "dict"
    assert report["parameters"] == {"CARRIER": "WN", "DEVELOP_MODE": True}
    assert "python3" in report["kernels"]
    assert "CARRIER" in report["inspect"]
    assert (tmp_path / "api-output.ipynb").exists()
