"""Drop-in for papermill users: every papermill entry point, through papermill and through
nbexec, both with their default settings (issue 17).

- ``execute_notebook`` with each of papermill's keywords (``papermill.execute_notebook`` against
  ``nbexec.execute_notebook``, in this process);
- ``inspect_notebook``;
- the command line: ``papermill IN OUT ...`` against ``nbexec IN OUT ...`` (papermill's form,
  no ``run``), option by option.

Both must give the same outcome (success, or a failure whose exception class maps to
nbexec's), the same injected cells and ``metadata.papermill.parameters``, the same output
notebook (compared as tests/python/papermill_compare.py does: times, ids and memory addresses
aside), the same stream files and the same "Passed unknown parameter: NAME" warnings. Among the
cases are the ones papermill accepts that nbexec's strict check refuses: a name the parameters
cell does not declare, parameters for a notebook without a parameters cell, a string for a
parameter whose default is an int, one parameter set passed to several notebooks. The last
tests check the switch that turns nbexec's check back on (``strict_parameters=True``,
``--strict-parameters``, ``NBEXEC_STRICT_PARAMETERS=1``) and that ``nbexec run`` stays strict.

All runs start at once on a few threads (papermill's CLI takes 2-3 s to start). nbexec's
Python runs hold one lock, so that the records on the "nbexec" logger (emitted from the run's
own worker thread) belong to one run; papermill's records are told apart by thread.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import logging
import os
import subprocess
import threading
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import nbformat
import pytest
from helpers import make_notebook
from nbformat.v4 import new_markdown_cell
from papermill_compare import (
    ENV,
    PAPERMILL_NOTEBOOKS,
    PAPERMILL_PARAMETERS,
    assert_same_notebook,
    check_banner,
    check_file_layout,
    code_outputs,
    need_corpus,
    normalise,
    papermill_command,
    strip_ansi,
    text,
)

papermill = pytest.importorskip("papermill")
import jupyter_client.kernelspec  # noqa: E402
import nbclient.exceptions  # noqa: E402
import papermill.exceptions  # noqa: E402
import papermill.iorw  # noqa: E402

import nbexec  # noqa: E402

STRICT_ENV = "NBEXEC_STRICT_PARAMETERS"
# papermill's exception classes and the nbexec classes that stand for them.
EXCEPTIONS = {
    papermill.exceptions.PapermillExecutionError: nbexec.PapermillExecutionError,
    nbclient.exceptions.CellTimeoutError: nbexec.TimeoutError,
    nbclient.exceptions.DeadKernelError: nbexec.KernelDiedError,
    papermill.exceptions.PapermillMissingParameterException: nbexec.ParameterError,
    jupyter_client.kernelspec.NoSuchKernel: nbexec.KernelNotFoundError,
}
UNKNOWN = "Passed unknown parameter: "
NO_PARAMETERS_CELL = "Input notebook does not contain a cell with tag 'parameters'"


# ---------------------------------------------------------------------------------------------
# Notebooks of our own (papermill's are in ../shared/corpus/papermill)

PARAMETERS = 'var = 1\nmsg = "hello"\nratio = 0.5  # a share'


def declared():
    """A parameters cell with an int, a str and a float; cells that show what they got."""
    return make_notebook([
        "import sys\nprint('var', repr(var), type(var).__name__)",
        "print('msg', msg, file=sys.stderr)",
        new_markdown_cell("## Result"),
        "{'ratio': ratio, 'more': globals().get('undeclared')}",
    ], parameters_cell=PARAMETERS)


def undeclared():
    """No cell tagged parameters: papermill injects at the top."""
    return make_notebook(["print('var is', globals().get('var'))",
                          "print('msg is', globals().get('msg'))"])


def failing():
    return make_notebook(["values = list(range(n))", "print(values)\nvalues[n]",
                          "print('never')"], parameters_cell="n = 1")


def sleeping():
    return make_notebook(["print('start')", "import time\ntime.sleep(30)", "print('never')"])


def dying():
    return make_notebook(["print('start')", "import os\nos._exit(1)", "print('never')"])


def in_cwd():
    return make_notebook(["import os\nprint(os.path.basename(os.getcwd()))",
                          "print(open('data.txt').read())"], parameters_cell="var = 1")


def paths():
    return make_notebook(["print(PAPERMILL_INPUT_PATH.endswith('paths.ipynb'))",
                          "print(globals().get('PAPERMILL_OUTPUT_PATH'))"])


NOTEBOOKS = {f.__name__: f for f in (declared, undeclared, failing, sleeping, dying, in_cwd,
                                     paths)}
SHARED = {"var": 5, "msg": "shared", "ratio": 0.25}  # one parameter set for several notebooks
YAML = "var: 8\nmsg: from yaml\nnested: {a: [1, 2]}\n"


def corpus(name):
    return f"corpus:{name}"


# ---------------------------------------------------------------------------------------------
# execute_notebook


@dataclass
class ApiCase:
    name: str
    notebook: str  # a key of NOTEBOOKS or corpus(file)
    kwargs: dict = field(default_factory=dict)  # papermill's keywords but the two paths
    input_as: str = "str"  # "str", "path" (pathlib.Path) or "node" (a NotebookNode)
    output: Optional[str] = "out.ipynb"  # in the run's own folder; None: output_path=None
    error: Optional[type] = None  # papermill's exception class; None: success
    unknown: tuple = ()  # the names both must warn about
    deliberate: str = ""  # why the notebooks are compared by a test of their own
    streams: bool = False  # stdout_file / stderr_file as StringIO objects
    logs: bool = False  # log_output: compare the records of cell outputs

    @property
    def corpus(self):
        return self.notebook.startswith("corpus:")


API_CASES = [
    ApiCase("str_paths", "declared", {"parameters": {"var": 2, "msg": "two"}}),
    # papermill's own case (tests/test_execute.py): a str for an int default runs as given.
    ApiCase("str_for_int", corpus("nb_version_4.4.ipynb"), {"parameters": {"var": "It works"}},
            input_as="path"),
    ApiCase("str_for_int_own", "declared", {"parameters": {"var": "It works", "ratio": 3}},
            input_as="path"),
    ApiCase("unknown_name", "declared", {"parameters": {"var": 2, "undeclared": [1, 2]}},
            unknown=("undeclared",)),
    ApiCase("no_parameters_cell", "undeclared", {"parameters": {"var": 3, "msg": "top"}},
            unknown=("var", "msg")),
    ApiCase("no_parameters_cell_corpus", corpus("no_parameters.ipynb"),
            {"parameters": {"msg": "injected"}}, unknown=("msg",)),
    ApiCase("notebook_node", "declared", {"parameters": {"var": 4}}, input_as="node",
            deliberate="papermill records the input notebook itself as input_path"),
    ApiCase("output_template", "declared", {"parameters": {"var": 6, "msg": "tpl"}},
            output="out-{var}-{msg}.ipynb"),
    ApiCase("output_none", "declared", {"parameters": {"var": 7}}, output=None),
    ApiCase("yaml_file", "declared", {"parameters": "PARAMS_YAML"}, unknown=("nested",)),
    ApiCase("yaml_file_corpus", corpus("simple_execute.ipynb"), {"parameters": "EXAMPLE_YAML"},
            unknown=("foo", "bar", "baz", "a_date")),
    ApiCase("engine_options", "in_cwd", {
        "parameters": {"var": 9}, "engine_name": "nbclient", "request_save_on_cell_execute": False,
        "kernel_name": "python3", "language": "python", "start_timeout": 30, "cwd": "CWD",
        "report_mode": True, "execution_timeout": 60, "autosave_cell_every": 1,
        "progress_bar": False}),
    ApiCase("prepare_only", "declared", {"parameters": {"var": 1, "extra": "x"},
                                         "prepare_only": True}, unknown=("extra",)),
    ApiCase("prepare_only_corpus", corpus("broken1.ipynb"), {"prepare_only": True}),
    ApiCase("streams_and_logs", "declared", {"parameters": {"msg": "logged"}, "log_output": True,
                                             "progress_bar": True}, streams=True, logs=True),
    ApiCase("progress_bar_dict", "declared", {"progress_bar": {"desc": "Training"}},
            streams=True),
    ApiCase("failing", "failing", {"parameters": {"n": 3}, "log_output": True},
            error=papermill.exceptions.PapermillExecutionError),
    ApiCase("failing_corpus", corpus("broken1.ipynb"),
            error=papermill.exceptions.PapermillExecutionError),
    ApiCase("sysexit1_corpus", corpus("sysexit1.ipynb"),
            error=papermill.exceptions.PapermillExecutionError),
    ApiCase("missing_path_parameter", "declared", {"parameters": {"var": 1}},
            output="out-{missing}.ipynb",
            error=papermill.exceptions.PapermillMissingParameterException),
    ApiCase("missing_kernel", "declared", {"kernel_name": "no-such-kernel"},
            error=jupyter_client.kernelspec.NoSuchKernel,
            deliberate="bad input: nbexec writes nothing, papermill may have saved"),
    ApiCase("timeout", "sleeping", {"execution_timeout": 2},
            error=nbclient.exceptions.CellTimeoutError,
            deliberate="a cell cut short by its deadline has failed"),
    ApiCase("dead_kernel", "dying", error=nbclient.exceptions.DeadKernelError,
            deliberate="a cell cut short by the kernel's death has failed"),
] + [
    # One parameter set (the same dict object) for several notebooks, as a sweep passes it.
    ApiCase(f"shared_{name}", notebook, {"parameters": SHARED},
            unknown=tuple(n for n in SHARED if n not in known))
    for name, notebook, known in [
        ("declared", "declared", SHARED),
        ("undeclared", "undeclared", ()),
        ("simple_execute", corpus("simple_execute.ipynb"), ("msg",)),
        ("nb_version_4.4", corpus("nb_version_4.4.ipynb"), ("var",)),
        ("report_mode_test", corpus("report_mode_test.ipynb"), ()),
    ]
]


@dataclass
class ApiRun:
    tool: str
    folder: Path
    input_path: Any
    output_path: Optional[str]
    returned: Any = None
    error: Optional[BaseException] = None
    records: list = field(default_factory=list)  # (levelname, message) on the tool's logger
    stdout: str = ""
    stderr: str = ""
    progress: str = ""
    parameters_after: Any = None  # the parameters argument after the call

    @property
    def nb(self):
        return json.loads(Path(self.output_path).read_text(encoding="utf-8"))

    @property
    def warnings(self):
        return [m for level, m in self.records if level == "WARNING"]


class _Records(logging.Handler):
    """papermill's records by thread; nbexec's for the one run that holds NBEXEC_LOCK."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.by_thread: dict[int, list] = {}
        self.current: Optional[list] = None

    def emit(self, record):
        entry = (record.levelname, record.getMessage())
        if record.name.startswith("nbexec"):
            if self.current is not None:
                self.current.append(entry)
        else:
            self.by_thread.setdefault(record.thread, []).append(entry)


NBEXEC_LOCK = threading.Lock()


class _ChdirGuard:
    """papermill's execute_notebook runs inside ``papermill.utils.chdir(cwd)``, which restores
    the directory it found on exit even when ``cwd`` is None: a papermill run that ends while
    another is inside its ``cwd`` moves that one's kernel to the wrong directory. Runs with a
    ``cwd`` therefore run alone; the others (nbexec's included, whose kernels start in this
    process's directory) run together."""

    def __init__(self):
        self._state = threading.Condition()
        self._sharing = 0
        self._alone = False

    @contextmanager
    def hold(self, alone: bool):
        with self._state:
            self._state.wait_for(lambda: not self._alone and (not alone or not self._sharing))
            if alone:
                self._alone = True
            else:
                self._sharing += 1
        try:
            yield
        finally:
            with self._state:
                if alone:
                    self._alone = False
                else:
                    self._sharing -= 1
                self._state.notify_all()


PAPERMILL_CHDIR = _ChdirGuard()


def _resolve(value, inputs, tool="nbexec"):
    if value in ("PARAMS_YAML", "EXAMPLE_YAML"):
        path = str(inputs / "params.yaml" if value == "PARAMS_YAML"
                   else PAPERMILL_PARAMETERS / "example.yaml")
        # papermill's execute_notebook takes a dict only (it formats the paths with the
        # parameters first); its CLI reads the file with read_yaml_file, which nbexec's
        # execute_notebook does for a path.
        return papermill.iorw.read_yaml_file(path) if tool == "papermill" else path
    if value == "CWD":
        return str(inputs / "data")
    return value


def _source(notebook, inputs):
    if notebook.startswith("corpus:"):
        return PAPERMILL_NOTEBOOKS / notebook.split(":", 1)[1]
    return inputs / f"{notebook}.ipynb"


def run_api(tool, case, base, inputs, handler):
    module = papermill if tool == "papermill" else nbexec
    folder = base / "api" / case.name / tool
    folder.mkdir(parents=True)
    source = _source(case.notebook, inputs)
    if case.input_as == "node":
        input_path = nbformat.read(str(source), as_version=4)
    else:
        input_path = source if case.input_as == "path" else str(source)
    output_path = None
    if case.output is not None:
        output_path = folder / case.output
        output_path = output_path if case.input_as == "path" else str(output_path)
    kwargs = {k: _resolve(v, inputs, tool) for k, v in case.kwargs.items()}
    out, err, bar = io.StringIO(), io.StringIO(), io.StringIO()
    if case.streams:
        kwargs.update(stdout_file=out, stderr_file=err)
    if isinstance(kwargs.get("progress_bar"), dict):
        kwargs["progress_bar"] = {**kwargs["progress_bar"], "file": bar}
    run = ApiRun(tool, folder, input_path, None if output_path is None else str(output_path))

    def call():
        try:
            run.returned = module.execute_notebook(input_path, output_path, **kwargs)
        except Exception as error:  # compared with the other tool's
            run.error = error

    if tool == "nbexec":
        # Kernels start in this process's directory unless given cwd: not while papermill has
        # moved it.
        with NBEXEC_LOCK, PAPERMILL_CHDIR.hold(alone=False):
            handler.current = run.records
            try:
                call()
            finally:
                handler.current = None
    else:
        handler.by_thread.pop(threading.get_ident(), None)
        with PAPERMILL_CHDIR.hold(alone="cwd" in kwargs):
            call()
        run.records = handler.by_thread.pop(threading.get_ident(), [])
    run.stdout, run.stderr, run.progress = out.getvalue(), err.getvalue(), bar.getvalue()
    run.parameters_after = kwargs.get("parameters")
    if run.output_path is not None and "{" in case.output and case.error is None:
        # The path as both fill it in (papermill's str.format).
        run.output_path = run.output_path.format(**kwargs["parameters"])
    return run


# ---------------------------------------------------------------------------------------------
# The command line


@dataclass
class CliCase:
    name: str
    notebook: str
    args: tuple = ()
    exit_codes: tuple = (0, 0)  # papermill's, nbexec's
    unknown: tuple = ()
    files: tuple = ()  # files both write in the run's folder, compared byte for byte
    compare: bool = True  # compare the output notebooks
    output: str = "out.ipynb"

    @property
    def corpus(self):
        return self.notebook.startswith("corpus:")


B64 = base64.b64encode(b"msg: from base64\nratio: 0.75\n").decode()

CLI_CASES = [
    CliCase("unknown_name", "declared", ("-p", "var", "2", "-p", "undeclared", "3"),
            unknown=("undeclared",)),
    CliCase("str_for_int", "declared", ("-p", "var", "It works")),
    CliCase("str_for_int_corpus", corpus("nb_version_4.4.ipynb"), ("-p", "var", "It works")),
    # -y is read before -p, whatever the order on the command line.
    CliCase("no_parameters_cell", "undeclared", ("-p", "var", "5", "-y", "msg: [1, 2]"),
            unknown=("msg", "var")),
    # Every parameter source at once, merged in papermill's order (-b, -f, -y, -p, -r).
    CliCase("sources", "declared", ("-b", B64, "-f", "PARAMS_YAML", "-y", "ratio: 0.125",
                                    "-p", "var", "10", "-r", "msg", "007", "--inject-paths"),
            unknown=("PAPERMILL_INPUT_PATH", "PAPERMILL_OUTPUT_PATH", "nested")),
    CliCase("corpus_yaml", corpus("simple_execute.ipynb"), ("-f", "EXAMPLE_YAML", "-p", "msg",
                                                            "yes"),
            unknown=("foo", "bar", "baz", "a_date")),
    CliCase("inject_input_path", "paths", ("--inject-input-path",),
            unknown=("PAPERMILL_INPUT_PATH",)),
    CliCase("inject_output_path", "paths", ("--inject-input-path", "--inject-output-path"),
            unknown=("PAPERMILL_INPUT_PATH", "PAPERMILL_OUTPUT_PATH")),
    CliCase("engine_options", "in_cwd", (
        "-p", "var", "3", "--engine", "nbclient", "-k", "python3", "-l", "python", "--cwd",
        "CWD", "--no-request-save-on-cell-execute", "--autosave-cell-every", "1",
        "--start-timeout", "30", "--execution-timeout", "60", "--report-mode",
        "--no-log-output", "--progress-bar")),
    CliCase("stream_files", "declared", ("-p", "msg", "to a file", "--stdout-file", "so.txt",
                                         "--stderr-file", "se.txt",
                                         "--request-save-on-cell-execute", "--no-report-mode"),
            files=("so.txt", "se.txt")),
    CliCase("log_output", "declared", ("-p", "undeclared", "1", "--log-output",
                                       "--no-progress-bar", "--prepare-execute"),
            unknown=("undeclared",)),
    CliCase("log_level_error", "declared", ("-p", "undeclared", "1", "--log-level", "ERROR")),
    CliCase("prepare_only", "declared", ("-p", "var", "4", "-p", "extra", "x", "--prepare-only"),
            unknown=("extra",)),
    CliCase("failing", "failing", ("-p", "n", "3"), exit_codes=(1, 1)),
    CliCase("timeout", "sleeping", ("--execution-timeout", "2"), exit_codes=(1, 3),
            compare=False),
    CliCase("help_notebook", "declared", ("--help-notebook",), compare=False),
    CliCase("help_notebook_none", "undeclared", ("--help-notebook",), exit_codes=(1, 1),
            compare=False),
    CliCase("version", "declared", ("--version",), compare=False),
] + [
    CliCase(f"shared_{name}", notebook, ("-p", "var", "5", "-p", "msg", "shared"),
            unknown=tuple(n for n in ("var", "msg") if n not in known))
    for name, notebook, known in [
        ("undeclared", "undeclared", ()),
        ("simple_execute", corpus("simple_execute.ipynb"), ("msg",)),
    ]
]


@dataclass
class CliRun:
    tool: str
    input_path: str
    folder: Path
    output: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def nb(self):
        return json.loads(self.output.read_text(encoding="utf-8"))


def tool_env():
    """The environment both tools get: no strictness switch, the same terminal width."""
    env = {k: v for k, v in os.environ.items() if k != STRICT_ENV}
    env.update(ENV)
    return env


def run_cli(tool, command, case, base, inputs):
    folder = base / "cli" / case.name / tool
    folder.mkdir(parents=True)
    source = str(_source(case.notebook, inputs))
    args = [_resolve(a, inputs) for a in case.args]
    proc = subprocess.run([*command, source, case.output, *args], cwd=folder, env=tool_env(),
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    return CliRun(tool, source, folder, folder / case.output, proc.returncode, proc.stdout,
                  proc.stderr)


# ---------------------------------------------------------------------------------------------
# All runs, at once


@pytest.fixture(scope="module")
def runs(cli, tmp_path_factory):
    base = tmp_path_factory.mktemp("papermill-differential")
    inputs = base / "inputs"
    (inputs / "data").mkdir(parents=True)
    (inputs / "data" / "data.txt").write_text("read from the working directory\n")
    (inputs / "params.yaml").write_text(YAML)
    for name, build in NOTEBOOKS.items():
        nbformat.write(build(), str(inputs / f"{name}.ipynb"))
    have_corpus = PAPERMILL_NOTEBOOKS.is_dir()
    api_cases = [c for c in API_CASES if have_corpus or not c.corpus]
    cli_cases = [c for c in CLI_CASES if have_corpus or not c.corpus]
    commands = {"papermill": papermill_command(), "nbexec": [cli]}

    saved = {k: os.environ.get(k) for k in (STRICT_ENV, *ENV)}
    os.environ.pop(STRICT_ENV, None)
    os.environ.update(ENV)  # the kernels started in this process inherit it
    handler = _Records()
    loggers = [logging.getLogger("papermill"), logging.getLogger("nbexec")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    shared_before = copy.deepcopy(SHARED)
    try:
        # papermill's CLI is the slowest to start: its runs go first.
        with ThreadPoolExecutor(max_workers=5) as pool:
            cli_futures = {(c.name, tool): pool.submit(run_cli, tool, commands[tool], c, base,
                                                       inputs)
                           for c in cli_cases for tool in ("papermill", "nbexec")}
            api_futures = {(c.name, tool): pool.submit(run_api, tool, c, base, inputs, handler)
                           for c in api_cases for tool in ("papermill", "nbexec")}
            results = {"cli": {}, "api": {}}
            for kind, futures in (("cli", cli_futures), ("api", api_futures)):
                for (name, tool), future in futures.items():
                    results[kind].setdefault(name, {})[tool] = future.result()
    finally:
        for lg, level in zip(loggers, levels):
            lg.removeHandler(handler)
            lg.setLevel(level)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    results["shared_unchanged"] = SHARED == shared_before
    results["inputs"] = inputs
    return results


def api_pair(runs, name):
    case = next(c for c in API_CASES if c.name == name)
    if case.corpus:
        need_corpus()
    return case, runs["api"][name]["papermill"], runs["api"][name]["nbexec"]


def cli_pair(runs, name):
    case = next(c for c in CLI_CASES if c.name == name)
    if case.corpus:
        need_corpus()
    return case, runs["cli"][name]["papermill"], runs["cli"][name]["nbexec"]


def as_dict(nb):
    """A returned notebook as plain JSON. papermill's NotebookNode keeps nbformat's in-memory
    orig_nbformat(_minor) of an upgraded input, which no writer writes."""
    nb = json.loads(json.dumps(nb, default=lambda o: None))
    for key in ("orig_nbformat", "orig_nbformat_minor"):
        nb["metadata"].pop(key, None)
    return nb


def assert_mapped_exception(pm_error, nx_error):
    """The one allowed difference: the class. papermill's maps to nbexec's."""
    assert pm_error is not None and nx_error is not None, (pm_error, nx_error)
    expected = EXCEPTIONS[type(pm_error)]
    assert isinstance(nx_error, expected), (type(pm_error), type(nx_error), str(nx_error))
    if isinstance(pm_error, papermill.exceptions.PapermillExecutionError):
        for attr in ("cell_index", "exec_count", "ename", "evalue", "source"):
            assert getattr(nx_error, attr) == getattr(pm_error, attr), attr
        assert normalise(list(nx_error.traceback)) == normalise(list(pm_error.traceback))
        assert normalise(str(nx_error)) == normalise(str(pm_error))
        # papermill is imported here, so nbexec's error is papermill's class too.
        assert isinstance(nx_error, papermill.exceptions.PapermillExecutionError)


def unknown_warnings(messages):
    return [m for m in messages if m.startswith(UNKNOWN)]


# ---------------------------------------------------------------------------------------------
# execute_notebook: the tests


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in API_CASES])
def test_execute_notebook_same_outcome(runs, case):
    case, pm_run, nx_run = api_pair(runs, case.name)
    if case.error is None:
        assert pm_run.error is None, repr(pm_run.error)
        assert nx_run.error is None, repr(nx_run.error)
    else:
        assert isinstance(pm_run.error, case.error), repr(pm_run.error)
        assert_mapped_exception(pm_run.error, nx_run.error)
    # The same "Passed unknown parameter" warnings, in the same order, on both loggers.
    expected = [UNKNOWN + name for name in case.unknown]
    assert unknown_warnings(pm_run.warnings) == expected
    assert unknown_warnings(nx_run.warnings) == expected
    assert pm_run.stdout == nx_run.stdout and pm_run.stderr == nx_run.stderr


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in API_CASES
                                  if not c.deliberate and c.output is not None
                                  and c.name != "missing_path_parameter"])
def test_execute_notebook_same_notebook(runs, case):
    case, pm_run, nx_run = api_pair(runs, case.name)
    pm, nx = pm_run.nb, nx_run.nb
    check_file_layout(pm_run.output_path, pm, "papermill")
    check_file_layout(nx_run.output_path, nx, "nbexec")
    nbformat.validate(nbformat.from_dict(copy.deepcopy(nx)))
    versions = (papermill.__version__, nbexec.__version__)
    assert_same_notebook(pm, nx, pm_input=str(pm_run.input_path),
                         nx_input=str(nx_run.input_path), output_path=..., versions=versions)
    # Each records the output path it was given, filled in.
    assert pm["metadata"]["papermill"]["output_path"] == pm_run.output_path
    assert nx["metadata"]["papermill"]["output_path"] == nx_run.output_path
    if case.error is None:
        # The notebook returned is the one written.
        assert_same_notebook(as_dict(pm_run.returned), as_dict(nx_run.returned), pm_input=...,
                             nx_input=..., output_path=..., versions=versions)
        assert as_dict(nx_run.returned) == as_dict(nbformat.reads(json.dumps(nx), as_version=4))
    else:
        failing = next(c for c in nx["cells"]
                       if c["metadata"].get("papermill", {}).get("status") == "failed")
        check_banner(nx, failing["execution_count"])


def injected(nb):
    return [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]


def test_parameters_papermill_accepts_are_injected_as_papermill_injects_them(runs):
    """The cases nbexec used to refuse, spelled out (the comparison above covers them too)."""
    _, pm_run, nx_run = api_pair(runs, "unknown_name")
    for run in (pm_run, nx_run):
        nb = run.nb
        assert text(injected(nb)[0]["source"]) == "# Parameters\nvar = 2\nundeclared = [1, 2]\n"
        assert nb["metadata"]["papermill"]["parameters"] == {"var": 2, "undeclared": [1, 2]}
        assert text(code_outputs(nb)[-1]["outputs"][0]["data"]["text/plain"]) == (
            "{'ratio': 0.5, 'more': [1, 2]}")
    _, pm_run, nx_run = api_pair(runs, "no_parameters_cell")
    for run in (pm_run, nx_run):
        nb = run.nb
        assert nb["cells"][0]["metadata"]["tags"] == ["injected-parameters"]
        assert text(nb["cells"][0]["source"]) == '# Parameters\nvar = 3\nmsg = "top"\n'
        assert NO_PARAMETERS_CELL in run.warnings, (run.tool, run.warnings)
    _, pm_run, nx_run = api_pair(runs, "str_for_int_own")
    for run in (pm_run, nx_run):
        assert code_outputs(run.nb)[2]["outputs"][0]["text"] == "var 'It works' str\n"
    # nbexec says why the value contradicts the default; papermill says nothing.
    assert not any("var" in m for m in pm_run.warnings)
    assert any("var" in m for m in nx_run.warnings), nx_run.warnings


def test_one_parameter_set_for_several_notebooks(runs):
    assert runs["shared_unchanged"], "execute_notebook changed the parameters dict it was given"
    for name in ("shared_declared", "shared_undeclared"):
        _, pm_run, nx_run = api_pair(runs, name)
        assert pm_run.nb["metadata"]["papermill"]["parameters"] == SHARED
        assert nx_run.nb["metadata"]["papermill"]["parameters"] == SHARED
        assert pm_run.parameters_after is nx_run.parameters_after is SHARED


def test_parameters_file(runs, tmp_path):
    """nbexec's execute_notebook reads a parameters path as papermill's CLI reads -f; papermill's
    own execute_notebook takes a dict only (add_builtin_parameters updates a dict with it)."""
    _, pm_run, nx_run = api_pair(runs, "yaml_file")
    assert isinstance(pm_run.parameters_after, dict) and isinstance(nx_run.parameters_after, str)
    assert nx_run.nb["metadata"]["papermill"]["parameters"] == {
        "var": 8, "msg": "from yaml", "nested": {"a": [1, 2]}}
    with pytest.raises(ValueError):
        papermill.execute_notebook(nx_run.input_path, str(tmp_path / "out.ipynb"),
                                   parameters=nx_run.parameters_after, progress_bar=False)
    assert not (tmp_path / "out.ipynb").exists()


def test_notebook_node_input(runs):
    """Deliberate (docs/python.md): papermill records the input notebook object itself as
    input_path; nbexec records null. The rest is the same."""
    _, pm_run, nx_run = api_pair(runs, "notebook_node")
    pm, nx = pm_run.nb, nx_run.nb
    assert isinstance(pm["metadata"]["papermill"]["input_path"], dict)
    assert nx["metadata"]["papermill"]["input_path"] is None
    assert_same_notebook(pm, nx, pm_input=..., nx_input=None, output_path=...,
                         versions=(papermill.__version__, nbexec.__version__))


def test_output_paths_filled_in_or_none(runs):
    _, pm_run, nx_run = api_pair(runs, "output_template")
    for run in (pm_run, nx_run):
        assert run.output_path.endswith("out-6-tpl.ipynb") and Path(run.output_path).is_file()
    _, pm_run, nx_run = api_pair(runs, "output_none")
    for run in (pm_run, nx_run):
        assert run.error is None and not any(run.folder.iterdir()), run.tool
    assert_same_notebook(as_dict(pm_run.returned), as_dict(nx_run.returned),
                         pm_input=str(pm_run.input_path), nx_input=str(nx_run.input_path),
                         output_path=None, versions=(papermill.__version__, nbexec.__version__))
    _, pm_run, nx_run = api_pair(runs, "missing_path_parameter")
    assert "missing" in str(pm_run.error) and "missing" in str(nx_run.error)
    for run in (pm_run, nx_run):
        assert not any(run.folder.iterdir()), run.tool


def test_stream_files_and_logged_outputs(runs):
    _, pm_run, nx_run = api_pair(runs, "streams_and_logs")
    assert nx_run.stdout == pm_run.stdout == "var 1 int\n"
    assert nx_run.stderr == pm_run.stderr == "msg logged\n"
    # log_output: each output's text on the tool's logger, at papermill's levels.
    outputs = {"var 1 int\n", "msg logged\n", "{'ratio': 0.5, 'more': None}"}
    pm_logged = [r for r in pm_run.records if r[1] in outputs]
    nx_logged = [r for r in nx_run.records if r[1] in outputs]
    assert pm_logged == [("INFO", "var 1 int\n"), ("WARNING", "msg logged\n"),
                         ("INFO", "{'ratio': 0.5, 'more': None}")]
    assert nx_logged == pm_logged


def _lines(run, *starts):
    out = run.output_path
    return [m.replace(out, "OUT") for _, m in run.records if m.startswith(starts)]


def test_logged_notebook_paths(runs):
    _, pm_run, nx_run = api_pair(runs, "streams_and_logs")
    starts = ("Input Notebook:", "Output Notebook:", "Input notebook:", "Output notebook:")
    assert _lines(pm_run, *starts) == [f"Input Notebook:  {pm_run.input_path}",
                                       "Output Notebook: OUT"]
    assert _lines(nx_run, *starts) == _lines(pm_run, *starts)


def test_logged_cell_separators(runs):
    _, pm_run, nx_run = api_pair(runs, "streams_and_logs")
    code = [i + 1 for i, c in enumerate(pm_run.nb["cells"]) if c["cell_type"] == "code"]
    expected = [line for n in code for line in (f"Executing Cell {n:-<40}",
                                                 f"Ending Cell {n:-<43}")]
    pm_lines = _lines(pm_run, "Executing Cell", "Ending Cell")
    assert [line for line in pm_lines if int(line.split()[2].strip("-")) in code] == expected
    # Every cell is framed, markdown included, in papermill's order, between the outputs.
    assert len(pm_lines) == 2 * len(pm_run.nb["cells"]) > len(expected)
    assert _lines(nx_run, "Executing Cell", "Ending Cell") == pm_lines


def test_progress_bar_dict(runs):
    _, pm_run, nx_run = api_pair(runs, "progress_bar_dict")
    for run in (pm_run, nx_run):
        last = run.progress.rsplit("\r", 1)[-1]
        assert last.startswith("Training: 100%") and "5/5" in last, (run.tool, run.progress)
        assert "cell/s" in last


def test_execution_error_fields(runs):
    _, pm_run, nx_run = api_pair(runs, "failing")
    error = nx_run.error
    assert (error.cell_index, error.exec_count, error.ename, error.evalue) == (
        3, 4, "IndexError", "list index out of range")
    assert str(error).startswith("\n" + "-" * 75 + '\nException encountered at "In [4]":\n')
    assert "\x1b" not in str(error) and str(error).endswith("\n")
    assert strip_ansi(str(error)) == str(error)


def test_missing_kernel_writes_nothing(runs):
    """Deliberate (ARCHITECTURE.md, bad input): nbexec refuses before writing anything."""
    _, pm_run, nx_run = api_pair(runs, "missing_kernel")
    assert "no-such-kernel" in str(pm_run.error) and "no-such-kernel" in str(nx_run.error)
    assert not any(nx_run.folder.iterdir())


def test_logged_outputs_of_a_failing_cell(runs):
    """Deliberate (docs/python.md, Logging): nbexec also logs the error output at ERROR;
    papermill's log_output_message logs streams and text/plain only."""
    _, pm_run, nx_run = api_pair(runs, "failing")
    outputs = ("[0, 1, 2]\n", "IndexError: list index out of range")
    pm_logged = [r for r in pm_run.records if r[1] in outputs]
    nx_logged = [r for r in nx_run.records if r[1] in outputs]
    assert pm_logged == [("INFO", "[0, 1, 2]\n")]
    assert nx_logged == pm_logged + [("ERROR", "IndexError: list index out of range")]


def test_cut_short_runs_save_the_notebook(runs):
    """Deliberate (docs/papermill-differences.md): the cell cut short is failed in nbexec,
    completed in papermill; both save what ran before it."""
    for name in ("timeout", "dead_kernel"):
        _, pm_run, nx_run = api_pair(runs, name)
        pm, nx = pm_run.nb, nx_run.nb
        assert code_outputs(nx)[0] == code_outputs(pm)[0]
        assert nx["cells"][1]["metadata"]["papermill"]["status"] == "failed"
        assert pm["cells"][1]["metadata"]["papermill"]["status"] == "completed"


# ---------------------------------------------------------------------------------------------
# inspect_notebook


INSPECTED = [("declared", None), ("failing", None), ("undeclared", None),
             (corpus("complex_parameters.ipynb"), None), (corpus("simple_execute.ipynb"), None),
             (corpus("no_parameters.ipynb"), None), (corpus("nb_version_4.4.ipynb"), None),
             ("{name}", {"name": "declared"}), ("{name}", {"name": "failing", "unused": 1})]


@pytest.mark.parametrize("notebook, parameters", INSPECTED,
                         ids=[f"{n}-{bool(p)}" for n, p in INSPECTED])
def test_inspect_notebook(runs, notebook, parameters):
    if notebook.startswith("corpus:"):
        need_corpus()
    path = str(_source(notebook, runs["inputs"]))
    theirs = papermill.inspect_notebook(path, parameters)
    ours = nbexec.inspect_notebook(path, parameters)
    if notebook == corpus("complex_parameters.ipynb"):
        # Deliberate (docs/parameters.md): papermill drops `d = a == 3` (two '=' on the
        # line), nbexec reads it.
        assert "d" not in theirs and ours.pop("d")["default"] == "a == 3"
    assert ours == theirs
    assert ours or notebook in ("undeclared", corpus("no_parameters.ipynb"))


def test_inspect_notebook_missing_path_parameter(runs):
    path = str(runs["inputs"] / "{name}.ipynb")
    with pytest.raises(papermill.exceptions.PapermillMissingParameterException) as theirs:
        papermill.inspect_notebook(path)
    with pytest.raises(EXCEPTIONS[theirs.type]) as ours:
        nbexec.inspect_notebook(path)
    assert "name" in str(ours.value)


# ---------------------------------------------------------------------------------------------
# The command line: the tests


def warning_lines(stderr, prefix=UNKNOWN):
    """The unknown-parameter warnings, whatever prefix each tool puts before the text."""
    return [line[line.index(prefix):] for line in stderr.splitlines() if prefix in line]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CLI_CASES])
def test_cli_same_outcome(runs, case):
    case, pm_run, nx_run = cli_pair(runs, case.name)
    assert pm_run.returncode == case.exit_codes[0], pm_run.stderr[-3000:]
    assert nx_run.returncode == case.exit_codes[1], nx_run.stderr[-3000:]
    expected = [UNKNOWN + name for name in case.unknown]
    if "ERROR" not in case.args:
        assert warning_lines(pm_run.stderr) == expected
        assert warning_lines(nx_run.stderr) == expected, nx_run.stderr
    for name in case.files:
        assert (nx_run.folder / name).read_text() == (pm_run.folder / name).read_text(), name
    if case.compare:
        pm, nx = pm_run.nb, nx_run.nb
        check_file_layout(pm_run.output, pm, "papermill")
        check_file_layout(nx_run.output, nx, "nbexec")
        nbformat.validate(nbformat.from_dict(copy.deepcopy(nx)))
        assert_same_notebook(pm, nx, pm_input=pm_run.input_path, nx_input=nx_run.input_path,
                             output_path=case.output,
                             versions=(papermill.__version__, nbexec.__version__))


def test_cli_sources_merged_in_papermills_order(runs):
    _, pm_run, nx_run = cli_pair(runs, "sources")
    for run in (pm_run, nx_run):
        # The file's keys are sorted; the injected cell keeps the order.
        lines = text(injected(run.nb)[0]["source"]).splitlines()[1:]
        assert [line.split(" = ")[0] for line in lines] == [
            "PAPERMILL_INPUT_PATH", "PAPERMILL_OUTPUT_PATH", "msg", "ratio", "var", "nested"]
        parameters = run.nb["metadata"]["papermill"]["parameters"]
        assert parameters["msg"] == "007" and parameters["ratio"] == 0.125
        assert parameters["PAPERMILL_OUTPUT_PATH"] == "out.ipynb"


def test_cli_injected_paths(runs):
    for name, expected in (("inject_input_path", "None\n"), ("inject_output_path", "out.ipynb\n")):
        _, pm_run, nx_run = cli_pair(runs, name)
        for run in (pm_run, nx_run):
            outputs = code_outputs(run.nb)
            assert outputs[1]["outputs"][0]["text"] == "True\n", run.tool
            assert outputs[2]["outputs"][0]["text"] == expected, run.tool


def test_cli_stream_files(runs):
    _, pm_run, nx_run = cli_pair(runs, "stream_files")
    assert (nx_run.folder / "so.txt").read_text() == "var 1 int\n"
    assert (nx_run.folder / "se.txt").read_text() == "msg to a file\n"


def test_cli_cwd_and_report_mode(runs):
    _, pm_run, nx_run = cli_pair(runs, "engine_options")
    for run in (pm_run, nx_run):
        outputs = code_outputs(run.nb)
        assert outputs[2]["outputs"][0]["text"] == "data\n"
        assert outputs[3]["outputs"][0]["text"] == "read from the working directory\n\n"
        assert all(c["metadata"]["jupyter"]["source_hidden"] for c in run.nb["cells"]
                   if c["cell_type"] == "code")


def test_cli_log_output_shows_the_cells_output(runs):
    """Deliberate (docs/cli.md): papermill logs every output to stderr; nbexec writes stdout
    text to stdout. Both show each output once, with papermill's cell separators."""
    _, pm_run, nx_run = cli_pair(runs, "log_output")
    for line in ("var 1 int", "msg hello", "{'ratio': 0.5, 'more': 1}"):
        assert pm_run.stderr.count(line) == 1, (line, pm_run.stderr)
        assert (nx_run.stdout + nx_run.stderr).count(line) == 1, (line, nx_run.stderr)
    for line in ("Executing Cell 2-", "Ending Cell 2-"):
        assert line in pm_run.stderr and line in nx_run.stderr, line


def test_cli_log_level(runs):
    _, pm_run, nx_run = cli_pair(runs, "log_level_error")
    _, pm_default, nx_default = cli_pair(runs, "unknown_name")
    # Shown at INFO (the default), hidden at ERROR: the run's progress lines and warnings.
    assert "Input Notebook:" in pm_default.stderr and "Input Notebook:" in nx_default.stderr
    for run in (pm_run, nx_run):
        assert "input notebook:" not in run.stderr.lower(), run.tool
        assert UNKNOWN not in run.stderr, run.tool


def test_cli_failing_cell(runs):
    _, pm_run, nx_run = cli_pair(runs, "failing")
    check_banner(pm_run.nb, 4)
    check_banner(nx_run.nb, 4)
    assert 'Exception encountered at "In [4]"' in pm_run.stderr
    assert "nbexec: error: cell 3 (In [4]) raised IndexError: list index out of range" in (
        nx_run.stderr)


def test_cli_timeout(runs):
    """Deliberate (docs/papermill-differences.md): exit 3, the cell failed; papermill exits 1."""
    _, pm_run, nx_run = cli_pair(runs, "timeout")
    assert "CellTimeoutError" in pm_run.stderr
    assert "execution-timeout" in nx_run.stderr
    assert code_outputs(nx_run.nb)[0] == code_outputs(pm_run.nb)[0]


def parameter_rows(stdout):
    """--help-notebook's rows after papermill's heading."""
    return stdout.split("Parameters inferred for notebook", 1)[1].split("\n", 1)[1]


def test_cli_help_notebook(runs):
    _, pm_run, nx_run = cli_pair(runs, "help_notebook")
    assert "ratio: Unknown type (default 0.5)" in pm_run.stdout
    assert parameter_rows(nx_run.stdout) == parameter_rows(pm_run.stdout)
    _, pm_run, nx_run = cli_pair(runs, "help_notebook_none")
    assert "No cell tagged 'parameters'" in pm_run.stdout
    assert parameter_rows(nx_run.stdout) == parameter_rows(pm_run.stdout)
    for run in (pm_run, nx_run):
        assert not run.output.exists()


def test_cli_version(runs):
    """Deliberate: each prints its own version."""
    _, pm_run, nx_run = cli_pair(runs, "version")
    assert papermill.__version__ in pm_run.stdout
    assert nx_run.stdout.strip() == f"nbexec {nbexec.__version__}"
    assert not nx_run.output.exists() and not pm_run.output.exists()


# ---------------------------------------------------------------------------------------------
# The strictness switch (nbexec only)


@pytest.fixture
def strict_case(tmp_path, monkeypatch):
    monkeypatch.delenv(STRICT_ENV, raising=False)
    source = tmp_path / "declared.ipynb"
    nbformat.write(declared(), str(source))
    return source, tmp_path / "out.ipynb"


def test_strict_parameters_keyword(strict_case):
    source, output = strict_case
    with pytest.raises(nbexec.ParameterError, match="undeclared"):
        nbexec.execute_notebook(source, output, {"undeclared": 1}, progress_bar=False,
                                strict_parameters=True)
    assert not output.exists()


def test_strict_parameters_environment(strict_case, monkeypatch):
    source, output = strict_case
    monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(nbexec.ParameterError, match="undeclared"):
        nbexec.execute_notebook(source, output, {"undeclared": 1}, progress_bar=False)
    assert not output.exists()


@pytest.mark.parametrize("form, env", [
    (["--strict-parameters"], {}),
    ([], {STRICT_ENV: "1"}),
    (["run"], {}),
], ids=["flag", "environment", "run-subcommand"])
def test_strict_cli(cli, strict_case, form, env):
    source, output = strict_case
    command = [cli, "run", str(source), str(output)] if form == ["run"] else [
        cli, str(source), str(output), *form]
    proc = subprocess.run([*command, "-p", "undeclared", "1"], env={**tool_env(), **env},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "undeclared" in proc.stderr and "unrecognized" not in proc.stderr.lower()
    assert "--strict-parameters" not in proc.stderr or form, proc.stderr
    assert not output.exists()
