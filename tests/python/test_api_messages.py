"""Library messages are front-neutral (docs/python.md, "Errors"): a Python user reads the
keyword that would help, never a CLI flag. The CLI's own hints are tested with the CLI."""

from __future__ import annotations

import re

import nbformat
import pytest

import nbexec

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


def write(path, sources, kernel=True, tagged=False):
    nb = nbformat.v4.new_notebook()
    if kernel:
        nb.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                     "display_name": "Python 3"}
    for i, source in enumerate(sources):
        cell = nbformat.v4.new_code_cell(source)
        if tagged and i == 0:
            cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def test_unknown_parameter_names_the_keyword(tmp_path):
    src = write(tmp_path / "in.ipynb", ["alpha = 1"], tagged=True)
    with pytest.raises(nbexec.ParameterError) as info:
        nbexec.execute_notebook(src, tmp_path / "out.ipynb", parameters={"beta": 2},
                                progress_bar=False, strict_parameters=True)
    message = str(info.value)
    assert "unknown parameter 'beta'" in message
    assert "strict_parameters=False" in message
    assert not FLAG.search(message), message
    assert not (tmp_path / "out.ipynb").exists()


def test_missing_working_directory_names_the_keyword(tmp_path):
    src = write(tmp_path / "in.ipynb", ["print(1)"])
    with pytest.raises(nbexec.UsageError) as info:
        nbexec.execute_notebook(src, tmp_path / "out.ipynb", cwd=tmp_path / "nowhere",
                                progress_bar=False)
    message = str(info.value)
    assert message.startswith(f"working directory {tmp_path / 'nowhere'}: no such directory")
    assert message.endswith("(cwd=)")
    assert not FLAG.search(message), message


def test_notebook_without_kernel_names_the_keyword(tmp_path):
    src = write(tmp_path / "in.ipynb", ["print(1)"], kernel=False)
    with pytest.raises(nbexec.UsageError) as info:
        nbexec.execute_notebook(src, tmp_path / "out.ipynb", progress_bar=False)
    message = str(info.value)
    assert "names no kernel" in message and "kernel_name=" in message
    assert not FLAG.search(message), message


def test_cell_timeout_is_a_builtin_timeout_error_naming_the_keyword(tmp_path):
    src = write(tmp_path / "in.ipynb", ["import time; time.sleep(30)"])
    with pytest.raises(TimeoutError) as info:  # the builtin catches nbexec's
        nbexec.execute_notebook(src, tmp_path / "out.ipynb", execution_timeout=1,
                                progress_bar=False)
    assert isinstance(info.value, nbexec.TimeoutError)
    message = str(info.value)
    assert "did not finish within 1 s" in message and "execution_timeout=" in message
    assert not FLAG.search(message), message
    assert (tmp_path / "out.ipynb").exists()  # saved before raising
