"""Every option of papermill's command line is an option of `nbexec run`, with the same meaning,
and `nbexec run --help` teaches how to use it."""

from __future__ import annotations

import json
import subprocess

import pytest

from helpers import code_cells, read_valid, stream_text

click = pytest.importorskip("click")
papermill_cli = pytest.importorskip("papermill.cli")

PAPERMILL_OPTIONS = [p for p in papermill_cli.papermill.params if isinstance(p, click.Option)]
PAPERMILL_NAMES = sorted({name for p in PAPERMILL_OPTIONS for name in p.opts + p.secondary_opts})


def valid_arguments(name, tmp_path):
    """A use of option `name` with a valid value, for a run with --prepare-only."""
    values = {
        "-p": ["n", "2"], "--parameters": ["n", "2"],
        "-r": ["s", "b"], "--parameters_raw": ["s", "b"],
        "-y": ["n: 2"], "--parameters_yaml": ["n: 2"],
        "-b": ["bjogMg=="], "--parameters_base64": ["bjogMg=="],  # "n: 2"
        "-k": ["python3"], "--kernel": ["python3"],
        "-l": ["python"], "--language": ["python"],
        "--cwd": [tmp_path],
        "--engine": ["nbclient"],
        "--autosave-cell-every": ["10"],
        "--stdout-file": [tmp_path / "stdout.txt"], "--stderr-file": [tmp_path / "stderr.txt"],
        "--log-level": ["DEBUG"],
        "--start-timeout": ["30"], "--start_timeout": ["30"],
        "--execution-timeout": ["30"],
    }
    if name in ("-f", "--parameters_file"):
        (tmp_path / "p.yaml").write_text("n: 2\n")
        return [name, tmp_path / "p.yaml"]
    return [name, *values.get(name, [])]


def test_papermill_is_what_we_compare_with():
    # A papermill release that renames its options must not pass this file silently.
    assert len(PAPERMILL_NAMES) > 30
    for name in ["--parameters", "--log-output", "--stdout-file", "--engine", "--version",
                 "--request-save-on-cell-execute", "--no-request-save-on-cell-execute"]:
        assert name in PAPERMILL_NAMES


@pytest.fixture(scope="module")
def run_help(cli):
    proc = subprocess.run([cli, "run", "--help"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0
    return proc.stdout


@pytest.mark.parametrize("name", PAPERMILL_NAMES)
def test_every_papermill_option_is_accepted(run_cli, write_notebook, tmp_path, run_help, name):
    # Options are listed as "-p,--parameters"; a negation as "--a,--no-a".
    assert any(name in line.replace(",", " ").replace("{", " ").split()
               for line in run_help.splitlines()), name
    src = write_notebook(["pass"], parameters_cell="n = 1\ns = 'a'")
    out = tmp_path / "out.ipynb"
    args = valid_arguments(name, tmp_path)
    if name == "--version":
        proc = run_cli("run", src, out, *args)
        assert proc.returncode == 0 and proc.stdout.startswith("nbexec "), proc.stderr
        return
    if name == "--help-notebook":
        proc = run_cli("run", src, *args)
        assert proc.returncode == 0, proc.stderr
        assert "n: Unknown type (default 1)" in proc.stdout  # papermill's words
        return
    # Running the notebook is not what is checked here (the run's behaviour is tested in the
    # other files): --prepare-only keeps each check fast. --prepare-execute undoes it, so it
    # comes first and --prepare-only then wins, as with click's last-flag-wins.
    proc = run_cli("run", src, out, *args, "--prepare-only")
    assert proc.returncode == 0, (name, proc.stderr)
    assert read_valid(out).cells[0].source == "n = 1\ns = 'a'"


def test_prepare_execute_runs_the_notebook(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print('ran')"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "--prepare-only", "--prepare-execute")
    assert proc.returncode == 0, proc.stderr
    assert stream_text(code_cells(read_valid(out))[0]) == "ran\n"


@pytest.mark.parametrize("args, message", [
    (["--engine", "dagster"], "engine 'dagster' is not available"),
    (["--autosave-cell-every", "-1"], "--autosave-cell-every"),
    (["--autosave-cell-every", "1.5"], "--autosave-cell-every"),  # click's type=int
    (["--log-level", "LOUD"], "--log-level"),
    (["--log-format", "xml"], "--log-format"),
    (["--interrupt-on-timeout"], "--execution-timeout"),
])
def test_bad_option_values_are_usage_errors(run_cli, write_notebook, tmp_path, args, message):
    src = write_notebook(["pass"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert not out.exists()


def test_papermills_command_form_takes_the_version_option(run_cli):
    import nbexec

    proc = run_cli("in.ipynb", "out.ipynb", "--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"nbexec {nbexec.__version__}"


def test_help_teaches_examples_exit_codes_and_routing(run_help):
    assert "Examples:" in run_help
    assert "nbexec in.ipynb out.ipynb -f params.yaml --log-output" in run_help
    assert "--log-format json" in run_help
    for code in ["0 ", "1 ", "2 ", "3 ", "4 ", "128+N"]:
        assert f"\n  {code}" in run_help, code
    for option in ["--interrupt-on-timeout", "--log-format", "--stdout-file", "--stderr-file",
                   "--autosave-cell-every", "--no-request-save-on-cell-execute", "--engine"]:
        assert option in run_help, option
    assert "Accepted for papermill compatibility; nbexec logs lines instead" not in run_help


def saves_of(stderr):
    return [e["reason"] for e in map(json.loads, stderr.splitlines()) if e["event"] == "save"]


def test_save_options_reach_the_run(cli, write_notebook, tmp_path):
    """--no-request-save-on-cell-execute: no save after cells; --autosave-cell-every N saves a
    long cell's news every N seconds; 0 disables it."""
    src = write_notebook(["print('x' * 100000)", "print('y' * 100000)",
                          "import time\nprint('news', flush=True)\ntime.sleep(2.5)"])
    runs = {
        "default": [],
        "autosave": ["--autosave-cell-every", "1"],
        "no_cell_saves": ["--no-request-save-on-cell-execute", "--autosave-cell-every", "0"],
    }
    procs = {name: subprocess.Popen([cli, "run", src, tmp_path / f"{name}.ipynb", *args,
                                     "--log-format", "json"], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
             for name, args in runs.items()}
    saves = {}
    for name, proc in procs.items():
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr
        saves[name] = saves_of(stderr)
    assert "cell" in saves["default"] and "autosave" not in saves["default"]
    assert "autosave" in saves["autosave"]
    assert saves["no_cell_saves"] == ["start", "end"]
