"""`nbexec run` end to end on a real ipykernel, judged by nbformat and papermill."""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest
from helpers import EXAMPLE_DIR, code_cells, make_notebook, read_valid, stream_text
from papermill.translators import translate_parameters


def test_runs_cells_in_order_and_builds_outputs(run_cli, write_notebook, tmp_path):
    src = write_notebook(
        [
            "import sys\nprint('out'); print('err', file=sys.stderr)",
            "from IPython.display import display, HTML\ndisplay(HTML('<b>hi</b>'))",
            "40 + 2",
            "x = 1",
        ]
    )
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out)
    assert proc.returncode == 0, proc.stderr
    nb = read_valid(out)
    cells = code_cells(nb)
    assert stream_text(cells[0]) == "out\n"
    assert stream_text(cells[0], "stderr") == "err\n"
    assert [o.output_type for o in cells[1].outputs] == ["display_data"]
    assert cells[1].outputs[0].data["text/html"] == "<b>hi</b>"
    assert cells[2].outputs[0].output_type == "execute_result"
    assert cells[2].outputs[0].data["text/plain"] == "42"
    assert cells[2].outputs[0].execution_count == cells[2].execution_count == 3
    assert [c.execution_count for c in cells] == [1, 2, 3, 4]
    assert cells[3].outputs == []
    assert nb.metadata.language_info.name == "python"


def test_parameters_are_injected_as_papermill_renders_them(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print(repr((a, b, c, d, e, f)))"],
                         parameters_cell="a = 0\nb = 0.0\nc = False\nd = None\ne = ''\nf = []")
    params = tmp_path / "params.yaml"
    params.write_text("f: [1, two, {x: 1.5}]\ne: from-file\n")
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "-p", "a", "1", "-p", "b", "1.5", "-p", "c", "True",
                   "-p", "d", "None", "-p", "e", "text with \"quotes\"", "-f", params)
    assert proc.returncode == 0, proc.stderr
    nb = read_valid(out)
    assert nb.cells[0].metadata.tags == ["parameters"]
    injected = nb.cells[1]
    assert injected.metadata.tags == ["injected-parameters"]
    # papermill merges -f before -p: a later value wins and keeps the first position.
    expected = translate_parameters(
        "python3", "python",
        {"f": [1, "two", {"x": 1.5}], "e": 'text with "quotes"', "a": 1, "b": 1.5, "c": True,
         "d": None},
        "Parameters",
    )
    assert injected.source == expected
    assert stream_text(nb.cells[2]) == "(1, 1.5, True, None, 'text with \"quotes\"', [1, 'two', {'x': 1.5}])\n"
    assert nb.metadata.papermill.parameters["a"] == 1


def test_existing_injected_cell_is_replaced_in_place(run_cli, write_notebook, tmp_path):
    stale = nbformat.v4.new_code_cell("# Parameters\nalpha = 'stale'\n")
    stale.metadata["tags"] = ["injected-parameters"]
    src = write_notebook(["x = 0", stale, "print(alpha)"], parameters_cell="alpha = 'default'")
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "-p", "alpha", "fresh")
    assert proc.returncode == 0, proc.stderr
    nb = read_valid(out)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert tags.count(["injected-parameters"]) == 1
    assert tags.index(["injected-parameters"]) == 2
    assert stream_text(nb.cells[3]) == "fresh\n"


def test_no_parameters_cell_injects_at_top_with_a_warning(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print(alpha)"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "-p", "alpha", "3", "--allow-unknown-parameters")
    assert proc.returncode == 0, proc.stderr
    assert "Input notebook does not contain a cell with tag 'parameters'" in proc.stderr
    nb = read_valid(out)
    assert nb.cells[0].metadata.tags == ["injected-parameters"]
    assert stream_text(nb.cells[1]) == "3\n"


def test_failing_cell_exits_1_and_keeps_everything_before_it(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print('before')", "raise ValueError('boom')", "print('never')"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out)
    assert proc.returncode == 1
    assert "ValueError" in proc.stderr and "boom" in proc.stderr
    assert "\x1b[" not in proc.stderr
    nb = read_valid(out)
    cells = code_cells(nb)
    assert stream_text(cells[0]) == "before\n"
    errors = [o for o in cells[1].outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "ValueError" and errors[0].evalue == "boom"
    assert cells[2].outputs == [] and cells[2].execution_count is None


def test_papermill_command_form_and_log_output(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print('streamed line')"])
    out = tmp_path / "out.ipynb"
    proc = run_cli(src, out, "--log-output")
    assert proc.returncode == 0, proc.stderr
    # Cell stdout goes to stdout; the cell separators go to stderr.
    assert "streamed line" in proc.stdout
    assert "Executing Cell 1" in proc.stderr
    assert stream_text(code_cells(read_valid(out))[0]) == "streamed line\n"


def test_output_to_stdout(run_cli, write_notebook):
    src = write_notebook(["print('x')"])
    proc = run_cli("run", src, "-")
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.reads(proc.stdout, as_version=4)
    nbformat.validate(nb)
    assert stream_text(code_cells(nb)[0]) == "x\n"


def test_cwd_sets_the_kernels_directory(run_cli, write_notebook, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    src = write_notebook(["import os; print(os.getcwd())"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "--cwd", work)
    assert proc.returncode == 0, proc.stderr
    assert stream_text(code_cells(read_valid(out))[0]).strip() == str(work)


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_bad_cwd_is_bad_input_and_writes_nothing(run_cli, write_notebook, tmp_path, kind):
    """papermill's chdir fails before its first save; nbexec checks before its own."""
    cwd = tmp_path / "nowhere"
    if kind == "file":
        cwd.write_text("not a folder")
    src = write_notebook(["print(1)"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "--cwd", cwd)
    assert proc.returncode == 2, proc.stderr
    reason = "no such directory" if kind == "missing" else "not a directory"
    assert proc.stderr.splitlines()[-1] == f"nbexec: error: working directory {cwd}: {reason} (--cwd)"
    assert not out.exists()


def test_help_subcommand_prints_the_help(run_cli):
    top = run_cli("help")
    assert top.returncode == 0 and top.stdout == run_cli("--help").stdout
    assert "70 internal error" in top.stdout
    run = run_cli("help", "run")
    assert run.returncode == 0 and run.stdout == run_cli("run", "--help").stdout
    assert "\n  70     internal error" in run.stdout


def test_bundled_example_matches_papermill(run_cli, tmp_path):
    """The README's example, run by nbexec and by papermill: same cells, same outputs."""
    papermill = pytest.importorskip("papermill")
    ours = tmp_path / "nbexec.ipynb"
    theirs = tmp_path / "papermill.ipynb"
    args = ["-f", EXAMPLE_DIR / "params.yaml", "-p", "CARRIER", "WN"]
    proc = run_cli("run", EXAMPLE_DIR / "analysis.ipynb", ours, *args, "--cwd", EXAMPLE_DIR)
    assert proc.returncode == 0, proc.stderr
    papermill.execute_notebook(
        str(EXAMPLE_DIR / "analysis.ipynb"), str(theirs),
        parameters={"DEVELOP_MODE": False, "DELAY_THRESHOLD": 10, "LEARNING_RATE": 0.1,
                    "CARRIER": "WN"},
        cwd=str(EXAMPLE_DIR), progress_bar=False,
    )
    a, b = read_valid(ours), nbformat.read(str(theirs), as_version=4)
    assert [c.source for c in a.cells] == [c.source for c in b.cells]
    for ca, cb in zip(code_cells(a), code_cells(b)):
        assert ca.execution_count == cb.execution_count
        strip = lambda outs: [{k: v for k, v in o.items() if k != "metadata"} for o in outs]
        # ipykernel may split one print burst into several stream messages: compare the text.
        assert stream_text(ca) == stream_text(cb)
        assert [o for o in strip(ca.outputs) if o["output_type"] != "stream"] == \
            [o for o in strip(cb.outputs) if o["output_type"] != "stream"]


def test_version_and_help(run_cli):
    proc = run_cli("--version")
    assert proc.returncode == 0
    import nbexec

    assert proc.stdout.strip() == f"nbexec {nbexec.__version__}"
    help_text = run_cli("run", "--help").stdout
    for option in ["-p", "--parameters", "-f", "--parameters_file", "-k", "--kernel",
                   "--log-output", "--cwd", "--start-timeout", "--execution-timeout",
                   "--allow-errors", "--report-mode", "--prepare-only", "-r", "-y", "-b"]:
        assert option in help_text, option


def test_prepare_only_writes_parameterized_notebook(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print('not run')"], parameters_cell="n = 1")
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "-p", "n", "2", "--prepare-only")
    assert proc.returncode == 0, proc.stderr
    nb = read_valid(out)
    assert nb.cells[1].source == "# Parameters\nn = 2\n"
    assert code_cells(nb)[2].outputs == []


def test_parameter_options_take_exactly_two_values(run_cli, write_notebook, tmp_path):
    """-p NAME VALUE as click's nargs=2: negative numbers are values, positionals may follow."""
    src = write_notebook(["pass"], parameters_cell="a = b = 0")
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, "-p", "a", "-1", out, "-r", "b", "-2.5", "--prepare-only",
                   "--no-parameter-check")
    assert proc.returncode == 0, proc.stderr
    assert read_valid(out).cells[1].source == '# Parameters\na = -1\nb = "-2.5"\n'
    proc = run_cli("run", src, out, "-p", "a", "1", "stray", "--prepare-only")
    assert proc.returncode == 2
    assert "stray" in proc.stderr


def test_prepare_only_needs_no_kernel(run_cli, write_notebook, tmp_path):
    src = write_notebook(["pass"], kernel="kernel-that-is-not-installed")
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "-p", "x", "1", "--prepare-only", "--allow-unknown-parameters")
    assert proc.returncode == 0, proc.stderr
    assert read_valid(out).metadata.kernelspec.name == "kernel-that-is-not-installed"
