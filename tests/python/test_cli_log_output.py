"""What `nbexec run` shows while it runs: --log-output's routing, --stdout-file/--stderr-file
(against papermill itself), the progress bar on a terminal, and the seed article's
run_notebook.sh with papermill replaced by nbexec."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from helpers import code_cells, make_notebook, read_valid, stream_text

PAPERMILL = Path(sys.executable).parent / "papermill"


def write(nb, path):
    nbformat.write(nb, str(path))
    return path


def mixed_notebook(tmp_path, name="in.ipynb"):
    """Stream text on both channels, a rich result, a markdown cell and an allowed error."""
    nb = make_notebook([
        "import sys\nprint('out1')\nprint('err1', file=sys.stderr)\nprint('out2')",
        "6 * 7",
        "raise ValueError('boom')",
    ])
    nb.cells.insert(1, new_markdown_cell("# between"))
    return write(nb, tmp_path / name)


def test_log_output_routes_stdout_text_to_stdout_and_frames_cells_on_stderr(run_cli, tmp_path):
    src = mixed_notebook(tmp_path)
    proc = run_cli("run", src, tmp_path / "out.ipynb", "--log-output", "--allow-errors")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "out1\nout2\n42\n"
    lines = proc.stderr.splitlines()
    framed = [line for line in lines if not line.startswith("nbexec: ")]
    # Cell numbers are 1-based positions in the notebook, the markdown cell included.
    assert framed == [
        "Executing Cell 1" + "-" * 39,
        "err1",
        "Ending Cell 1" + "-" * 42,
        "Executing Cell 3" + "-" * 39,
        "Ending Cell 3" + "-" * 42,
        "Executing Cell 4" + "-" * 39,
        "ValueError: boom",
        "Ending Cell 4" + "-" * 42,
    ]
    # The separators replace the per-cell log line; the other log lines stay.
    assert "nbexec: Input Notebook:  " + str(src) in lines
    assert not [line for line in lines if line.startswith("nbexec: Executing cell")]


def test_log_output_with_notebook_on_stdout_keeps_stdout_for_the_notebook(run_cli, tmp_path):
    src = mixed_notebook(tmp_path)
    proc = run_cli("run", src, "-", "--log-output", "--allow-errors")
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.reads(proc.stdout, as_version=4)
    nbformat.validate(nb)
    assert stream_text(code_cells(nb)[0]) == "out1\nout2\n"
    for text in ["out1\n", "err1\n", "out2\n", "42\n", "ValueError: boom\n", "Executing Cell 1"]:
        assert text in proc.stderr


def test_log_output_is_live(cli, write_notebook, tmp_path):
    """Each output is flushed as it arrives, long before its cell ends."""
    src = write_notebook(
        ["import time\nprint('first', flush=True)\ntime.sleep(2.5)\nprint('last')"])
    proc = subprocess.Popen([cli, "run", src, tmp_path / "out.ipynb", "--log-output"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "no output within 30 s"
        assert proc.stdout.readline() == "first\n"
        assert proc.poll() is None, "the line came only when the run ended"
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert rest == "last\n"


def test_stdout_and_stderr_files_hold_what_papermill_writes(cli, tmp_path):
    nb = make_notebook([
        "import sys\nprint('a')\nprint('b', end='')\nprint('c', file=sys.stderr)",
        "sys.stdout.write('no newline'); sys.stdout.flush(); sys.stderr.write('é ü ✓\\n')",
        "for i in range(3):\n    print(i, flush=True)\n    print(-i, file=sys.stderr, flush=True)",
        "'a rich result is not stream text'",
        "from IPython.display import display, HTML\ndisplay(HTML('<b>x</b>'))\nprint('end')",
    ])
    src = write(nb, tmp_path / "in.ipynb")
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
    ours = subprocess.Popen(
        [cli, "run", src, tmp_path / "ours.ipynb", "--stdout-file", tmp_path / "ours.out",
         "--stderr-file", tmp_path / "ours.err"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=env)
    theirs = subprocess.Popen(
        [str(PAPERMILL), src, tmp_path / "theirs.ipynb", "--stdout-file",
         tmp_path / "theirs.out", "--stderr-file", tmp_path / "theirs.err",
         "--no-progress-bar"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env)
    _, our_err = ours.communicate(timeout=120)
    _, their_err = theirs.communicate(timeout=120)
    assert ours.returncode == 0, our_err
    assert theirs.returncode == 0, their_err
    for suffix in ["out", "err"]:
        expected = (tmp_path / f"theirs.{suffix}").read_bytes()
        assert (tmp_path / f"ours.{suffix}").read_bytes() == expected, suffix
    assert (tmp_path / "ours.out").read_text() == "a\nbno newline0\n1\n2\nend\n"
    assert (tmp_path / "ours.err").read_text() == "c\né ü ✓\n0\n-1\n-2\n"


def test_stdout_file_errors_are_usage_errors(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print(1)"])
    proc = run_cli("run", src, "-", "--stdout-file", "-")
    assert proc.returncode == 2
    assert "standard output" in proc.stderr and proc.stdout == ""
    proc = run_cli("run", src, tmp_path / "out.ipynb", "--stderr-file",
                   tmp_path / "no-such-dir" / "err.txt")
    assert proc.returncode == 2
    assert "--stderr-file" in proc.stderr and "no-such-dir" in proc.stderr
    assert not (tmp_path / "out.ipynb").exists()


def start_on_terminal(cli, args, cwd):
    """Starts nbexec with stderr on a pseudo-terminal; returns (process, pty master)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([cli, *map(str, args)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave, cwd=cwd)
    os.close(slave)
    return proc, master


def finish_on_terminal(proc, master, timeout=60):
    """Everything the process wrote to the terminal, and its exit code."""
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the slave side closed: the process is gone
                break
            if not chunk:
                break
            data += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    proc.stdout.read()
    return proc.wait(timeout=10), data.decode()


def test_progress_bar_on_a_terminal_only(cli, tmp_path):
    nb = make_notebook(["import time; time.sleep(1.5)",
                        "# papermill_description=compute\ntime.sleep(0.2)",
                        "print('done')"])
    src = write(nb, tmp_path / "in.ipynb")
    runs = {
        # The first cell passes its deadline: the warning is printed above the bar.
        "bar": start_on_terminal(cli, ["run", src, "bar.ipynb", "--execution-timeout", "1",
                                       "--interrupt-on-timeout"], tmp_path),
        "no_bar": start_on_terminal(cli, ["run", src, "no.ipynb", "--no-progress-bar"],
                                    tmp_path),
        "json": start_on_terminal(cli, ["run", src, "json.ipynb", "--log-format", "json"],
                                  tmp_path),
    }
    # Not a terminal: --progress-bar forces nothing.
    piped = subprocess.run([cli, "run", src, "piped.ipynb", "--progress-bar"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=60)
    results = {name: finish_on_terminal(*run) for name, run in runs.items()}

    code, screen = results["bar"]
    assert code == 3, screen
    assert "\r\x1b[K[" in screen  # redrawn in place
    assert "Starting kernel" in screen
    assert "0/3 cells" in screen and "Executing cell 0" in screen
    assert "Executing cell 1 (compute)" in screen
    # Log lines and warnings are written above the bar, each on a line of its own.
    assert "\r\x1b[Knbexec: Kernel python3 started" in screen
    assert "\r\x1b[Knbexec: cell 0 passed its 1 s deadline" in screen
    assert "nbexec: Executing cell" not in screen  # the bar says it
    # Left at the end as a summary line, then the run's last words below it.
    last = screen.split("\r\x1b[K")[-1].splitlines()
    assert last[0].startswith("[####################]  3/3 cells  00:0")
    assert last[0].endswith("  Timed out at cell 0")
    assert last[1].startswith("nbexec: error: 1 cell(s) passed --execution-timeout")
    assert stream_text(code_cells(read_valid(tmp_path / "bar.ipynb"))[2]) == "done\n"

    for name in ["no_bar", "json"]:
        code, screen = results[name]
        assert code == 0, screen
        assert "\r" not in screen.replace("\r\n", "\n"), name
    assert "nbexec: Executing cell 0" in results["no_bar"][1]
    assert piped.returncode == 0, piped.stderr
    assert "\r" not in piped.stderr and "nbexec: Executing cell 2" in piped.stderr


def test_seed_run_notebook_sh_with_nbexec_instead_of_papermill(cli, tmp_path):
    """The article's entry point: copy in, `nbexec run ... -f params.yaml --log-output`,
    copy out (gsutil cp replaced by cp)."""
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    nb = make_notebook(
        ["print(f'Training in {PROJECT}, writing to gs://{BUCKET}/flights/')",
         "num_steps = 10 if DEVELOP_MODE else (1000000 // 64)\nprint('num_steps', num_steps)",
         "{'develop': DEVELOP_MODE}"],
        parameters_cell="BUCKET = 'cloud-training-demos-ml'\nPROJECT = 'cloud-training-demos'\n"
                        "DEVELOP_MODE = True")
    write(nb, bucket / "flights_model.ipynb")
    (bucket / "params.yaml").write_text(
        "---\nBUCKET: my-bucket\nPROJECT: my-project\nDEVELOP_MODE: False\n")
    script = tmp_path / "run_notebook.sh"
    script.write_text(
        "cp $IN_NB_GCS  input.ipynb\n"
        "cp $PARAMS_GCS params.yaml\n"
        "nbexec run input.ipynb output.ipynb -f params.yaml --log-output\n"
        "cp output.ipynb $OUT_NB_GCS\n")
    pod = tmp_path / "pod"
    pod.mkdir()
    env = dict(os.environ,
               PATH=str(Path(cli).resolve().parent) + os.pathsep + os.environ["PATH"],
               IN_NB_GCS=str(bucket / "flights_model.ipynb"),
               PARAMS_GCS=str(bucket / "params.yaml"),
               OUT_NB_GCS=str(bucket / "flights_model_output.ipynb"))
    proc = subprocess.run(["bash", str(script)], cwd=pod, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ("Training in my-project, writing to gs://my-bucket/flights/\n"
                           "num_steps 15625\n{'develop': False}\n")
    assert "Executing Cell 3" + "-" * 39 in proc.stderr
    out = read_valid(bucket / "flights_model_output.ipynb")
    assert out.cells[1].metadata.tags == ["injected-parameters"]
    assert out.metadata.papermill.parameters == {
        "BUCKET": "my-bucket", "PROJECT": "my-project", "DEVELOP_MODE": False}
    cells = code_cells(out)
    assert stream_text(cells[3]) == "num_steps 15625\n"
    assert all(c.metadata.papermill.status == "completed" for c in cells)
