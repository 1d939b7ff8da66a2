"""Bad input gets one clear line, exit code 2, and never a partial overwrite."""

from __future__ import annotations

import nbformat
from helpers import make_notebook

SENTINEL = "precious existing content\n"


def _existing_output(tmp_path):
    out = tmp_path / "out.ipynb"
    out.write_text(SENTINEL)
    return out


def test_malformed_json_names_file_and_line(run_cli, tmp_path):
    bad = tmp_path / "broken.ipynb"
    bad.write_text('{\n  "cells": [\n    {"cell_type": "code",,}\n  ]\n}\n')
    out = _existing_output(tmp_path)
    proc = run_cli("run", bad, out)
    assert proc.returncode == 2
    line = proc.stderr.strip().splitlines()[-1]
    assert "broken.ipynb" in line and "3" in line
    assert out.read_text() == SENTINEL


def test_json_that_is_not_a_notebook_names_the_json_path(run_cli, tmp_path):
    bad = tmp_path / "notnb.ipynb"
    bad.write_text('{"cells": [{"cell_type": "code", "source": 7, "metadata": {}, "outputs": []}],'
                   ' "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    proc = run_cli("run", bad, tmp_path / "out.ipynb")
    assert proc.returncode == 2
    assert "notnb.ipynb" in proc.stderr and "/cells/0/source" in proc.stderr
    assert not (tmp_path / "out.ipynb").exists()


def test_nbformat_3_is_refused(run_cli, tmp_path):
    bad = tmp_path / "old.ipynb"
    bad.write_text('{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}')
    proc = run_cli("run", bad, tmp_path / "out.ipynb")
    assert proc.returncode == 2
    assert "old.ipynb" in proc.stderr


def test_missing_input_file(run_cli, tmp_path):
    proc = run_cli("run", tmp_path / "nope.ipynb", tmp_path / "out.ipynb")
    assert proc.returncode == 2
    assert "nope.ipynb" in proc.stderr


def test_missing_kernel_lists_what_exists(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print(1)"])
    out = _existing_output(tmp_path)
    proc = run_cli("run", src, out, "-k", "no-such-kernel")
    assert proc.returncode == 2
    assert "no-such-kernel" in proc.stderr
    assert "python3" in proc.stderr  # the kernels that were found
    assert out.read_text() == SENTINEL


def test_bad_parameters_file(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print(1)"])
    params = tmp_path / "p.yaml"
    params.write_text("a: [1, 2\nb: 3\n")
    out = _existing_output(tmp_path)
    proc = run_cli("run", src, out, "-f", params)
    assert proc.returncode == 2
    assert "p.yaml" in proc.stderr
    assert out.read_text() == SENTINEL


def test_unknown_option_is_a_usage_error(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print(1)"])
    proc = run_cli("run", src, tmp_path / "o.ipynb", "--no-such-option")
    assert proc.returncode == 2
    assert "no-such-option" in proc.stderr


def test_output_into_missing_directory(run_cli, write_notebook, tmp_path):
    src = write_notebook(["print(1)"])
    proc = run_cli("run", src, tmp_path / "missing" / "out.ipynb")
    assert proc.returncode == 2
    assert "missing" in proc.stderr
