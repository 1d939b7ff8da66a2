"""Parameters through the command line: bad input is exit code 2 with a message that says where,
and no output file is written; -p inference and merging match papermill's (--prepare-only, so
no kernel is needed)."""

from __future__ import annotations

import base64
import json
import math

import pytest

papermill_cli = pytest.importorskip("papermill.cli")


def _parameters_of(path):
    return json.loads(path.read_text())["metadata"]["papermill"]["parameters"]


def _injected_source(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            return "".join(cell["source"])
    raise AssertionError("no injected-parameters cell")


def _refused(run_cli, write_notebook, tmp_path, *args):
    src = write_notebook(["x = 1"], parameters_cell="alpha = 0.5")
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "--prepare-only", *args)
    assert proc.returncode == 2, proc.stderr
    assert not out.exists()
    lines = proc.stderr.strip().splitlines()
    assert lines, "no message"
    return proc.stderr


def test_invalid_yaml_file_names_file_line_and_column(run_cli, write_notebook, tmp_path):
    params = tmp_path / "bad.yaml"
    params.write_text("alpha: 1\nbeta: [1, 2\ngamma: 3\n")
    err = _refused(run_cli, write_notebook, tmp_path, "-f", params)
    assert "bad.yaml" in err
    assert "line" in err and "column" in err


def test_invalid_yaml_string_names_line_and_column(run_cli, write_notebook, tmp_path):
    err = _refused(run_cli, write_notebook, tmp_path, "-y", "a: 1\nb: {c: 2\n")
    assert "-y" in err and "line" in err and "column" in err


def test_base64_that_is_not_base64(run_cli, write_notebook, tmp_path):
    err = _refused(run_cli, write_notebook, tmp_path, "-b", "not*base64!")
    assert "-b #1" in err and "not valid base64" in err


def test_base64_of_invalid_yaml(run_cli, write_notebook, tmp_path):
    encoded = base64.b64encode(b"a: [1\n").decode()
    err = _refused(run_cli, write_notebook, tmp_path, "-b", encoded)
    assert "-b" in err and "line" in err


def test_p_without_a_value(run_cli, write_notebook, tmp_path):
    err = _refused(run_cli, write_notebook, tmp_path, "-p", "alpha")
    assert "--parameters" in err and "NAME VALUE" in err and "missing" in err


def test_parameters_file_that_is_a_list(run_cli, write_notebook, tmp_path):
    params = tmp_path / "list.yaml"
    params.write_text("- 1\n- 2\n")
    err = _refused(run_cli, write_notebook, tmp_path, "-f", params)
    assert "list.yaml" in err and "mapping" in err and "list" in err


@pytest.mark.parametrize(
    "args, name",
    [
        (("-p", "not-an-identifier", "1"), "not-an-identifier"),
        (("-r", "1abc", "x"), "1abc"),
        (("-y", "'has space': 1"), "has space"),
        (("-p", "", "1"), "''"),
    ],
)
def test_parameter_name_that_is_not_an_identifier(run_cli, write_notebook, tmp_path, args, name):
    err = _refused(run_cli, write_notebook, tmp_path, *args)
    assert name in err and "identifier" in err


def test_bad_input_never_overwrites_an_existing_output(run_cli, write_notebook, tmp_path):
    src = write_notebook(["x = 1"], parameters_cell="alpha = 0.5")
    out = tmp_path / "out.ipynb"
    out.write_text("precious\n")
    proc = run_cli("run", src, out, "--prepare-only", "-y", "a: [")
    assert proc.returncode == 2
    assert out.read_text() == "precious\n"


def test_value_the_kernel_language_cannot_express(run_cli, write_notebook, tmp_path):
    # bash has no dicts: papermill raises NotImplementedError, nbexec names parameter and language.
    src = write_notebook(["x = 1"], parameters_cell="alpha = 0.5")
    out = tmp_path / "out.ipynb"
    # Kernel python3 has no translator of its own, so the language picks bash's.
    proc = run_cli("run", src, out, "--prepare-only", "--language", "bash", "-y", "conf: {a: 1}")
    assert proc.returncode == 2, proc.stderr
    assert "'conf'" in proc.stderr and "bash" in proc.stderr
    assert not out.exists()


# ---- -p inference through the CLI, as papermill's _resolve_type ----------------------------

INFER = [
    "7", "-7", "+7", " 7 ", "1_000", "1e3", ".5", "-.5", "nan", "inf", "-inf", "0x10", "1_0.5",
    "True", "true", "False", "None", "none", "", "\u0663", "\uff11\uff12", "-0", "-0.0",
    "007", "1__0", "3.14", "Infinity", "abc",
]


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    return type(a) is type(b) and a == b


def test_p_inference_matches_papermill_through_the_cli(run_cli, write_notebook, tmp_path):
    src = write_notebook(["x = 1"], parameters_cell="alpha = 0.5")
    out = tmp_path / "out.ipynb"
    args = []
    for i, text in enumerate(INFER):
        args += ["-p", f"v{i}", text]
    proc = run_cli("run", src, out, "--prepare-only", "--allow-unknown-parameters", *args)
    assert proc.returncode == 0, proc.stderr
    source = _injected_source(out)
    stored = _parameters_of(out)
    for i, text in enumerate(INFER):
        expected = papermill_cli._resolve_type(text)
        # nan/inf are not JSON: metadata holds what the notebook JSON can; the cell has the value.
        if isinstance(expected, float) and not math.isfinite(expected):
            rendered = {"nan": "float('nan')", "inf": "float('inf')", "-inf": "float('-inf')"}
            assert f"v{i} = {rendered[repr(expected)]}\n" in source, text
            continue
        assert _same(stored[f"v{i}"], expected), (text, stored[f"v{i}"], expected)


def test_sources_merge_in_papermill_order(run_cli, write_notebook, tmp_path):
    src = write_notebook(["x = 1"], parameters_cell="alpha = 0.5")
    out = tmp_path / "out.ipynb"
    params = tmp_path / "p.yaml"
    params.write_text("a: file\nb: file\nc: file\nd: file\n")
    b64 = base64.b64encode(b"a: b64\nb: b64\nc: b64\nd: b64\ne: b64\n").decode()
    proc = run_cli(
        "run", src, out, "--prepare-only", "--allow-unknown-parameters",
        "-r", "d", "raw", "-p", "c", "7", "-y", "b: yaml\nc: yaml", "-f", params, "-b", b64,
    )
    assert proc.returncode == 0, proc.stderr
    assert _parameters_of(out) == {"a": "file", "b": "yaml", "c": 7, "d": "raw", "e": "b64"}
    assert list(_parameters_of(out)) == ["a", "b", "c", "d", "e"]
