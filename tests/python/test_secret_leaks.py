"""Ways a secret could slip past the mask that a review found, each shut: what a kernel writes
to its file descriptors, a value used as a dict key, a value split across outputs or cells in
the stream files and logs, IPython's history file under a kernelspec not named python3, and
the kernel's last words cut inside a value. Every check greps the raw bytes of what was
written or printed."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
from pathlib import Path

from helpers import code_cells, read_valid

import nbexec

SECRET = "lk-s3cr'et\\\u00e5lue-77"
# Every encoding of SECRET, and each half of it, contains one of these.
FRAGMENTS = [b"lk-s3", b"s3cr", "lue-77".encode(), b"\\u00e5lue", b"\\xe5lue"]
PARAMS = 'token = ""\nalpha = 1\n'


def _leaks(data: bytes) -> list[bytes]:
    return [f for f in FRAGMENTS if f in data]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "MY_TOKEN": SECRET, **extra}


def test_what_the_kernel_writes_to_its_file_descriptors_stays_out_of_nbexecs_stdout(
        run_cli, write_notebook, tmp_path):
    """ipykernel echoes fd-level output (os.system, C extensions) to its own stdout; that was
    nbexec's, unmasked, and corrupted a notebook written to stdout with `-`."""
    notebook = write_notebook(
        ["import os\nos.system('echo sys:$MY_TOKEN')\n"
         "os.write(1, ('fd1:' + token + '\\n').encode())\n"
         "os.write(2, ('fd2:' + token + '\\n').encode())"], parameters_cell=PARAMS)
    proc = run_cli("run", notebook, "-", "--secret", "token=MY_TOKEN", env=_env())
    assert proc.returncode == 0, proc.stderr
    assert _leaks(proc.stdout.encode()) == [], "stdout"
    assert _leaks(proc.stderr.encode()) == [], "stderr"
    nb = json.loads(proc.stdout)  # stdout is the notebook, and nothing else
    assert nb["metadata"]["papermill"]["parameters"]["token"] == "<secret>"

    # Kernels forked from a sweep's template too.
    grid = tmp_path / "grid.yaml"
    grid.write_text("alpha: [1, 2]\n")
    proc = run_cli("sweep", notebook, "sweep-{alpha}.ipynb", "--grid", grid, "--secret",
                   "token=MY_TOKEN", env=_env())
    assert proc.returncode == 0, proc.stderr
    assert _leaks((proc.stdout + proc.stderr).encode()) == []

    # The same without secrets: the notebook on stdout is whole.
    proc = run_cli("run", notebook, "-", "-p", "token", "plain-value", env=_env())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["nbformat"] == 4


def test_a_value_used_as_a_dict_key_is_masked(run_cli, write_notebook, tmp_path):
    notebook = write_notebook(
        ["import nbexec\nfrom IPython.display import JSON, display\n"
         "display(JSON({token: 1, 'plain': 2}))\n"
         "nbexec.record('by_token', {token: alpha})"], parameters_cell=PARAMS)
    grid = tmp_path / "grid.yaml"
    grid.write_text("alpha: [1, 2]\n")
    (tmp_path / "out").mkdir()
    proc = run_cli("sweep", notebook, "out/{alpha}.ipynb", "--grid", grid, "--secret",
                   "token=MY_TOKEN", "--summary", "out/summary.jsonl", "--log-format", "json",
                   env=_env())
    assert proc.returncode == 0, proc.stderr
    written = [p for p in (tmp_path / "out").iterdir()]
    assert {p.name for p in written} >= {"1.ipynb", "2.ipynb", "summary.jsonl"}
    for path in written:
        assert _leaks(path.read_bytes()) == [], path.name
    assert _leaks((proc.stdout + proc.stderr).encode()) == []
    assert nbexec.read_scraps(str(tmp_path / "out" / "2.ipynb"))["by_token"] == {"********": 2}
    shown = code_cells(read_valid(tmp_path / "out" / "1.ipynb"))[-1].outputs[0]
    assert shown.data["application/json"] == {"********": 1, "plain": 2}


SPLIT_CELLS = [
    "import sys, time\nfrom IPython.display import display\n"
    "def piece(text, stream=sys.stdout):\n"
    "    stream.write(text); stream.flush(); time.sleep(0.3)\n"
    # Split around a display, around the other stream's text, and across two cells.
    "piece(token[:5]); display(1); piece(token[5:] + '\\n')\n"
    "piece(token[:5]); piece('e\\n', sys.stderr); piece(token[5:] + '\\n')\n"
    "piece(token[:5])",
    "piece(token[5:] + '\\n')",
]


def test_stream_files_and_logs_mask_a_value_split_across_outputs_and_cells(
        run_cli, write_notebook, tmp_path):
    """In the notebook each piece is an output of its own; in a stream file or the log the
    pieces follow each other, so the run holds a stream's tail until its next text."""
    notebook = write_notebook(SPLIT_CELLS, parameters_cell=PARAMS)
    out, stdout_file = tmp_path / "out.ipynb", tmp_path / "out.txt"
    proc = run_cli("run", notebook, out, "--secret", "token=MY_TOKEN", "--stdout-file",
                   stdout_file, "--log-output", "--log-format", "json", env=_env())
    assert proc.returncode == 0, proc.stderr
    assert stdout_file.read_text() == "********\n" * 3
    events = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    stdout_events = "".join(e.get("text", "") for e in events
                            if e.get("event") == "cell_output" and e.get("name") == "stdout")
    assert stdout_events == "********\n" * 3
    assert _leaks(proc.stderr.encode()) == []
    # The notebook keeps the pieces where they were printed (a display between them).
    outputs = [o for c in code_cells(read_valid(out))[-2:] for o in c.outputs]
    assert [o.output_type for o in outputs][:3] == ["stream", "display_data", "stream"]

    # Python's stdout_file= and log_output too.
    stdout = io.StringIO()
    nbexec.execute_notebook(notebook, tmp_path / "py.ipynb", secrets={"token": SECRET},
                            stdout_file=stdout, progress_bar=False)
    assert stdout.getvalue() == "********\n" * 3


def test_an_ipykernel_under_another_name_keeps_no_history_file(run_cli, write_notebook,
                                                                  tmp_path):
    """nbclient gives only kernels named python/python2/python3 an in-memory history; one
    installed as `myenv` would write the injected cell, value and all, to history.sqlite."""
    spec = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "python3"
    jupyter_path = tmp_path / "jupyter"
    shutil.copytree(spec, jupyter_path / "kernels" / "myenv")
    kernel_json = jupyter_path / "kernels" / "myenv" / "kernel.json"
    kernel = json.loads(kernel_json.read_text())
    kernel["argv"][0] = sys.executable  # "python" is the venv's only for the venv's own spec
    kernel_json.write_text(json.dumps(kernel))
    ipython_dir = tmp_path / "ipython"
    notebook = write_notebook(["print(len(token))"], parameters_cell=PARAMS)
    proc = run_cli("run", notebook, tmp_path / "out.ipynb", "-k", "myenv", "--secret",
                   "token=MY_TOKEN",
                   env=_env(JUPYTER_PATH=str(jupyter_path), IPYTHONDIR=str(ipython_dir)))
    assert proc.returncode == 0, proc.stderr
    assert "Kernel myenv started" in proc.stderr
    files = [p for p in ipython_dir.rglob("*") if p.is_file()] if ipython_dir.exists() else []
    assert not any(p.name == "history.sqlite" for p in files)
    for path in files:
        assert _leaks(path.read_bytes()) == [], path


def test_the_kernels_last_words_are_cut_after_they_are_masked(run_cli, write_notebook,
                                                              tmp_path):
    """The kernel's stderr is quoted when it dies, cut to its last 2000 bytes: a cut inside
    the value used to leave the value's end unmasked."""
    notebook = write_notebook(
        ["import os\nos.write(2, (token + 'A' * 1991).encode())\nos._exit(3)"],
        parameters_cell=PARAMS)
    proc = run_cli("run", notebook, tmp_path / "out.ipynb", "--secret", "token=MY_TOKEN",
                   "--log-format", "json", env=_env())
    assert proc.returncode == 4, proc.stderr  # the kernel died
    assert "kernel stderr ends with" in proc.stderr
    assert _leaks(proc.stderr.encode()) == []
    assert _leaks((tmp_path / "out.ipynb").read_bytes()) == []
