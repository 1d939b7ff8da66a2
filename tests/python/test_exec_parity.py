"""Cell outputs: nbexec against the real nbclient.

Two judges. First, the corpus in exec_corpus/ runs with nbclient and with nbexec, and every
code cell's outputs and execution_count must be the same JSON once written (nbformat's
writer splits text into lines; nbexec must split it the same way). Only memory addresses are
normalised: the corpus avoids anything else that changes between two runs. Second,
nbclient's own executed notebooks (../shared/corpus/nbclient) run with nbexec and are judged
the way nbclient's test_run_all_notebooks judges them.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from base64 import b64decode, b64encode
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import nbformat
import pytest
from exec_corpus.notebooks import CASES, KERNEL_COUNT
from helpers import CORPUS
from nbclient import NotebookClient

# Tracebacks wrap at the terminal width; nbclient's suite pins it, and so do both runs here.
TERMINAL = {"COLUMNS": "80", "LINES": "24"}


@pytest.fixture(scope="module")
def terminal_env():
    with pytest.MonkeyPatch.context() as patch:
        for key, value in TERMINAL.items():
            patch.setenv(key, value)
        yield


def start_nbexec(cli, src, out, work, *args, env=None):
    """Starts `nbexec run` in the background; its stderr goes to a file (a pipe could fill)."""
    log = open(work / f"{out.stem}.stderr", "w+")
    proc = subprocess.Popen([cli, "run", str(src), str(out), *map(str, args)],
                            stdout=subprocess.DEVNULL, stderr=log, text=True, env=env)
    proc.log = log
    return proc


def finish(proc, timeout=120):
    try:
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    proc.log.seek(0)
    proc.stderr_text = proc.log.read()
    proc.log.close()
    return proc


# ---------------------------------------------------------------------------------------------
# 1. The corpus, nbclient vs nbexec

ADDRESS = re.compile(r"0x[0-9a-f]{6,16}")


def normalise(value):
    # Default reprs (`<object at 0x7f...>`) hold addresses that differ between two processes.
    if isinstance(value, str):
        return ADDRESS.sub("0x<address>", value)
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    return value


def code_cells_as_written(nb_json):
    return {c["id"]: {"execution_count": c.get("execution_count"),
                      "outputs": normalise(c.get("outputs", []))}
            for c in nb_json["cells"] if c["cell_type"] == "code"}


def canonical(value) -> str:
    # Compared as text so that 1 vs 1.0 vs True, or a big integer turned into a float, differ.
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1)


def assert_same_cells(expected_nb, actual_nb, sources):
    expected = code_cells_as_written(expected_nb)
    actual = code_cells_as_written(actual_nb)
    assert list(actual) == list(expected), "nbexec's code cells are not nbclient's"
    wrong = [cell_id for cell_id in expected
             if canonical(actual[cell_id]) != canonical(expected[cell_id])]
    assert not wrong, "\n\n".join(
        f"cell {cell_id}:\n{sources[cell_id]}\n" + "\n".join(list(difflib.unified_diff(
            canonical(expected[cell_id]).splitlines(), canonical(actual[cell_id]).splitlines(),
            "nbclient", "nbexec", lineterm=""))[:80])
        for cell_id in wrong)


class Runs:
    """Runs each case once per module, nbexec in the background while nbclient runs here."""

    def __init__(self, cli, base):
        self.cli, self.base, self.done = cli, base, {}

    def __call__(self, case, papermill_counts=False):
        if case.name not in self.done:
            self.done[case.name] = self._run(case, papermill_counts)
        return self.done[case.name]

    def _run(self, case, papermill_counts):
        work = self.base / case.name
        # Separate working folders: both kernels write files (%%writefile) at the same time.
        for side in ("nbclient", "nbexec"):
            (work / side).mkdir(parents=True)
        nb = case.notebook()
        src = work / "input.ipynb"
        nbformat.write(nb, str(src))
        out = work / "nbexec.ipynb"
        errors = ["--allow-errors"] if case.allow_errors else []
        proc = start_nbexec(self.cli, src, out, work, "-k", "python3", "--cwd",
                            work / "nbexec", *errors)
        try:
            client = NotebookClient(nb, kernel_name="python3", allow_errors=case.allow_errors,
                                    resources={"metadata": {"path": str(work / "nbclient")}})
            if papermill_counts:
                # papermill's loop: execute_cell without execution_count keeps the kernel's.
                with client.setup_kernel():
                    for index, cell in enumerate(nb.cells):
                        client.execute_cell(cell, index)
            else:
                client.execute()
        finally:
            finish(proc)
        assert proc.returncode == 0, proc.stderr_text
        actual = json.loads(out.read_text(encoding="utf-8"))
        nbformat.validate(nbformat.reads(json.dumps(actual), as_version=4))
        # Written and parsed again so both sides are compared in their on-disk form.
        expected = json.loads(nbformat.writes(nb))
        sources = {c["id"]: c["source"] for c in nb.cells}
        return expected, actual, sources


@pytest.fixture(scope="module")
def runs(cli, tmp_path_factory, terminal_env):
    return Runs(cli, tmp_path_factory.mktemp("parity"))


# Differences found by this test whose fix lies outside the output builder. strict: an
# xfail that starts passing fails, so the mark goes when the fix lands.
KNOWN_DIFFERENCES = {
    "big_ints": "integers beyond 64 bits become doubles: nbexec parses kernel messages and "
                "notebooks with nlohmann::json, which has no big integers "
                "(2**64 + 1 is written as 1.8446744073709552e+19)",
}


@pytest.mark.parametrize("case", [
    pytest.param(case, id=case.name, marks=pytest.mark.xfail(
        strict=True, reason=KNOWN_DIFFERENCES[case.name])) if case.name in KNOWN_DIFFERENCES
    else pytest.param(case, id=case.name)
    for case in CASES])
def test_outputs_match_nbclient(runs, case):
    expected, actual, sources = runs(case)
    assert_same_cells(expected, actual, sources)


def test_execution_count_is_the_kernels_as_in_papermill(runs):
    # nbclient's execute() numbers cells 1, 2, 3...; papermill, like nbexec, keeps the count
    # the kernel reports, which this case makes jump by 10.
    expected, actual, sources = runs(KERNEL_COUNT, papermill_counts=True)
    assert [c.get("execution_count") for c in expected["cells"]] == [1, 2, 3, 14, 15]
    assert_same_cells(expected, actual, sources)


def test_corpus_covers_every_kind_of_output(runs):
    # Guards the corpus itself: each kind must really occur in nbclient's outputs.
    kinds, mimetypes, texts = set(), set(), []
    for case in (c for c in CASES if c.name not in KNOWN_DIFFERENCES):
        expected, _, _ = runs(case)
        for cell in expected["cells"]:
            for output in cell.get("outputs", []):
                kinds.add((output["output_type"], output.get("name")))
                mimetypes.update(output.get("data", {}))
                texts.append("".join(output.get("text", [])))
    assert kinds >= {("stream", "stdout"), ("stream", "stderr"), ("display_data", None),
                     ("execute_result", None), ("error", None)}
    assert mimetypes >= {"text/plain", "text/html", "text/markdown", "text/latex",
                         "application/json", "application/javascript", "image/svg+xml",
                         "image/png", "image/jpeg", "application/octet-stream",
                         "application/vnd.custom+json"}
    assert any("\r" in t for t in texts) and any("\u2028" in t for t in texts)
    assert max(map(len, texts)) > 1_000_000


# ---------------------------------------------------------------------------------------------
# 2. nbclient's own notebooks, judged as nbclient's test_run_all_notebooks judges them

NBCLIENT_FILES = CORPUS / "nbclient"

# Copied from nbclient's tests/test_client.py (nbconvert's strip_ansi regex inlined).
ADDR_PAT = re.compile(r"0x[0-9a-f]{7,9}")
IPYTHON_INPUT_PAT = re.compile(
    r"(<ipython-input-\d+-[0-9a-f]+>|<IPY-INPUT>) in (<module>|<cell line: \d>\(\))")
IPYTHON8_INPUT_PAT = re.compile(
    r"((Cell|Input) In\s?\[\d+\]|<IPY-INPUT>), (in )?(line \d|<module>|<cell line: \d>\(\))")
ANSI = re.compile("\x1b\\[(.*?)([@-~])")


def normalize_base64(b64_text):
    try:
        return b64encode(b64decode(b64_text.encode("ascii"))).decode("ascii")
    except (ValueError, TypeError):
        return b64_text


def normalize_output(output):
    """nbclient's normalize_output; the SVG is compared as canonical XML (nbclient parses it
    with xmltodict, which is not installed here: both ignore attribute order and blank text)."""
    output = json.loads(json.dumps(output))
    output.pop("metadata", None)
    if "text" in output:
        output["text"] = ADDR_PAT.sub("<HEXADDR>", output["text"])
    data = output.get("data", {})
    if "text/plain" in data:
        data["text/plain"] = ADDR_PAT.sub("<HEXADDR>", data["text/plain"])
    if "application/vnd.jupyter.widget-view+json" in data:
        data["application/vnd.jupyter.widget-view+json"]["model_id"] = "<MODEL_ID>"
    if "image/svg+xml" in data:
        # Not a str, as xmltodict's dict is not: the base64 step below must leave it alone.
        data["image/svg+xml"] = ["xml", ET.canonicalize(data["image/svg+xml"], strip_text=True)]
    for key, value in data.items():
        if isinstance(value, str):
            data[key] = normalize_base64(value)
    if "traceback" in output:
        output["traceback"] = [
            IPYTHON8_INPUT_PAT.sub("<IPY-INPUT>", IPYTHON_INPUT_PAT.sub("<IPY-INPUT>",
                                                                        ANSI.sub("", line)))
            for line in output["traceback"]]
    return output


def without_context_lines(output):
    """A traceback with only the `---->` line of each frame (see STORED_BY_OLDER_IPYTHON)."""
    if "traceback" in output:
        output["traceback"] = ["\n".join(line for line in entry.split("\n")
                                         if not re.match(r"\s+\d+ ", line))
                               for entry in output["traceback"]]
    return output


def streams_by_name(outputs):
    """Each run of consecutive stream outputs ordered stdout before stderr, order kept within a
    name: ipykernel flushes stdout and stderr on separate timers, so a cell that prints to both
    can publish them in either order (the stored notebooks come from one such draw)."""
    result, run = [], []
    for output in outputs + [None]:
        if output is not None and output.get("output_type") == "stream":
            run.append(output)
            continue
        result += sorted(run, key=lambda o: o.get("name") != "stdout")
        run = []
        if output is not None:
            result.append(output)
    return result


def assert_notebooks_equal(expected, actual, counts=True, context=True):
    # By position among code cells: nbexec may add banner (markdown) cells after an error.
    expected_cells = [c for c in expected.cells if c.cell_type == "code"]
    actual_cells = [c for c in actual.cells if c.cell_type == "code"]
    assert len(expected_cells) == len(actual_cells)
    for index, (want, got) in enumerate(zip(expected_cells, actual_cells)):
        want_outputs = [normalize_output(o) for o in want.get("outputs", [])]
        got_outputs = [normalize_output(o) for o in got.get("outputs", [])]
        if not context:
            want_outputs = [without_context_lines(o) for o in want_outputs]
            got_outputs = [without_context_lines(o) for o in got_outputs]
        want_outputs, got_outputs = streams_by_name(want_outputs), streams_by_name(got_outputs)
        assert got_outputs == want_outputs, f"code cell {index}"
        if counts:
            assert got.get("execution_count") == want.get("execution_count"), f"code cell {index}"


def has_option(cli, option):
    return option in subprocess.run([cli, "run", "--help"], capture_output=True,
                                    text=True).stdout


# The notebooks of nbclient's test_run_all_notebooks, with its per-notebook options as nbexec
# arguments (nbclient asks for kernel "python"; so does this). Left out, from that folder:
# - Autokill.ipynb kills its own kernel to test nbclient's dead-kernel error; it has no
#   outputs to compare, and test_cli_faults covers kernel death on a real ipykernel.
# - Output.ipynb needs ipywidgets and nbclient's Output-widget emulation, which captures
#   outputs through comm messages; nbexec ignores comm messages by design.
SUITE = {
    "Other Comms.ipynb": [],
    "Clear Output.ipynb": [],
    "Empty Cell.ipynb": [],
    "Factorials.ipynb": [],
    "HelloWorld.ipynb": [],
    "Inline Image.ipynb": [],
    "Interrupt.ipynb": ["--execution-timeout", "3", "--interrupt-on-timeout", "--allow-errors"],
    "JupyterWidgets.ipynb": [],
    "Skip Exceptions with Cell Tags.ipynb": [],
    "Skip Exceptions.ipynb": ["--allow-errors"],
    "Skip Execution with Cell Tag.ipynb": [],
    "SVG.ipynb": [],
    "Unicode.ipynb": [],
    "UnicodePy3.ipynb": [],
    "update-display-id.ipynb": [],
    "Check History in Memory.ipynb": [],
}
# nbclient's other tests use these; each gets the check that test makes (see below).
OTHERS = {"Error.ipynb": [], "Disable Stdin.ipynb": ["--allow-errors"], "Sleep1s.ipynb": []}
PARALLEL = ["Parallel Execute A.ipynb", "Parallel Execute B.ipynb"]

# nbclient itself fails this comparison with the installed IPython: the stored traceback was
# made by an IPython that showed two lines of context above the failing line, IPython 9 shows
# the whole cell. Everything else is compared, tracebacks without their context lines.
STORED_BY_OLDER_IPYTHON = {"Skip Exceptions with Cell Tags.ipynb"}

SUITE_DIFFERENCES: dict[str, str] = {}


# nbexec goes on after interrupting a cell past its deadline, as nbclient does, but then exits 3
# to say that a deadline passed (`nbexec run --help`); nbclient's execute() just returns.
EXIT_CODES = {"Interrupt.ipynb": 3}


def skip_reason(cli, name):
    if not NBCLIENT_FILES.is_dir():
        return f"{NBCLIENT_FILES} is absent (nbclient's notebooks live beside the project)"
    if name == "Interrupt.ipynb" and not has_option(cli, "--interrupt-on-timeout"):
        return "nbexec run has no --interrupt-on-timeout yet (nbclient runs it with one)"
    if name == "JupyterWidgets.ipynb" and importlib.util.find_spec("ipywidgets") is None:
        return "ipywidgets is not installed in the kernel's environment"
    return None


def inline_image_folder(base):
    """The corpus holds no python.png, which Inline Image.ipynb opens from its folder; the
    stored output is that file, base64-encoded, so it is rebuilt in a folder of its own."""
    nb = nbformat.read(str(NBCLIENT_FILES / "Inline Image.ipynb"), as_version=4)
    folder = base / "inline-image"
    folder.mkdir()
    (folder / "python.png").write_bytes(b64decode(nb.cells[1].outputs[0].data["image/png"]))
    return folder


@pytest.fixture(scope="module")
def suite_runs(cli, tmp_path_factory, terminal_env):
    """Runs them all up front, a few at a time: each run mostly waits on its kernel."""
    base = tmp_path_factory.mktemp("nbclient-suite")
    if not NBCLIENT_FILES.is_dir():
        return {}
    options = {**SUITE, **OTHERS}

    def launch(name, cwd=NBCLIENT_FILES, env=None):
        out = base / name
        return start_nbexec(cli, NBCLIENT_FILES / name, out, base, "-k", "python", "--cwd",
                            cwd, *options.get(name, []), env=env), out

    def run_one(name):
        cwd = inline_image_folder(base) if name == "Inline Image.ipynb" else NBCLIENT_FILES
        proc, out = launch(name, cwd)
        return finish(proc), out

    def run_pair():
        # They wait for each other through this folder, so they must run at the same time.
        shared = base / "parallel"
        shared.mkdir()
        env = dict(os.environ, NBEXECUTE_TEST_PARALLEL_TMPDIR=str(shared))
        started = {name: launch(name, env=env) for name in PARALLEL}
        return {name: (finish(proc), out) for name, (proc, out) in started.items()}

    names = [name for name in options if skip_reason(cli, name) is None]
    with ThreadPoolExecutor(max_workers=3) as pool:
        pair = pool.submit(run_pair)
        jobs = {name: pool.submit(run_one, name) for name in names}
        results = pair.result()
        results.update({name: job.result() for name, job in jobs.items()})
    return results


def suite_result(cli, suite_runs, name):
    reason = skip_reason(cli, name)
    if reason:
        pytest.skip(reason)
    proc, out = suite_runs[name]
    return proc, nbformat.read(str(NBCLIENT_FILES / name), as_version=4), \
        nbformat.read(str(out), as_version=4)


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=SUITE_DIFFERENCES[name]))
    if name in SUITE_DIFFERENCES else name
    for name in SUITE])
def test_nbclient_notebook(cli, suite_runs, name):
    proc, expected, actual = suite_result(cli, suite_runs, name)
    assert proc.returncode == EXIT_CODES.get(name, 0), proc.stderr_text
    assert_notebooks_equal(expected, actual, context=name not in STORED_BY_OLDER_IPYTHON)


def test_nbclient_parallel_notebooks(cli, suite_runs):
    # nbclient's test_parallel_notebooks only asks that both run cleanly: the last cell fails
    # unless the other notebook ran at the same time. The stored files were never executed,
    # so their execution counts are empty and only the (empty) outputs are compared.
    for name in PARALLEL:
        proc, expected, actual = suite_result(cli, suite_runs, name)
        assert proc.returncode == 0, proc.stderr_text
        assert_notebooks_equal(expected, actual, counts=False)


def test_nbclient_error_notebook_fails_with_its_error(cli, suite_runs):
    # nbclient's hook tests expect a CellExecutionError; nbexec's equivalent is exit 1. Its
    # stored traceback names the temp file of the kernel that made it (nbclient never compares
    # it), so the error is compared by name and message.
    proc, expected, actual = suite_result(cli, suite_runs, "Error.ipynb")
    assert proc.returncode == 1, proc.stderr_text
    [want_cell], [got_cell] = (
        [c for c in nb.cells if c.cell_type == "code"] for nb in (expected, actual))
    [want], [got] = want_cell.outputs, got_cell.outputs
    assert (got.output_type, got.ename, got.evalue) == (want.output_type, want.ename, want.evalue)
    assert got_cell.execution_count == want_cell.execution_count


def test_nbclient_disable_stdin(cli, suite_runs):
    # As nbclient's test_disable_stdin: the traceback names install paths, so only the error's
    # name and message are compared.
    proc, _, actual = suite_result(cli, suite_runs, "Disable Stdin.ipynb")
    assert proc.returncode == 0, proc.stderr_text
    [output] = actual.cells[0].outputs
    assert output.output_type == "error"
    assert output.ename == "StdinNotImplementedError"
    assert output.evalue == ("raw_input was called, but this frontend does not support input "
                             "requests.")


def test_nbclient_execution_timing(cli, suite_runs):
    # As nbclient's test_execution_timing: the cells print the kernel's clock before and after
    # a 1 s sleep, and metadata.execution must agree with it within 100 ms.
    proc, _, actual = suite_result(cli, suite_runs, "Sleep1s.ipynb")
    assert proc.returncode == 0, proc.stderr_text

    def parse(text):
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")

    timing = {k: parse(v) for k, v in actual.cells[1].metadata.execution.items()}
    cell_start = parse(actual.cells[2].outputs[0].text)
    cell_end = parse(actual.cells[3].outputs[0].text)
    delta = timedelta(milliseconds=100)
    assert timing["iopub.status.busy"] - cell_start < delta
    assert timing["iopub.execute_input"] - cell_start < delta
    assert timing["shell.execute_reply"] - cell_end < delta
    assert timing["iopub.status.idle"] - cell_end < delta
