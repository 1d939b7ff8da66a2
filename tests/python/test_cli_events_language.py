"""A run reads the notebook's language as papermill's nb_language does: metadata.language_info.name
before metadata.kernelspec.language. The notebook here disagrees with itself, so the run_start
event's `language` and the translator that writes the injected cell show which one was read;
papermill's parameterize_notebook on the same notebook is the oracle."""

from __future__ import annotations

import json

import nbformat
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from helpers import code_cells, make_notebook, read_valid, stream_text


def _disagreeing_notebook(path):
    # python3 has no translator of its own (papermill registers "python"), so the language
    # picks it: Python by language_info, R by kernelspec.
    nb = make_notebook(["print(type(flag).__name__, flag)"], parameters_cell="flag = False")
    nb.metadata["kernelspec"]["language"] = "R"
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, str(path))


def test_run_start_language_and_injected_cell_follow_papermill(run_cli, tmp_path):
    src = tmp_path / "in.ipynb"
    _disagreeing_notebook(src)
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", src, out, "-p", "flag", "True", "--log-format", "json")
    events = [json.loads(line) for line in proc.stderr.splitlines()]
    assert proc.returncode == 0, proc.stderr[-2000:]

    start = [e for e in events if e["event"] == "run_start"]
    assert len(start) == 1
    assert start[0]["language"] == "python"

    expected = parameterize_notebook(load_notebook_node(str(src)), {"flag": True})
    injected = [c for c in expected.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected[0].source == "# Parameters\nflag = True\n"  # PythonTranslator, not R's TRUE

    cells = code_cells(read_valid(out))
    assert cells[1].metadata.tags == ["injected-parameters"]
    assert cells[1].source == injected[0].source
    assert stream_text(cells[2]) == "bool True\n"
