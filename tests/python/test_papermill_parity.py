"""papermill's bookkeeping: nbexec's CLI against the real papermill CLI.

Each case runs once with `papermill IN out.ipynb ...` and once with `nbexec run IN out.ipynb
...` (each in a folder of its own, so that both record the same relative output path), and the
two output notebooks are compared structurally: the cell list (types, sources, metadata, the
error banner and anchor cells), notebook and cell `metadata.papermill`, nbclient's
`metadata.execution` timings, `language_info`, outputs and execution counts, the exit code and,
on a cell error, nbexec's summary on stderr against papermill's.

Times cannot be equal between two runs: they are checked for their type, their format and
their consistency (start <= end, duration == end - start, cells inside the run). The
deliberate differences (docs/papermill-differences.md) are asserted as differences, so that
they are noticed if either side changes.

The cases are papermill's own notebooks (../shared/corpus/papermill, skipped when absent) and
small notebooks built here. All runs start at once on a few threads: papermill takes 2-3 s
to start.
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from helpers import make_notebook
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output
from papermill_compare import (
    ENV,
    PAPERMILL_NOTEBOOKS,
    assert_same_notebook as compare_notebooks,
    cell_shape,
    check_banner,
    check_file_layout,
    check_times,
    code_outputs,
    is_marker,
    need_corpus,
    normalise,
    papermill_command,
    papermill_traceback,
    strip_ansi,
    text,
)

papermill = pytest.importorskip("papermill")
import nbexec  # noqa: E402


# ---------------------------------------------------------------------------------------------
# The cases


@dataclass
class Case:
    name: str
    notebook: object  # a file name in papermill's corpus, or a function building a notebook
    args: tuple = ()
    exit_code: int = 0  # papermill's and nbexec's (deliberate cases check theirs)
    then: list = field(default_factory=list)  # cases run on this case's output, in order
    output: str = "out.ipynb"  # "-": the notebook goes to standard output
    # Why this case's notebooks are compared by a test of its own, not by test_same_notebook.
    deliberate: str = ""

    @property
    def corpus(self) -> bool:
        return isinstance(self.notebook, str)


def _with_stale_state(nb):
    """What a notebook saved from Jupyter or an earlier run carries: outputs, counts, timings."""
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = 40 + n
        cell.outputs = [new_output("stream", name="stdout", text="stale\n")]
        cell.metadata["execution"] = {"iopub.status.busy": "2020-01-01T00:00:00.000000Z"}
        cell.metadata["papermill"] = {"status": "failed", "exception": True, "start_time": None,
                                      "end_time": None, "duration": None}
    return nb


def fail_in_the_middle():
    """Markdown between code cells; `fail_at` picks the code cell that raises."""
    return _with_stale_state(make_notebook([
        new_markdown_cell("# A report"),
        "print('one')",
        new_markdown_cell("Between the first and the second cell."),
        "if fail_at == 1:\n    raise ValueError('boom at ' + str(fail_at))\nprint('two')",
        new_markdown_cell("Between the second and the third cell."),
        "if fail_at == 2:\n    raise KeyError(fail_at)\n{'three': 3}",
        new_markdown_cell("The end."),
        "print('four')",
    ], parameters_cell="fail_at = 0"))


def exits_with(statement):
    def build():
        return make_notebook([
            "import sys\nprint('before')",
            new_markdown_cell("The next cell leaves the kernel's run."),
            statement,
            "print('Cell should not execute.')",
        ])
    return build


def raises_exception_tag(*more):
    tagged = new_code_cell("print('tagged')\n1 / 0")
    tagged.metadata["tags"] = ["raises-exception"]
    return make_notebook(["x = 1", tagged, "print('after', x)", *more])


def raises_exception_then_fails():
    return raises_exception_tag("raise RuntimeError('late')", "print('never')")


def kernel_dies():
    return make_notebook(["print('start')", "import os\nos._exit(1)", "print('never')"])


def sleeps_past_the_timeout():
    return make_notebook(["print('start')", "import time\ntime.sleep(30)", "print('never')"])


def keeps_jupyter_metadata():
    cell = new_code_cell("print('shown')")
    cell.metadata["jupyter"] = {"outputs_hidden": True}
    return make_notebook([cell, "print('plain')"])


CASES = [
    # papermill's corpus (the expected results are in its tests/test_execute.py)
    Case("broken1", "broken1.ipynb", exit_code=1),
    Case("sysexit", "sysexit.ipynb"),
    Case("sysexit0", "sysexit0.ipynb"),
    Case("sysexit1", "sysexit1.ipynb", exit_code=1),
    Case("systemexit", "systemexit.ipynb"),
    Case("line_magic_error", "line_magic_error.ipynb", exit_code=1),
    Case("report_mode_test", "report_mode_test.ipynb", ("-p", "a", "0", "--report-mode")),
    Case("nb_version_4.4", "nb_version_4.4.ipynb", ("-p", "var", "2")),
    Case("blank-vscode", "blank-vscode.ipynb", ("-k", "python3")),
    Case("test_autosave", "test_autosave.ipynb"),
    # Without executing: stale markers go, stale outputs stay, no times are recorded.
    Case("prepare_only", "broken1.ipynb", ("--prepare-only",)),
    Case("broken1_to_stdout", "broken1.ipynb", exit_code=1, output="-"),
    # Its parameters cell ends in a line that is not Python ("= 2"): both fail at In [1].
    Case("complex_parameters", "complex_parameters.ipynb",
         ("-p", "msg", "Hello", "-p", "a", "3.5", "-p", "c", "None", "-y", "b: [x, 'y z']"),
         exit_code=1),
    # small notebooks of ours
    Case("fail_at_1", fail_in_the_middle, ("-p", "fail_at", "1"), exit_code=1, then=[
        # Run on the first run's output: the old banner and anchor go, new ones mark cell 2.
        Case("rerun_fail_at_2", None, ("-p", "fail_at", "2"), exit_code=1),
        # ...and go for good when nothing fails; the injected cell is replaced, not repeated.
        Case("rerun_fail_at_0", None, ("-p", "fail_at", "0")),
    ]),
    Case("sys_exit_0", exits_with("sys.exit(0)")),
    Case("sys_exit_empty", exits_with("sys.exit()")),
    Case("sys_exit_none", exits_with("sys.exit(None)")),
    Case("sys_exit_1", exits_with("sys.exit(1)"), exit_code=1),
    Case("system_exit_msg", exits_with("raise SystemExit('msg')"), exit_code=1),
    # deliberate differences
    Case("raises_exception", raises_exception_tag, exit_code=1,
         deliberate="nbexec honours the raises-exception tag"),
    Case("timeout", sleeps_past_the_timeout, ("--execution-timeout", "2"), exit_code=1,
         deliberate="a cell cut short by its deadline has failed"),
    # papermill's raise_for_execution_errors keeps the last error output it finds, so both
    # banners name the cell that stopped the run, not the tagged one before it.
    Case("raises_exception_then_fails", raises_exception_then_fails, exit_code=1),
    Case("kernel_died", kernel_dies, exit_code=138,
         deliberate="a cell cut short by the kernel's death has failed"),
    Case("report_mode_keeps_jupyter", keeps_jupyter_metadata, ("--report-mode",),
         deliberate="report mode keeps the other metadata.jupyter keys"),
]


def all_cases():
    for case in CASES:
        yield case
        yield from case.then


# ---------------------------------------------------------------------------------------------
# Running them


@dataclass
class Run:
    tool: str
    input_path: str  # as given on the command line
    output: Path
    returncode: int
    stderr: str
    seconds: float

    @property
    def nb(self) -> dict:
        return json.loads(self.output.read_text(encoding="utf-8"))


def _run(tool, command, case, input_path, work, env):
    work.mkdir(parents=True)
    started = datetime.now()
    proc = subprocess.run([*command, str(input_path), case.output, *case.args], cwd=work,
                          env=env, capture_output=True, text=True, encoding="utf-8",
                          timeout=120)
    seconds = (datetime.now() - started).total_seconds()
    if case.output == "-":
        (work / "out.ipynb").write_text(proc.stdout, encoding="utf-8")
    return Run(tool, str(input_path), work / "out.ipynb", proc.returncode, proc.stderr, seconds)


@pytest.fixture(scope="module")
def runs(cli, tmp_path_factory):
    env = {**os.environ, **ENV}
    base = tmp_path_factory.mktemp("papermill-parity")
    inputs = base / "inputs"
    inputs.mkdir()
    commands = {"papermill": papermill_command(), "nbexec": [cli, "run"]}

    def chain(tool, case):
        # A case and the cases run on its output, one after the other.
        if case.corpus:
            source = PAPERMILL_NOTEBOOKS / case.notebook
        else:
            source = inputs / f"{case.name}.ipynb"
        done = {}
        for step in [case, *case.then]:
            done[step.name] = _run(tool, commands[tool], step, source, base / step.name / tool,
                                   env)
            source = done[step.name].output
        return done

    cases = [c for c in CASES if not c.corpus or PAPERMILL_NOTEBOOKS.is_dir()]
    for case in cases:
        if not case.corpus:
            nbformat.write(case.notebook(), str(inputs / f"{case.name}.ipynb"))
    # Longest chains first; 4 threads keep two cores busy while kernels start.
    order = sorted(cases, key=lambda c: -len(c.then))
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(chain, tool, case) for case in order
                   for tool in ("papermill", "nbexec")]
        results = {}
        for future in futures:
            for name, run in future.result().items():
                results.setdefault(name, {})[run.tool] = run
    return results


# ---------------------------------------------------------------------------------------------
# Comparing


@pytest.fixture
def runs_of(runs):
    """(papermill's run, nbexec's run) of a case by name."""
    return lambda name: (runs[name]["papermill"], runs[name]["nbexec"])


def assert_same_notebook(case, pm_run, nx_run):
    pm, nx = pm_run.nb, nx_run.nb
    check_file_layout(pm_run.output, pm, "papermill")
    check_file_layout(nx_run.output, nx, "nbexec")
    kept = None
    if not case.corpus and case.name not in {t.name for c in CASES for t in c.then}:
        # The input had ids (nbformat 4.5): both keep them on the cells they did not add.
        kept = {c.id for c in nbformat.read(str(pm_run.input_path), as_version=4).cells}
    compare_notebooks(pm, nx, pm_input=pm_run.input_path, nx_input=nx_run.input_path,
                      output_path=case.output, kept_ids=kept,
                      versions=(papermill.__version__, nbexec.__version__))


def check_error_summary(pm_run, nx_run):
    """nbexec's stderr names the failing cell and prints papermill's traceback, uncoloured."""
    nx = nx_run.nb
    assert "\x1b" not in nx_run.stderr
    failing = next(i for i, c in enumerate(nx["cells"])
                   if c["metadata"].get("papermill", {}).get("status") == "failed")
    cell = nx["cells"][failing]
    count = cell["execution_count"]
    assert f'Exception encountered at "In [{count}]"' in pm_run.stderr
    # The index is papermill's cell_index: the cell's place before banner and anchor went in.
    head = f"nbexec: error: cell {failing - 2} (In [{count}]) raised "
    lines = nx_run.stderr.rstrip("\n").split("\n")
    summary = next((line for line in lines if line.startswith(head)), None)
    assert summary, nx_run.stderr
    traceback = lines[lines.index(summary) + 1:]
    errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
    if not errors:
        # No error output (IPython's UsageError writes to stderr): papermill reports
        # "CellExecutionError" with no traceback; nbexec names the kernel's error, which is
        # what the cell printed.
        assert papermill_traceback(pm_run.stderr) == [""]
        assert "PapermillExecutionError" in pm_run.stderr and traceback == []
        printed = "".join(text(o["text"]) for o in cell["outputs"]
                          if o["output_type"] == "stream")
        assert summary[len(head):] in printed, (summary, printed)
        return
    error = errors[0]
    assert summary == head + f"{error['ename']}: {error['evalue']}"
    assert traceback == strip_ansi("\n".join(error["traceback"])).rstrip("\n").split("\n")
    assert normalise(traceback) == normalise(papermill_traceback(pm_run.stderr))


# ---------------------------------------------------------------------------------------------
# The tests


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in all_cases()
                                  if not c.deliberate])
def test_same_notebook(runs, case):
    if case.corpus:
        need_corpus()
    pm_run, nx_run = runs[case.name]["papermill"], runs[case.name]["nbexec"]
    assert pm_run.returncode == case.exit_code, pm_run.stderr[-3000:]
    assert nx_run.returncode == case.exit_code, nx_run.stderr[-3000:]
    nbformat.validate(nbformat.reads(nx_run.output.read_text(encoding="utf-8"), as_version=4))
    assert_same_notebook(case, pm_run, nx_run)
    failed = [c for c in nx_run.nb["cells"]
              if c["metadata"].get("papermill", {}).get("status") == "failed"]
    if case.exit_code == 1:
        check_banner(pm_run.nb, failed[0]["execution_count"])
        check_banner(nx_run.nb, failed[0]["execution_count"])
        check_error_summary(pm_run, nx_run)
    else:
        assert not any(is_marker(c) for c in nx_run.nb["cells"])


def test_papermills_expected_results(runs):
    """The corpus notebooks' results as papermill's tests/test_execute.py states them."""
    need_corpus()
    nb = runs["broken1"]["nbexec"].nb
    cells = nb["cells"]
    assert [c["cell_type"] for c in cells] == ["markdown"] * 2 + ["code"] + ["markdown"] * 3 + [
        "code"] * 2
    assert "In [2]" in text(cells[0]["source"]) and is_marker(cells[0]) and is_marker(cells[5])
    assert [cells[2]["execution_count"], cells[6]["execution_count"], cells[7]["execution_count"]
            ] == [1, 2, None]
    assert cells[6]["outputs"][0]["output_type"] == "error"
    assert sum(is_marker(c) for c in cells) == 2
    # A run without parameters keeps the ones an earlier run recorded (papermill's
    # parameterize_notebook is what sets them).
    assert nb["metadata"]["papermill"]["parameters"] == {"bar": "Hello World!", "foo": 1}

    for name, evalue in [("sysexit", ""), ("sysexit0", "0"), ("systemexit", "")]:
        cells = runs[name]["nbexec"].nb["cells"]
        assert [c["execution_count"] for c in cells] == [1, 2, None]
        error = cells[1]["outputs"][0]
        assert (error["output_type"], error["ename"], error["evalue"]) == (
            "error", "SystemExit", evalue)
        # The cell and the run are failed, like papermill's cell_exception marks them.
        assert cells[1]["metadata"]["papermill"]["status"] == "failed"
        assert runs[name]["nbexec"].nb["metadata"]["papermill"]["exception"] is True

    cells = runs["sysexit1"]["nbexec"].nb["cells"]
    assert [c.get("execution_count") for c in cells] == [None, 1, None, 2, None]
    assert cells[3]["outputs"][0]["ename"] == "SystemExit"

    cells = runs["report_mode_test"]["nbexec"].nb["cells"]
    assert all(c["metadata"]["jupyter"]["source_hidden"] for c in cells
               if c["cell_type"] == "code")
    assert "injected-parameters" in cells[1]["metadata"]["tags"]


def test_sys_exit_none_is_a_clean_exit_as_in_papermill(runs):
    # IPython reports SystemExit(None) with an empty evalue, which papermill's check
    # (evalue '' or '0') lets pass, and so does nbexec's.
    for tool in ("papermill", "nbexec"):
        run = runs["sys_exit_none"][tool]
        assert run.returncode == 0
        error = run.nb["cells"][2]["outputs"][0]
        assert (error["ename"], error["evalue"]) == ("SystemExit", "")


def test_rerun_replaces_markers_and_injected_cell(runs):
    for tool in ("papermill", "nbexec"):
        first, second, third = (runs[name][tool].nb for name in
                                ("fail_at_1", "rerun_fail_at_2", "rerun_fail_at_0"))
        for nb, count in ((first, 4), (second, 5)):
            check_banner(nb, count)
        assert not any(is_marker(c) for c in third["cells"])
        injected = [c for c in third["cells"]
                    if "injected-parameters" in c["metadata"]["tags"]]
        assert len(injected) == 1 and text(injected[0]["source"]) == "# Parameters\nfail_at = 0\n"
        assert third["metadata"]["papermill"]["parameters"] == {"fail_at": 0}


def test_raises_exception_tag(runs):
    """Deliberate: nbexec lets a cell tagged raises-exception fail; papermill runs on too but
    still reports the error at the end (banner, exit 1)."""
    pm_run, nx_run = runs["raises_exception"]["papermill"], runs["raises_exception"]["nbexec"]
    assert (pm_run.returncode, nx_run.returncode) == (1, 0)
    pm, nx = pm_run.nb, nx_run.nb
    check_banner(pm, 2, status="completed")
    assert not any(is_marker(c) for c in nx["cells"])
    # Apart from the two marker cells the notebooks are the same: every cell ran.
    pm["cells"] = [c for c in pm["cells"] if not is_marker(c)]
    assert [cell_shape(c) for c in nx["cells"]] == [cell_shape(c) for c in pm["cells"]]
    assert code_outputs(nx) == code_outputs(pm)
    for nb in (pm, nx):
        assert [c["metadata"]["papermill"]["status"] for c in nb["cells"]] == ["completed"] * 3
        assert nb["metadata"]["papermill"]["exception"] is None
        check_times(nb)


def cut_short(runs_of, case):
    """The runs of a case whose second cell is cut short, with both sides' statuses."""
    pm_run, nx_run = runs_of(case)
    pm, nx = pm_run.nb, nx_run.nb
    assert nx["cells"][1]["metadata"].pop("nbexec") == {"stop_reason": case}
    assert [cell_shape(c) for c in nx["cells"]] == [cell_shape(c) for c in pm["cells"]]
    statuses = {tool: [(c["metadata"]["papermill"]["status"], c["metadata"]["papermill"][
        "exception"]) for c in nb["cells"]] for tool, nb in (("papermill", pm), ("nbexec", nx))}
    # papermill: nbclient's CellTimeoutError and DeadKernelError are not CellExecutionError,
    # so the cell is completed, and notebook_complete turns the cell never run into
    # "completed" too. nbexec: the cell failed, the rest is pending.
    assert statuses["papermill"] == [("completed", False), ("completed", False),
                                     ("completed", None)]
    assert statuses["nbexec"] == [("completed", False), ("failed", True), ("pending", None)]
    assert pm["metadata"]["papermill"]["exception"] is None
    assert nx["metadata"]["papermill"]["exception"] is True
    for nb in (pm, nx):
        assert not any(is_marker(c) for c in nb["cells"])
        check_times(nb)
    assert code_outputs(nx)[0] == code_outputs(pm)[0]
    # papermill asks the kernel for language_info after the last cell, which it never reaches;
    # nbexec records it when the kernel starts.
    assert "language_info" not in pm["metadata"]
    assert nx["metadata"]["language_info"]["name"] == "python"
    return pm_run, nx_run


def test_timed_out_cell(runs_of):
    """Deliberate: nbexec marks the cell cut short by --execution-timeout failed, with
    metadata.nbexec.stop_reason, and exits 3; papermill marks it completed and exits 1."""
    pm_run, nx_run = cut_short(runs_of, "timeout")
    assert (pm_run.returncode, nx_run.returncode) == (1, 3)
    assert "CellTimeoutError" in pm_run.stderr
    assert "cell 1 did not finish within 2 s (--execution-timeout)" in nx_run.stderr
    # papermill's cell may also catch the KeyboardInterrupt of the kernel's shutdown.
    assert code_outputs(nx_run.nb)[1] == {"execution_count": 2, "outputs": []}


def test_kernel_died(runs_of):
    """Deliberate: the same for a kernel that dies in a cell; nbexec exits 4, papermill 138."""
    pm_run, nx_run = cut_short(runs_of, "kernel_died")
    assert (pm_run.returncode, nx_run.returncode) == (138, 4)
    assert "DeadKernelError" in pm_run.stderr
    assert "the kernel died while executing cell 1" in nx_run.stderr


def test_report_mode_keeps_other_jupyter_keys(runs):
    """Deliberate: papermill's report mode replaces metadata.jupyter (it reads cell.jupyter,
    which is never there); nbexec only adds source_hidden."""
    pm_run = runs["report_mode_keeps_jupyter"]["papermill"]
    nx_run = runs["report_mode_keeps_jupyter"]["nbexec"]
    assert (pm_run.returncode, nx_run.returncode) == (0, 0)
    pm, nx = pm_run.nb, nx_run.nb
    assert pm["cells"][0]["metadata"]["jupyter"] == {"source_hidden": True}
    assert nx["cells"][0]["metadata"]["jupyter"] == {"outputs_hidden": True,
                                                     "source_hidden": True}
    assert pm["cells"][1]["metadata"]["jupyter"] == nx["cells"][1]["metadata"]["jupyter"]
    assert code_outputs(nx) == code_outputs(pm)


def test_runtime(runs):
    # Not a check of speed: the file's own budget, visible in -v output.
    total = {tool: sum(r[tool].seconds for r in runs.values()) for tool in ("papermill", "nbexec")}
    print(f"papermill {total['papermill']:.1f} s, nbexec {total['nbexec']:.1f} s in all")
