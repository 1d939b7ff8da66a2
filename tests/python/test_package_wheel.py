"""`pip wheel .` gives a wheel that a clean virtual environment installs and runs the example
with: the native CLI and `import nbexec`, nothing else from this checkout.

The wheel is conftest.py's session fixture `wheel`, built once per pytest run in
scripts/build.sh's CMake folder (build/python) with the same options, so no C++ is compiled a
second time (the fixture fails if any is). Installing ipykernel into the new environment needs
PyPI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile

import pytest
from helpers import EXAMPLE_DIR, clean_env

# Part of the normal suite (CI runs it, in about a minute); -m "not network" leaves it out.
pytestmark = pytest.mark.network


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
    # pytest finds the notebook-test plugin the same way (docs/testing.md).
    assert "[pytest11]\nnbexec = nbexec.pytest_plugin" in text
    assert "nbexec/pytest_plugin.py" in names and "nbexec/_pytest_runs.py" in names
    assert any(re.fullmatch(r"nbexec/_core\.cpython-.*\.so", n) for n in names)
    assert any(re.fullmatch(r"nbexec-[^/]+\.data/scripts/nbexec", n) for n in names)
    # The wheel is the Python component only: no C++ SDK (headers, static library, CMake files).
    assert not [n for n in names if n.endswith((".hpp", ".a", ".cmake"))]


def test_clean_venv_installs_the_wheel_and_runs_the_example(wheel, tmp_path):
    venv = tmp_path / "v"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = clean_env(PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
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
