"""`nbexec render` and nbexec.render: the page of an executed notebook, exit codes, bad input,
atomic writes; a real failing run rendered with its ANSI traceback and papermill's banner."""

from __future__ import annotations

import json
import re

import nbexec
import pytest
from helpers import make_notebook
from nbformat.v4 import new_markdown_cell

SENTINEL = "<p>precious existing page</p>\n"

SMALL = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Heading é"},
                   {"cell_type": "code", "execution_count": 3, "metadata": {}, "source": "x",
                    "outputs": [{"output_type": "stream", "name": "stdout", "text": "hi <b>\n"}]}],
         "metadata": {}, "nbformat": 4, "nbformat_minor": 4}


def _write(path, document):
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_render_writes_the_page_beside_the_notebook(run_cli, tmp_path):
    source = _write(tmp_path / "report.ipynb", SMALL)
    proc = run_cli("render", source)
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<title>report</title>" in page
    assert "<h1>Heading é</h1>" in page
    assert '<div class="prompt">In [3]:</div>' in page
    assert "hi &lt;b&gt;" in page
    assert "report.html" in proc.stderr and proc.stdout == ""


def test_render_to_a_named_file_and_to_stdout(run_cli, tmp_path):
    source = _write(tmp_path / "in.ipynb", SMALL)
    proc = run_cli("render", source, tmp_path / "sub.html", "--title", "My <run>")
    assert proc.returncode == 0, proc.stderr
    assert "<title>My &lt;run&gt;</title>" in (tmp_path / "sub.html").read_text()
    proc = run_cli("render", source, "-")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("<!DOCTYPE html>") and "<h1>Heading é</h1>" in proc.stdout
    assert not (tmp_path / "in.html").exists()
    proc = run_cli("render", "-", "-", input=json.dumps(SMALL))
    assert proc.returncode == 0 and "<title>notebook</title>" in proc.stdout


def test_help_teaches_the_command(run_cli):
    proc = run_cli("render", "--help")
    assert proc.returncode == 0
    for words in ("NOTEBOOK", "OUT", "standard output", "sandboxed iframes", "nbexec render"):
        assert words in proc.stdout
    assert "render" in run_cli("--help").stdout


@pytest.mark.parametrize("content, words", [
    ('{\n "cells": [,]\n}', ["broken.ipynb", "2"]),
    ('{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}', ["broken.ipynb"]),
    ('{"cells": [{"cell_type": "code", "source": 7, "metadata": {}, "outputs": []}], '
     '"metadata": {}, "nbformat": 4, "nbformat_minor": 5}', ["broken.ipynb", "/cells/0/source"]),
])
def test_bad_input_is_one_line_exit_2_and_no_partial_file(run_cli, tmp_path, content, words):
    bad = tmp_path / "broken.ipynb"
    bad.write_text(content)
    existing = tmp_path / "broken.html"
    existing.write_text(SENTINEL)
    proc = run_cli("render", bad)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nbexec: error:")
    for word in words:
        assert word in lines[0]
    assert existing.read_text() == SENTINEL


def test_unreadable_paths_exit_2(run_cli, tmp_path):
    proc = run_cli("render", tmp_path / "missing.ipynb")
    assert proc.returncode == 2 and "missing.ipynb" in proc.stderr
    source = _write(tmp_path / "in.ipynb", SMALL)
    proc = run_cli("render", source, tmp_path / "no" / "such" / "dir.html")
    assert proc.returncode == 2 and "dir.html" in proc.stderr
    assert run_cli("render").returncode == 2
    assert run_cli("render", "-").returncode == 2  # stdin needs an explicit OUT


def test_the_write_is_atomic(run_cli, tmp_path):
    source = _write(tmp_path / "in.ipynb", SMALL)
    out = tmp_path / "page.html"
    out.write_text(SENTINEL)
    out.chmod(0o640)
    assert run_cli("render", source, out).returncode == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert out.stat().st_mode & 0o777 == 0o640          # replaced in place, mode kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ipynb", "page.html"]  # no temp


def test_python_render_path_dict_and_output(tmp_path):
    source = _write(tmp_path / "analysis.ipynb", SMALL)
    page = nbexec.render(source)
    assert "<title>analysis</title>" in page and "<h1>Heading é</h1>" in page
    assert not (tmp_path / "analysis.html").exists()     # nothing written without output_path
    out = tmp_path / "out.html"
    assert nbexec.render(str(source), output_path=out) == out.read_text(encoding="utf-8")
    from_dict = nbexec.render(SMALL, title="From dict")
    assert "<title>From dict</title>" in from_dict and "<h1>Heading é</h1>" in from_dict
    import nbformat
    node = nbformat.from_dict(SMALL)
    assert nbexec.render(node) == nbexec.render(SMALL)
    assert "render" in nbexec.__all__


def test_python_render_errors_are_notebook_errors(tmp_path):
    with pytest.raises(nbexec.NotebookError, match="missing.ipynb"):
        nbexec.render(tmp_path / "missing.ipynb")
    with pytest.raises(nbexec.NotebookError):
        nbexec.render({"nbformat": 3})
    out = tmp_path / "keep.html"
    out.write_text(SENTINEL)
    with pytest.raises(nbexec.NotebookError):
        nbexec.render({"cells": 5, "nbformat": 4}, output_path=out)
    assert out.read_text() == SENTINEL


def test_kfp_html_uses_nbexec_renderer():
    from nbexec.kfp import html
    page = html.render(SMALL, title="step")
    assert "<title>step</title>" in page and "<h1>Heading é</h1>" in page
    assert "Content-Security-Policy" in page
    not_run = html.not_run("a<b>.ipynb", "bad <input>")
    assert "a&lt;b&gt;.ipynb was not run: bad &lt;input&gt;" in not_run


def test_a_real_failing_run_renders_its_traceback_and_banner(run_cli, tmp_path):
    nb = make_notebook(["print('before the failure')", "def f():\n    return 1 / 0\nf()",
                        "print('never')"])
    nb.cells.insert(0, new_markdown_cell("# Daily report\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
    import nbformat
    source = tmp_path / "daily.ipynb"
    nbformat.write(nb, str(source))
    out = tmp_path / "daily-out.ipynb"
    proc = run_cli("run", source, out)
    assert proc.returncode == 1, proc.stderr
    proc = run_cli("render", out)
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "daily-out.html").read_text(encoding="utf-8")
    assert "<h1>Daily report</h1>" in page and "<td>1</td>" in page
    assert "before the failure" in page
    # ipykernel's traceback is full of ANSI codes: they become coloured spans, none left raw.
    assert "\x1b" not in page
    assert re.search(r'<span style="color:#[0-9a-f]{6};[^"]*">ZeroDivisionError</span>', page)
    # papermill's banner links to the failing cell, which carries the anchor.
    failing = re.search(r'<div class="cell code error" id="papermill-error-cell">\n'
                        r'<div class="input"><div class="prompt">In \[(\d+)\]:</div>', page)
    assert failing, page
    assert f'<a href="#papermill-error-cell">In [{failing.group(1)}]</a>' in page
    assert page.count('id="papermill-error-cell"') == 1
    assert "here and stopped:" in page
    assert page.index("here and stopped:") < failing.start()


def test_python_render_reads_and_writes_remote_paths():
    fsspec = pytest.importorskip("fsspec")
    root = "memory://render-test"
    fs = fsspec.filesystem("memory")
    with fs.open(f"{root}/weekly.ipynb", "w") as handle:
        handle.write(json.dumps(SMALL))
    page = nbexec.render(f"{root}/weekly.ipynb", f"{root}/weekly.html")
    assert "<title>weekly</title>" in page
    with fs.open(f"{root}/weekly.html", "r") as handle:
        assert handle.read() == page
