"""papermill's Python API, option by option, against papermill itself: stdout_file/stderr_file,
the progress bar, papermill's positional order and keywords, and whole papermill-style scripts
run once with ``import papermill as pm`` and once with ``import nbexec as pm``."""

from __future__ import annotations

import difflib
import io
import json
import logging
import subprocess
import sys
import textwrap

import nbformat
import papermill
import pytest
from helpers import code_cells, make_notebook, read_valid, stream_text
from nbformat.v4 import new_markdown_cell

import nbexec

NOISY = [
    "import sys\nprint('out 1')\nprint('err 1', file=sys.stderr)",
    "print('no newline', end='')\nsys.stdout.flush()\nprint(' then é')",
    "for i in range(3):\n    print(i, file=sys.stderr if i % 2 else sys.stdout)",
    "{'rich': 'not a stream'}",
]


@pytest.fixture
def noisy(write_notebook):
    return write_notebook(NOISY)


def _both(path, tmp_path, **kwargs):
    """Runs the notebook with papermill and with nbexec, each with its own stdout/stderr files."""
    captured = {}
    for name, module in (("papermill", papermill), ("nbexec", nbexec)):
        out, err = io.StringIO(), io.StringIO()
        module.execute_notebook(str(path), str(tmp_path / f"{name}.ipynb"), stdout_file=out,
                                stderr_file=err, progress_bar=False, **kwargs)
        captured[name] = (out.getvalue(), err.getvalue())
    return captured


def test_stdout_and_stderr_files_get_what_papermill_writes(noisy, tmp_path):
    captured = _both(noisy, tmp_path)
    assert captured["nbexec"] == captured["papermill"]
    out, err = captured["nbexec"]
    assert out == "out 1\nno newline then é\n0\n2\n"
    assert err == "err 1\n1\n"


def test_stream_files_alone_or_with_log_output(noisy, tmp_path, caplog):
    out = io.StringIO()
    with caplog.at_level(logging.INFO, logger="nbexec"):
        nbexec.execute_notebook(noisy, tmp_path / "o.ipynb", stdout_file=out, log_output=True,
                                progress_bar=False)
    assert out.getvalue() == "out 1\nno newline then é\n0\n2\n"
    messages = [r.getMessage() for r in caplog.records]
    assert "err 1\n" in messages and "{'rich': 'not a stream'}" in messages


def test_stream_files_may_be_paths_or_binary_files(noisy, tmp_path):
    with open(tmp_path / "err.bin", "wb") as err:
        nbexec.execute_notebook(noisy, tmp_path / "o.ipynb", stdout_file=tmp_path / "out.txt",
                                stderr_file=err, progress_bar=False)
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "out 1\nno newline then é\n0\n2\n"
    assert (tmp_path / "err.bin").read_bytes() == b"err 1\n1\n"
    buffer = io.BytesIO()
    nbexec.execute_notebook(noisy, tmp_path / "o.ipynb", stdout_file=buffer, progress_bar=False)
    assert buffer.getvalue().decode("utf-8") == "out 1\nno newline then é\n0\n2\n"
    with pytest.raises(TypeError, match="file object"):
        nbexec.execute_notebook(noisy, tmp_path / "o.ipynb", stdout_file=42)


class _Exploding(io.StringIO):
    def __init__(self, error):
        super().__init__()
        self.error = error

    def write(self, text):
        raise self.error


def test_an_exception_in_a_stream_file_stops_the_run_after_saving(write_notebook, tmp_path):
    src = write_notebook(["print('first')", "import time; time.sleep(0.5)", "print('never')"])
    out = tmp_path / "out.ipynb"
    with pytest.raises(OSError, match="disk full"):
        nbexec.execute_notebook(src, out, stdout_file=_Exploding(OSError("disk full")),
                                progress_bar=False)
    saved = read_valid(out)
    assert stream_text(code_cells(saved)[0]) == "first\n"
    assert code_cells(saved)[2].outputs == []
    # A KeyboardInterrupt raised inside a callback is an interrupt like Ctrl-C.
    with pytest.raises(KeyboardInterrupt):
        nbexec.execute_notebook(src, out, stdout_file=_Exploding(KeyboardInterrupt()),
                                progress_bar=False)
    assert code_cells(read_valid(out))[2].outputs == []


def test_progress_bar_is_papermills_tqdm_bar(write_notebook, tmp_path, capsys):
    cells = ["x = 1", new_markdown_cell("text"), "# papermill_description=stage-two\nx += 1",
             new_markdown_cell("end")]
    src = tmp_path / "bar.ipynb"
    nbformat.write(make_notebook(cells), str(src))
    bars = {}
    for name, module in (("papermill", papermill), ("nbexec", nbexec)):
        module.execute_notebook(str(src), str(tmp_path / f"{name}.ipynb"))
        bars[name] = capsys.readouterr().err
    for bar in bars.values():
        assert "Executing" in bar and "4/4" in bar and "cell/s" in bar
        assert "Executing stage-two" in bar
    nbexec.execute_notebook(src, tmp_path / "o.ipynb",
                            progress_bar={"desc": "Training", "unit": "step"})
    bar = capsys.readouterr().err
    assert "Training" in bar and "4/4" in bar and "step/s" in bar
    nbexec.execute_notebook(src, tmp_path / "o.ipynb", progress_bar=False)
    assert capsys.readouterr().err == ""
    with pytest.raises(TypeError, match="progress_bar"):
        nbexec.execute_notebook(src, tmp_path / "o.ipynb", progress_bar="yes")


def test_progress_bar_stops_where_the_run_failed(write_notebook, tmp_path, capsys):
    src = write_notebook(["1", "1 / 0", "3"])
    with pytest.raises(nbexec.ExecutionError):
        nbexec.execute_notebook(src, tmp_path / "o.ipynb")
    bar = capsys.readouterr().err
    assert "2/3" in bar and "3/3" not in bar


def test_papermill_positional_order_and_engine_keywords(write_notebook, tmp_path, caplog):
    src = write_notebook(["print(n)"], parameters_cell="n = 0")
    out = tmp_path / "o.ipynb"
    # papermill's order: input, output, parameters, engine_name, request_save_on_cell_execute,
    # prepare_only, kernel_name, language, progress_bar, log_output, ...
    nb = nbexec.execute_notebook(src, out, {"n": 5}, None, False, True, "python3", "python",
                                 False)
    assert code_cells(nb)[2].outputs == []  # prepare_only
    assert nb.metadata.papermill.parameters == {"n": 5}
    with caplog.at_level(logging.WARNING, logger="nbexec"):
        nb = nbexec.execute_notebook(src, out, engine_name="custom", progress_bar=False,
                                     **{"execution_timeout": 30, "autosave_cell_every": 5})
    assert stream_text(code_cells(nb)[1]) == "0\n"
    assert any("engine_name='custom' ignored" in r.getMessage() for r in caplog.records)
    with pytest.raises(TypeError, match="unexpected keyword"):
        nbexec.execute_notebook(src, out, no_such_option=1)


def test_input_may_be_a_notebook_node(write_notebook, tmp_path):
    node = make_notebook(["print(n * 2)"], parameters_cell="n = 1")
    out = tmp_path / "o.ipynb"
    nb = nbexec.execute_notebook(node, out, parameters={"n": 21}, progress_bar=False)
    assert stream_text(code_cells(nb)[2]) == "42\n"
    saved = read_valid(out)
    assert saved.metadata.papermill.input_path is None
    assert saved.metadata.papermill.output_path == str(out)
    assert nbexec.inspect_notebook(node) == papermill.inspect_notebook(node)


# --- papermill-style scripts, run with papermill and with nbexec ------------------------------

ANALYSIS_CELLS = [
    "print('alpha is', alpha, 'label', label)",
    "import sys\nprint('warning: small sample', file=sys.stderr)",
    "{'total': sum(ratios), 'n': len(ratios)}",
    new_markdown_cell("## Results"),
    "# papermill_description=summary\nprint(f'{label}: {alpha * sum(ratios):.3f}')",
]
ANALYSIS_PARAMETERS = 'alpha = 0.5\nratios = [0.1, 0.2]\nlabel = "daily"  # the run\'s name'
FAILING_CELLS = ["values = list(range(n))", "print(values)\nvalues[n]", "print('never')"]

SUMMARIZE = '''
import json
import nbformat


def summarize(nb):
    """What a papermill user reads back: cells, outputs, papermill's run metadata."""
    cells = []
    for cell in nb.cells:
        item = {"type": cell.cell_type, "source": cell.source,
                "tags": cell.metadata.get("tags"),
                "hidden": cell.metadata.get("jupyter", {}).get("source_hidden")}
        if cell.cell_type == "code":
            item["count"] = cell.execution_count
            item["status"] = cell.metadata.get("papermill", {}).get("status")
            item["outputs"] = []
            for out in cell.outputs:
                if out.output_type == "stream":
                    # The kernel may flush one print in two messages, whatever runs it.
                    if item["outputs"] and item["outputs"][-1][0] == out.name:
                        item["outputs"][-1][1] += out.text
                    else:
                        item["outputs"].append([out.name, out.text])
                elif out.output_type == "error":
                    item["outputs"].append([out.ename, out.evalue])
                else:
                    item["outputs"].append([out.output_type, out.data.get("text/plain")])
        cells.append(item)
    meta = nb.metadata.papermill
    return {"cells": cells, **{key: meta.get(key) for key in (
        "parameters", "default_parameters", "input_path", "output_path", "exception")}}


def read(path):
    return summarize(nbformat.read(path, as_version=4))
'''

SCRIPTS = {
    "run_and_inspect": '''
import papermill as pm

report = {"inspect": pm.inspect_notebook("analysis.ipynb")}
nb = pm.execute_notebook(
    "analysis.ipynb",
    "runs/analysis-{label}-{alpha}.ipynb",
    parameters=dict(alpha=0.6, ratios=[0.5, 0.25], label="weekly"),
    kernel_name="python3",
    progress_bar=False,
)
report["returned"] = summarize(nb)
report["written"] = read("runs/analysis-weekly-0.6.ipynb")
print(json.dumps(report))
''',
    "options_as_kwargs": '''
import io
import papermill as pm

options = {
    "engine_name": None,
    "request_save_on_cell_execute": True,
    "autosave_cell_every": 10,
    "execution_timeout": 120,
    "start_timeout": 60,
    "report_mode": True,
    "log_output": False,
    "progress_bar": False,
}
err = io.StringIO()
with open("stdout.txt", "w") as out:
    nb = pm.execute_notebook("analysis.ipynb", "report.ipynb", parameters={"alpha": 1.5},
                             stdout_file=out, stderr_file=err, **options)
prepared = pm.execute_notebook("analysis.ipynb", "prepared.ipynb",
                               parameters={"label": "dry run"}, prepare_only=True,
                               request_save_on_cell_execute=False)
with open("stdout.txt") as out:
    report = {"stdout": out.read(), "stderr": err.getvalue(), "returned": summarize(nb),
              "written": read("report.ipynb"), "prepared": summarize(prepared)}
print(json.dumps(report))
''',
    "catch_failure": '''
import papermill as pm

try:
    pm.execute_notebook("failing.ipynb", "failed.ipynb", parameters={"n": 3},
                        progress_bar=False)
except pm.PapermillExecutionError as e:
    caught = {"cell_index": e.cell_index, "exec_count": e.exec_count, "source": e.source,
              "ename": e.ename, "evalue": e.evalue, "last_line": e.traceback[-1],
              "lines": len(e.traceback), "is_exception": isinstance(e, Exception)}
else:
    caught = None
print(json.dumps({"caught": caught, "written": read("failed.ipynb")}))
''',
}


@pytest.fixture(scope="module")
def script_results(tmp_path_factory):
    """Each script's JSON report, run with papermill and with nbexec in folders of their own."""
    results = {}
    for engine in ("papermill", "nbexec"):
        folder = tmp_path_factory.mktemp(engine)
        (folder / "runs").mkdir()
        nbformat.write(make_notebook(ANALYSIS_CELLS, parameters_cell=ANALYSIS_PARAMETERS),
                       str(folder / "analysis.ipynb"))
        nbformat.write(make_notebook(FAILING_CELLS, parameters_cell="n = 1"),
                       str(folder / "failing.ipynb"))
        for name, body in SCRIPTS.items():
            code = SUMMARIZE + textwrap.dedent(body)
            if engine == "nbexec":
                code = code.replace("import papermill as pm", "import nbexec as pm")
            (folder / f"{name}.py").write_text(code)
            done = subprocess.run([sys.executable, f"{name}.py"], cwd=folder, capture_output=True,
                                  text=True, timeout=180)
            assert done.returncode == 0, f"{engine} {name}:\n{done.stderr}"
            results[engine, name] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_papermill_script_gives_the_same_results_with_nbexec(script, script_results):
    theirs, ours = script_results["papermill", script], script_results["nbexec", script]
    if ours != theirs:
        lines = difflib.unified_diff(json.dumps(theirs, indent=1).splitlines(),
                                     json.dumps(ours, indent=1).splitlines(), "papermill",
                                     "nbexec", lineterm="")
        pytest.fail("\n".join(lines))


def test_papermill_scripts_report_what_was_asked(script_results):
    # The comparison above holds for the right reasons: the runs did what the scripts asked.
    run = script_results["nbexec", "run_and_inspect"]
    assert run["inspect"]["label"] == {"name": "label", "inferred_type_name": "None",
                                       "default": '"daily"', "help": "the run's name"}
    assert run["written"]["output_path"] == "runs/analysis-{label}-{alpha}.ipynb".format(
        label="weekly", alpha=0.6)
    assert run["written"]["cells"][2]["outputs"] == [["stdout", "alpha is 0.6 label weekly\n"]]
    options = script_results["nbexec", "options_as_kwargs"]
    assert options["stdout"] == "alpha is 1.5 label daily\ndaily: 0.450\n"
    assert options["stderr"] == "warning: small sample\n"
    assert all(c["hidden"] for c in options["written"]["cells"] if c["type"] == "code")
    assert all(c["outputs"] == [] for c in options["prepared"]["cells"] if c["type"] == "code")
    failure = script_results["nbexec", "catch_failure"]
    assert failure["caught"]["ename"] == "IndexError" and failure["caught"]["is_exception"]
    assert failure["written"]["exception"] is True
