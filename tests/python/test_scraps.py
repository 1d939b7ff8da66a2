"""nbexec.record / nbexec.read_scraps: values recorded in scrapbook's format, read back after
a real kernel run, and scrapbook itself reading them (and us reading sb.glue's)."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_output

import nbexec
from nbexec.scraps import read_scraps, record, scrap_output

RECORDING = [
    "import nbexec",
    "nbexec.record('accuracy', 0.93)\n"
    "nbexec.record('label', 'best \u00e9')\n"
    "nbexec.record('numeric_text', '123')\n"
    "nbexec.record('params', {'alpha': 0.5, 'layers': [1, 2], 'ok': True})",
    "print('between')",
    "nbexec.record('accuracy', 0.97)  # a later record of the same name wins",
]
EXPECTED = {"accuracy": 0.97, "label": "best \u00e9", "numeric_text": "123",
            "params": {"alpha": 0.5, "layers": [1, 2], "ok": True}}


def test_record_in_a_kernel_and_read_back(write_notebook, tmp_path):
    src = write_notebook(RECORDING)
    out = tmp_path / "out.ipynb"
    nb = nbexec.execute_notebook(src, out, progress_bar=False)
    assert read_scraps(out) == EXPECTED
    assert read_scraps(str(out)) == EXPECTED
    assert read_scraps(nb) == EXPECTED
    assert read_scraps(json.loads(out.read_text())) == EXPECTED
    assert list(read_scraps(nb)) == ["accuracy", "label", "numeric_text", "params"]
    # The outputs are scrapbook's: one MIME type, its metadata, and nothing a viewer renders.
    output = nb.cells[1].outputs[0]
    assert output.output_type == "display_data"
    assert output.data == {"application/scrapbook.scrap.json+json": {
        "name": "accuracy", "data": 0.93, "encoder": "json", "version": 1}}
    assert output.metadata == {"scrapbook": {"name": "accuracy", "data": True, "display": False}}
    assert nb.cells[1].outputs[1].data == {"application/scrapbook.scrap.text+json": {
        "name": "label", "data": "best \u00e9", "encoder": "text", "version": 1}}
    nbformat.validate(nbformat.read(str(out), as_version=4))


def test_scrap_output_refuses_what_json_cannot_hold():
    data, metadata = scrap_output("t", (1, 2))
    assert data["application/scrapbook.scrap.json+json"]["data"] == [1, 2]
    for bad, kind in ((None, ValueError), (float("nan"), ValueError), (object(), TypeError),
                      ({1: 2}, TypeError), ([1, {2}], TypeError)):
        with pytest.raises(kind):
            scrap_output("x", bad)
    with pytest.raises(TypeError):
        scrap_output("", 1)
    with pytest.raises(TypeError):
        read_scraps(42)


def test_record_outside_a_kernel_prints_the_bundle(capsys):
    # Without a running IPython shell IPython's display prints; nothing raises.
    record("x", 1)
    assert "application/scrapbook.scrap.json+json" in capsys.readouterr().out


def test_read_scraps_reads_other_writers_and_skips_display_only_scraps():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        # papermill 1.x's pm.record
        new_output("display_data", data={"application/papermill.record+json": {"old": [1, 2]}}),
        # sb.glue with display=True: a display-only scrap next to the data one
        new_output("display_data", data={"text/plain": "'shown'"},
                   metadata={"scrapbook": {"name": "shown", "data": False, "display": True}}),
        # json data stored as a JSON string, as old scrapbooks could
        new_output("display_data", data={"application/scrapbook.scrap.json+json": {
            "name": "as_text", "data": "[1, 2]", "encoder": "json", "version": 1}}),
        # another encoder's data is returned as stored
        new_output("display_data", data={"application/scrapbook.scrap.pandas+json": {
            "name": "frame", "data": "UEFSMQ==", "encoder": "pandas", "version": 2,
            "store": "notebook"}}),
        new_output("stream", name="stdout", text="noise"),
    ]
    nb.cells = [cell, nbformat.v4.new_markdown_cell("no outputs")]
    assert read_scraps(nb) == {"old": [1, 2], "as_text": [1, 2], "frame": "UEFSMQ=="}


def test_scrapbook_reads_record_and_we_read_glue(write_notebook, tmp_path):
    sb = pytest.importorskip("scrapbook")
    src = write_notebook(RECORDING + [
        "import scrapbook as sb\n"
        "sb.glue('glued_text', 'hello')\n"
        "sb.glue('glued_number', 12.5)\n"
        "sb.glue('glued_list', [1, 'a', {'b': 2}])\n"
        "sb.glue('glued_shown', 'visible', display=True)",
    ])
    out = tmp_path / "out.ipynb"
    nbexec.execute_notebook(src, out, progress_bar=False)
    theirs = sb.read_notebook(str(out)).scraps.data_dict
    ours = read_scraps(out)
    # glue(display=True) writes the data, then a display output of the same name, which
    # scrapbook's reader lets replace the data (data_dict then lacks it); read_scraps keeps it.
    assert "glued_shown" not in theirs
    assert theirs == {k: v for k, v in ours.items() if k != "glued_shown"}
    assert ours == {**EXPECTED, "glued_text": "hello", "glued_number": 12.5,
                    "glued_list": [1, "a", {"b": 2}], "glued_shown": "visible"}
