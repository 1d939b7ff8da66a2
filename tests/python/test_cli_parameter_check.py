"""Parameters checked against the notebook before any kernel starts, and papermill's
path and metadata options (--inject-paths, templated paths, --report-mode, --help-notebook)
compared with papermill's own CLI on the same input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import make_notebook, read_valid

import nbexec

PARAMETERS_CELL = """\
alpha: float = 0.5  # learning rate
epochs: int = 3
name = "run"  # a label
flags: list = []
model: Optional[str] = None
anything = None
"""

PAPERMILL = [sys.executable, "-m", "papermill"]


@pytest.fixture
def notebook(write_notebook):
    return write_notebook(["print(alpha, epochs, name)"], parameters_cell=PARAMETERS_CELL)


def injected_source(path) -> str:
    nb = read_valid(path)
    cells = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    return cells[0].source


@pytest.mark.parametrize(
    "args",
    [
        ("-p", "alpha", "1"),  # an int where a float is declared
        ("-p", "alpha", "0.25", "-p", "epochs", "10"),
        ("-r", "name", "123"),  # -r keeps the text a string
        ("-p", "model", "None"),  # Optional[str]
        ("-p", "model", "resnet"),
        ("-p", "anything", "True"),  # a None default takes any value
        ("-y", "flags: [1, 2]"),
    ],
)
def test_values_that_fit_the_declared_types_are_accepted(run_cli, notebook, tmp_path, args):
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", notebook, out, "--prepare-only", *args)
    assert proc.returncode == 0, proc.stderr
    assert "# Parameters" in injected_source(out)


@pytest.mark.parametrize(
    "args, message",
    [
        (("-p", "epochs", "ten"), "parameter 'epochs' is integer (declared as int) but was given string 'ten'"),
        (("-p", "epochs", "2.5"), "parameter 'epochs' is integer (declared as int) but was given number 2.5"),
        (("-p", "alpha", "True"), "parameter 'alpha' is number (declared as float) but was given boolean True"),
        (("-p", "alpha", "None"), "parameter 'alpha' is number (declared as float) but was given null None"),
        (("-p", "name", "123"), "pass it with -r NAME VALUE"),
        (("-y", "flags: {a: 1}"), "parameter 'flags' is array"),
        (("-p", "model", "3"), "parameter 'model' is string (declared as Optional[str]) but was given integer 3"),
    ],
)
def test_a_value_of_the_wrong_type_is_exit_2_before_anything_is_written(
    run_cli, notebook, tmp_path, args, message
):
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", notebook, out, *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert not out.exists()


def test_an_unknown_name_is_exit_2_naming_it_and_the_known_names(run_cli, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", notebook, out, "-p", "alpah", "0.1")
    assert proc.returncode == 2
    assert "unknown parameter 'alpah'" in proc.stderr
    assert "alpha, epochs, name, flags, model, anything" in proc.stderr
    assert "(--no-strict-parameters makes this a warning, as in papermill)" in proc.stderr
    assert not out.exists()


def test_papermills_form_warns_as_papermill_and_runs(run_cli, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run_cli(notebook, out, "--prepare-only", "-p", "alpah", "0.1", "-p", "epochs", "ten")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert "nbexec: Passed unknown parameter: alpah" in lines
    assert any("parameter 'epochs' is integer (declared as int) but was given string 'ten'"
               in line for line in lines), proc.stderr
    assert injected_source(out) == '# Parameters\nalpah = 0.1\nepochs = "ten"\n'
    # Options before the paths are papermill's form too.
    proc = run_cli("-p", "alpah", "0.1", "--prepare-only", notebook, out)
    assert proc.returncode == 0, proc.stderr
    assert "nbexec: Passed unknown parameter: alpah" in proc.stderr.splitlines()


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_papermills_form_is_strict_on_request(run_cli, notebook, tmp_path, monkeypatch, how):
    out = tmp_path / "out.ipynb"
    args = [notebook, out, "-p", "alpah", "0.1"]
    if how == "flag":
        args.append("--strict-parameters")
    else:
        monkeypatch.setenv("NBEXEC_STRICT_PARAMETERS", "1")
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert "unknown parameter 'alpah'" in proc.stderr
    assert not out.exists()


def test_the_environment_sets_the_default_of_run_and_flags_win(run_cli, notebook, tmp_path,
                                                                monkeypatch):
    out = tmp_path / "out.ipynb"
    monkeypatch.setenv("NBEXEC_STRICT_PARAMETERS", "off")
    assert run_cli("run", notebook, out, "--prepare-only", "-p", "x", "1").returncode == 0
    proc = run_cli("run", notebook, out, "--prepare-only", "--strict-parameters", "-p", "x", "1")
    assert proc.returncode == 2
    monkeypatch.setenv("NBEXEC_STRICT_PARAMETERS", "sometimes")
    proc = run_cli("run", notebook, out, "--prepare-only", "-p", "x", "1")
    assert proc.returncode == 2
    assert "NBEXEC_STRICT_PARAMETERS='sometimes'" in proc.stderr
    proc = run_cli("run", notebook, out, "--strict-parameters", "--no-strict-parameters")
    assert proc.returncode == 2
    assert "excludes" in proc.stderr


def test_allow_unknown_parameters_makes_it_papermills_warning(run_cli, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", notebook, out, "--prepare-only", "--allow-unknown-parameters",
                   "-p", "extra", "1", "-p", "epochs", "5")
    assert proc.returncode == 0, proc.stderr
    assert "unknown parameter 'extra'" in proc.stderr
    assert "extra = 1" in injected_source(out)
    # Types are still checked.
    proc = run_cli("run", notebook, out, "--allow-unknown-parameters", "-p", "epochs", "x")
    assert proc.returncode == 2


def test_no_parameter_check_is_papermills_behaviour(run_cli, notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", notebook, out, "--prepare-only", "--no-parameter-check",
                   "-p", "epochs", "ten", "-p", "extra", "1")
    assert proc.returncode == 0, proc.stderr
    assert 'epochs = "ten"' in injected_source(out)


def test_a_notebook_without_parameters_cell_rejects_names(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print(1)"])
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "-p", "a", "1")
    assert proc.returncode == 2
    assert "the notebook has no cell tagged 'parameters'" in proc.stderr
    proc = run_cli("run", src, out, "--prepare-only", "--allow-unknown-parameters", "-p", "a", "1")
    assert proc.returncode == 0
    assert "Input notebook does not contain a cell with tag 'parameters'" in proc.stderr


def test_a_language_nbexec_cannot_inspect_is_not_checked(run_cli, tmp_path):
    nb = make_notebook([], parameters_cell="val x = 1")
    nb.metadata["kernelspec"] = {"name": "spylon-kernel", "language": "scala", "display_name": "S"}
    src = tmp_path / "in.ipynb"
    nbformat.write(nb, str(src))
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "--prepare-only", "-p", "y", "2")
    assert proc.returncode == 0, proc.stderr
    assert "parameters not checked" in proc.stderr


def test_the_python_api_makes_the_same_check(notebook, tmp_path):
    assert nbexec.check_parameters(notebook, {"alpha": 1, "model": None}) == []
    problems = nbexec.check_parameters(notebook, {"epochs": "ten", "nope": 1})
    assert [(p["kind"], p["name"]) for p in problems] == [("type_mismatch", "epochs"),
                                                          ("unknown_name", "nope")]
    with pytest.raises(nbexec.ParameterError, match="unknown parameter 'nope'"):
        nbexec.validate_parameters(notebook, {"nope": 1})
    nbexec.validate_parameters(notebook, {"nope": 1}, allow_unknown=True)
    out = tmp_path / "api.ipynb"
    with pytest.raises(nbexec.ParameterError, match="epochs"):
        nbexec.execute_notebook(notebook, out, parameters={"epochs": "ten"},
                                strict_parameters=True)
    assert not out.exists()
    nbexec.execute_notebook(notebook, out, parameters={"nope": 1}, prepare_only=True,
                            strict_parameters=True, allow_unknown_parameters=True)
    assert "nope = 1" in injected_source(out)


# ---- papermill's path and metadata options, papermill as the oracle -----------------------


def papermill(*args, cwd):
    return subprocess.run([*PAPERMILL, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_inject_paths_match_papermill(run_cli, notebook, tmp_path):
    ours, theirs = tmp_path / "ours.ipynb", tmp_path / "theirs.ipynb"
    assert run_cli("run", notebook, ours, "--prepare-only", "--inject-paths",
                   "-p", "epochs", "4").returncode == 0
    proc = papermill(notebook, theirs, "--prepare-only", "--inject-paths", "-p", "epochs", "4",
                     cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    expected = injected_source(theirs).replace(str(theirs), str(ours))
    assert injected_source(ours) == expected
    assert f'PAPERMILL_INPUT_PATH = "{notebook}"' in expected
    # Only one of the two, and a later -p overrides it as in papermill.
    assert run_cli("run", notebook, ours, "--prepare-only", "--inject-output-path",
                   "-r", "PAPERMILL_OUTPUT_PATH", "x").returncode == 0
    assert injected_source(ours) == '# Parameters\nPAPERMILL_OUTPUT_PATH = "x"\n'


@pytest.mark.parametrize(
    "template, args",
    [
        ("out-{alpha}.ipynb", ("-p", "alpha", "0.7")),
        ("{name}/{epochs:03d}-{alpha:.2f}.ipynb", ("-p", "alpha", "0.7", "-r", "name", "run a", "-p", "epochs", "7")),
        ("out-{flags[1]}-{{literal}}.ipynb", ("-y", "flags: [a, b]")),
    ],
)
def test_templated_output_paths_match_papermill(run_cli, notebook, tmp_path, template, args):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for folder in (ours, theirs):
        folder.mkdir()
        (folder / "run a").mkdir()
    proc = run_cli("run", notebook, template, "--prepare-only", *args, cwd=ours)
    assert proc.returncode == 0, proc.stderr
    proc = papermill(notebook, template, "--prepare-only", *args, cwd=theirs)
    assert proc.returncode == 0, proc.stderr
    produced = sorted(str(p.relative_to(ours)) for p in ours.rglob("*.ipynb"))
    assert produced == sorted(str(p.relative_to(theirs)) for p in theirs.rglob("*.ipynb"))
    assert len(produced) == 1
    nb = read_valid(ours / produced[0])
    assert nb.metadata.papermill.output_path == produced[0]


def test_templated_input_path_and_run_uuid(run_cli, write_notebook, tmp_path):
    write_notebook(["1"], name="in-7.ipynb", parameters_cell="n = 0")
    proc = run_cli("run", "in-{n}.ipynb", "out-{pm[run_uuid]}.ipynb", "--prepare-only", "-p", "n", "7")
    assert proc.returncode == 0, proc.stderr
    outputs = list(tmp_path.glob("out-*.ipynb"))
    assert len(outputs) == 1 and len(outputs[0].stem) == len("out-") + 36
    assert read_valid(outputs[0]).metadata.papermill.input_path == "in-7.ipynb"


def test_a_missing_path_parameter_is_exit_2(run_cli, notebook, tmp_path):
    proc = run_cli("run", notebook, "out-{alpah}.ipynb", "-p", "alpha", "1")
    assert proc.returncode == 2
    assert "output path 'out-{alpah}.ipynb'" in proc.stderr
    assert "missing parameter 'alpah' (given: alpha)" in proc.stderr
    assert list(tmp_path.glob("out-*")) == []


def test_report_mode_hides_code_sources_as_papermill_does(run_cli, tmp_path):
    nb = make_notebook(["print(1)", "x = 2"], parameters_cell="a = 1")
    nb.cells[1].metadata["jupyter"] = {"outputs_hidden": True}
    nb.cells.append(nbformat.v4.new_markdown_cell("text"))
    src = tmp_path / "in.ipynb"
    nbformat.write(nb, str(src))
    ours, theirs = tmp_path / "ours.ipynb", tmp_path / "theirs.ipynb"
    assert run_cli("run", src, ours, "--prepare-only", "--report-mode", "-p", "a", "2").returncode == 0
    assert papermill(src, theirs, "--prepare-only", "--report-mode", "-p", "a", "2",
                     cwd=tmp_path).returncode == 0
    ours_nb, theirs_nb = read_valid(ours), read_valid(theirs)
    hidden = lambda nb: [c.metadata.get("jupyter", {}).get("source_hidden") for c in nb.cells]  # noqa: E731
    assert hidden(ours_nb) == hidden(theirs_nb) == [True, True, True, True, None]
    # papermill replaces metadata.jupyter and loses outputs_hidden; nbexec keeps it.
    assert "outputs_hidden" not in theirs_nb.cells[2].metadata.jupyter
    assert ours_nb.cells[2].metadata.jupyter == {"outputs_hidden": True, "source_hidden": True}


@pytest.mark.parametrize("with_cell", [True, False])
def test_help_notebook_matches_papermill(run_cli, notebook, write_notebook, tmp_path, with_cell):
    src = notebook if with_cell else write_notebook(["1"], name="plain.ipynb")
    ours = run_cli("run", src.name, "--help-notebook")
    theirs = papermill(src.name, "--help-notebook", cwd=tmp_path)
    assert ours.returncode == theirs.returncode == (0 if with_cell else 1)
    tail = lambda text: text[text.index("\nParameters inferred"):]  # noqa: E731
    assert tail(ours.stdout) == tail(theirs.stdout)


# ---- nbexec inspect ----------------------------------------------------------------------


def test_inspect_prints_a_table_of_names_types_defaults_and_help(run_cli, notebook):
    proc = run_cli("inspect", notebook)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()]
    assert rows[0] == ["NAME", "TYPE", "DEFAULT", "HELP"]
    assert rows[1] == ["alpha", "float", "0.5", "learning", "rate"]
    assert rows[2] == ["epochs", "int", "3"]
    assert rows[3] == ["name", "string", "(from", "default)", '"run"', "a", "label"]
    assert rows[6] == ["anything", "any", "None"]


def test_inspect_json_is_a_draft_2020_12_schema(run_cli, notebook):
    import jsonschema

    proc = run_cli("inspect", notebook, "--json")
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert list(schema["properties"]) == ["alpha", "epochs", "name", "flags", "model", "anything"]
    assert schema["properties"]["epochs"] == {"type": "integer", "default": 3}
    assert schema["properties"]["model"]["type"] == ["string", "null"]
    assert schema["additionalProperties"] is False


def test_inspect_fills_the_path_and_reports_bad_input(run_cli, notebook, write_notebook, tmp_path):
    assert run_cli("inspect", "{stem}.ipynb", "-r", "stem", notebook.stem).returncode == 0
    proc = run_cli("inspect", "{stem}.ipynb")
    assert proc.returncode == 2 and "missing parameter 'stem'" in proc.stderr
    proc = run_cli("inspect", tmp_path / "absent.ipynb")
    assert proc.returncode == 2 and "absent.ipynb" in proc.stderr
    (tmp_path / "bad.ipynb").write_text('{"cells": 3}')
    proc = run_cli("inspect", tmp_path / "bad.ipynb")
    assert proc.returncode == 2 and "bad.ipynb" in proc.stderr
    plain = write_notebook(["1"], name="plain.ipynb")
    proc = run_cli("inspect", plain)
    assert proc.returncode == 0 and "No cell tagged 'parameters'" in proc.stdout
