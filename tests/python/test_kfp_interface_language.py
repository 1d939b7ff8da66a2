"""nbexec.kfp types the op's inputs with the grammar of the notebook's language, read as
papermill's nb_language reads it: metadata.language_info.name before metadata.kernelspec.language.
The notebooks here disagree with themselves; papermill.inspect_notebook is the oracle (it reads
only Python and says which language it picked when it cannot). No kfp needed."""

from __future__ import annotations

import logging

import nbformat
import papermill

from helpers import make_notebook
from nbexec.kfp.interface import read_interface

# Python reads an int and a bool; R reads `3` as a double and `True` as a name, not a literal.
SOURCE = "n = 3\nflag = True\n"


def _write(tmp_path, kernelspec_language, language_info_name):
    # python3 has no translator of its own (papermill registers "python"): the language decides.
    nb = make_notebook(["pass"], parameters_cell=SOURCE)
    nb.metadata["kernelspec"]["language"] = kernelspec_language
    nb.metadata["language_info"] = {"name": language_info_name}
    path = tmp_path / f"nb_{language_info_name}.ipynb"
    nbformat.write(nb, str(path))
    return path


def _inputs(iface):
    return {p.name: (p.type, p.default if p.has_default else "<optional>")
            for p in iface.parameters}


def test_language_info_python_wins_over_kernelspec_r(tmp_path):
    path = _write(tmp_path, kernelspec_language="R", language_info_name="python")
    iface = read_interface(path)
    assert _inputs(iface) == {"n": ("int", 3), "flag": ("bool", True)}
    # papermill picked Python too: it inspected the cell, with the same names and defaults.
    oracle = papermill.inspect_notebook(str(path))
    assert {name: p["default"] for name, p in oracle.items()} == \
        {p.name: repr(p.default) for p in iface.parameters}


def test_language_info_r_wins_over_kernelspec_python(tmp_path, caplog):
    path = _write(tmp_path, kernelspec_language="python", language_info_name="R")
    iface = read_interface(path)
    assert _inputs(iface) == {"n": ("float", 3.0), "flag": ("str", "<optional>")}
    # papermill picked R: it cannot inspect R and says so, naming the language.
    with caplog.at_level(logging.WARNING, logger="papermill"):
        assert papermill.inspect_notebook(str(path)) == {}
    assert "Translator for 'R' language" in caplog.text
