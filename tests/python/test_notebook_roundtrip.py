"""The notebook layer against nbformat itself: a notebook written by ``nbformat.write`` must come
back byte for byte from nbexec's parse + serialize, any notebook nbformat reads must be rewritten
exactly as nbformat rewrites it, and the validator must agree with nbformat's schema check.

Every expected value here is produced by nbformat (5.x) or Python's json module at test time.
"""

import copy
import json
import warnings
from pathlib import Path

import nbformat
import pytest
from nbformat import v4
from nbformat.validator import isvalid

from nbexec import _core

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "nbformat"

PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">\n <rect width="10" height="10"/>\n</svg>\n'
ANSI_TRACEBACK = [
    "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
    "\x1b[0;31mZeroDivisionError\x1b[0m                         Traceback (most recent call last)",
    "Cell \x1b[0;32mIn[3], line 1\x1b[0m\n\x1b[0;32m----> 1\x1b[0m \x1b[38;5;241m1\x1b[39m\x1b[38;5;241m/\x1b[39m\x1b[38;5;241m0\x1b[39m\n",
    "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
]


# ---- corpus: each builder returns a list of cells and a metadata dict -----------------------


def unicode_sources():
    return [
        v4.new_markdown_cell("# 見出し\n日本語と中文，한국어\n"),
        v4.new_code_cell("emoji = '🎉👩\u200d💻🏳️\u200d🌈'\nprint(emoji)"),
        v4.new_markdown_cell("עברית וערבית: مرحبا بالعالم\n\u200fRTL mark\u200e"),
        v4.new_raw_cell("combining: e\u0301 a\u0308, astral: 𝄞 𐍈"),
    ], {}


def empty_and_blank():
    return [
        v4.new_code_cell(""),
        v4.new_markdown_cell(""),
        v4.new_raw_cell(""),
        v4.new_code_cell("   "),
        v4.new_code_cell("\n"),
        v4.new_code_cell("\n\n\n"),
        v4.new_markdown_cell("\t \n \t"),
    ], {}


def line_endings():
    return [
        v4.new_code_cell("a = 1\r\nb = 2\r\n"),
        v4.new_code_cell("old mac\rline\r"),
        v4.new_code_cell("mixed\r\n\n\r\rend"),
        v4.new_markdown_cell("line\u2028separator\u2029paragraph\x85next"),
        v4.new_raw_cell("vt\x0bff\x0cfs\x1cgs\x1drs\x1eend"),
        v4.new_code_cell("no newline at end"),
        v4.new_code_cell("trailing\n"),
        v4.new_code_cell('escapes: "quoted" \\ back \t tab \x00 nul \x1f unit \x7f del / slash'),
    ], {}


def attachments():
    md = v4.new_markdown_cell("![image](attachment:pic.png)\n![svg](attachment:drawing.svg)")
    md.attachments = {
        "pic.png": {"image/png": PNG},
        "drawing.svg": {"image/svg+xml": SVG},
        "notes.txt": {"text/plain": "first line\nsecond line\n"},
    }
    raw = v4.new_raw_cell("raw with attachment")
    raw.attachments = {"data.json": {"application/json": {"a": [1, 2, {"b": None}]}}}
    return [md, raw], {}


def every_output_type():
    outputs = [
        v4.new_output("stream", name="stdout", text="hello\nworld\n"),
        v4.new_output("stream", name="stderr", text="warning: ü\r\nprogress\r50%\r100%"),
        v4.new_output(
            "display_data",
            data={
                "text/plain": "<Figure>",
                "text/html": "<div>\n <b>bold</b> — ünïcode\n</div>",
                "image/png": PNG,
                "image/svg+xml": SVG,
                "application/json": {"key": [1, 2.5, None, True, "s"], "nested": {"x": {}}},
                "application/javascript": "console.log('a');\nconsole.log('b');\n",
                "application/vnd.custom.v1+json": {"rows": [[1, 2], [3, 4]], "ok": False},
                "text/markdown": "| a | b |\n|---|---|\n| 1 | 2 |",
                "text/latex": "$$\\frac{1}{2}$$",
            },
            metadata={"image/png": {"width": 640, "height": 480}, "isolated": True},
        ),
        v4.new_output(
            "execute_result",
            data={"text/plain": "42", "text/html": "<p>42</p>"},
            execution_count=7,
            metadata={},
        ),
        v4.new_output("execute_result", data={"text/plain": "None-count"}),
        v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero", traceback=ANSI_TRACEBACK
        ),
        v4.new_output("display_data", data={}, metadata={}),
    ]
    cell = v4.new_code_cell("1/0", execution_count=3, outputs=outputs)
    return [cell, v4.new_code_cell("print('x')", outputs=[outputs[0]], execution_count=None)], {}


def raw_cells_with_metadata():
    return [
        v4.new_raw_cell("\\begin{equation}x\\end{equation}", metadata={"format": "text/latex"}),
        v4.new_raw_cell(
            "<b>html</b>",
            metadata={"format": "text/html", "jupyter": {"source_hidden": True}, "tags": ["r"]},
        ),
        v4.new_raw_cell("plain", metadata={"name": "raw-one", "custom": {"deep": [1, [2, [3]]]}}),
    ], {}


def metadata_of_every_kind():
    notebook_metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {
            "name": "python",
            "version": "3.11.7",
            "codemirror_mode": {"name": "ipython", "version": 3},
            "file_extension": ".py",
            "mimetype": "text/x-python",
            "pygments_lexer": "ipython3",
            "nbconvert_exporter": "python",
        },
        "title": "Tïtle ✓",
        "authors": [{"name": "Ada"}, {"name": "李"}],
        "floats": [0.1, 0.2, 0.30000000000000004, 1e-05, 0.0001, 1e16, 1e15, 1.5, 100.0, -0.0,
                   1e22, 5e-324, 1.7976931348623157e308, 123456789.123456789, 2.5e-10, 3.0],
        "ints": [0, -1, 2**31, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1],
        "booleans": [True, False],
        "nothing": None,
        "empty": {"list": [], "dict": {}, "string": ""},
        "nested": {"a": {"b": {"c": {"d": [1, {"e": [None, {"f": "deep"}]}]}}}},
        "unicode keys": {"ключ": 1, "キー": 2, "🔑": 3, "Z": 4, "a": 5, "é": 6, "\u2028": 7},
        "special chars": "quote \" backslash \\ newline \n tab \t cr \r nul \x00 esc \x1b",
        "papermill": {"parameters": {"alpha": 0.6, "ratio": 0.1, "l1_ratio": 1e-05}},
    }
    code = v4.new_code_cell(
        "x = 1",
        metadata={
            "tags": ["parameters", "ünï"],
            "collapsed": False,
            "scrolled": "auto",
            "jupyter": {"source_hidden": False, "outputs_hidden": True},
            "execution": {
                "iopub.execute_input": "2024-01-01T00:00:00.000001Z",
                "iopub.status.busy": "2024-01-01T00:00:00Z",
                "iopub.status.idle": "2024-01-01T00:00:01Z",
                "shell.execute_reply": "2024-01-01T00:00:01Z",
            },
            "custom": {"score": 0.95, "weights": [1e-7, 12345678901234.5]},
        },
    )
    return [code, v4.new_markdown_cell("md", metadata={"tags": ["a"], "slideshow": {"slide_type": "slide"}})], notebook_metadata


def non_finite_floats():
    # Python's json writes NaN/Infinity, and papermill records such parameters in metadata.
    return [v4.new_code_cell("x = float('nan')")], {
        "papermill": {"parameters": {"x": float("nan"), "hi": float("inf"), "lo": float("-inf")}}
    }


def many_cells():
    cells = []
    for i in range(60):
        cells.append(v4.new_code_cell(f"print({i})\n" * (i % 4), execution_count=i or None,
                                      outputs=[v4.new_output("stream", text=f"{i}\n")] if i % 3 else []))
        cells.append(v4.new_markdown_cell(f"## Section {i}\n\ntext"))
    return cells, {}


BUILDERS = [
    unicode_sources,
    empty_and_blank,
    line_endings,
    attachments,
    every_output_type,
    raw_cells_with_metadata,
    metadata_of_every_kind,
    non_finite_floats,
    many_cells,
]


def build(builder, minor):
    cells, metadata = builder()
    nb = v4.new_notebook(cells=cells, metadata=metadata)
    nb.nbformat_minor = minor
    if minor < 5:
        for cell in nb.cells:  # ids arrived in 4.5; a 4.4 notebook with ids is invalid
            cell.pop("id", None)
    return nb


def write_with_nbformat(nb, path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a corpus notebook must be valid as written
        nbformat.write(nb, str(path))
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("minor", [4, 5])
@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_nbformat_written_notebook_roundtrips_byte_for_byte(builder, minor, tmp_path):
    nb = build(builder, minor)
    nbformat.validate(nb)
    text = write_with_nbformat(nb, tmp_path / "nb.ipynb")
    assert text.endswith("}\n")

    assert _core.roundtrip_notebook_text(text) == text
    assert _core.validate_notebook_text(text) == []
    assert _core.validate_roundtrip_notebook_text(text) == ([], text)


def test_corpus_really_exercises_the_hard_cases(tmp_path):
    """Guards the corpus itself: the cases the serializer must get right are in the files."""
    texts = "".join(write_with_nbformat(build(b, 5), tmp_path / f"{b.__name__}.ipynb") for b in BUILDERS)
    for needle in ["1e-05,", "1e+16,", "1000000000000000.0", "-0.0", "NaN", "-Infinity",
                   "18446744073709551615", "\\r\\n", "\u2028", "\\u0000", "\\u001b", "🎉", "\\\\",
                   '"image/svg+xml": [', '"application/javascript": [',
                   '"application/vnd.custom.v1+json": {', '"source": []', '"attachments": {']:
        assert needle in texts, needle


# ---- notebooks nbformat reads but did not write: rewritten exactly as nbformat rewrites them -


def nbformat_rewrite(text):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
        return nbformat.writes(nb) + "\n"


def compact(nb):
    return json.dumps(nb, ensure_ascii=True, separators=(",", ":"))


NON_CANONICAL = {
    "compact, ascii-escaped, unsorted": lambda: json.dumps(
        {"nbformat_minor": 4, "nbformat": 4, "metadata": {"z": 1, "a": "ü"},
         "cells": [{"source": "a\nb\r\nc", "metadata": {}, "cell_type": "markdown"}]},
        ensure_ascii=True),
    "source lists split oddly": lambda: compact(
        {"nbformat": 4, "nbformat_minor": 4, "metadata": {},
         "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                    "source": ["a", "b\nc", "", "\n", "d\re"]}]}),
    "stream text and mime data as lists, json mimes left alone": lambda: compact(
        {"nbformat": 4, "nbformat_minor": 4, "metadata": {},
         "cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "",
                    "outputs": [
                        {"output_type": "stream", "name": "stdout", "text": ["x", "y\n", "z"]},
                        {"output_type": "display_data", "metadata": {},
                         "data": {"text/plain": ["a\n", "b"], "image/png": ["QUJD\n", "REVG"],
                                  "application/json": ["kept", "as list"],
                                  "application/x.y+json": ["also", "kept"],
                                  "text/html": []}}]}]}),
    "transient fields stripped": lambda: compact(
        {"nbformat": 4, "nbformat_minor": 4,
         "metadata": {"orig_nbformat": 3, "orig_nbformat_minor": 0, "signature": "sha256:x", "keep": 1},
         "cells": [{"cell_type": "raw", "metadata": {"trusted": True, "format": "x"}, "source": "r"}]}),
    "unknown fields and future minor kept": lambda: compact(
        {"nbformat": 4, "nbformat_minor": 99, "extra": {"b": 2, "a": 1}, "metadata": {},
         "cells": [{"cell_type": "future", "metadata": {}, "payload": [1, 2], "id": "x1"},
                   {"cell_type": "code", "id": "x2", "metadata": {}, "source": "s", "execution_count": None,
                    "outputs": [{"output_type": "future_output", "text": ["a\n", "b"], "blob": {"z": None}}]}]}),
    "numbers in Python's spellings": lambda: (
        '{"nbformat": 4, "nbformat_minor": 4, "cells": [], "metadata": {"n": [1E5, 1e-7, 2.50, -0, -0.0, 0.1e1,'
        ' 1e400, -1e400, 1e-400, NaN, Infinity, -Infinity, 9007199254740993, 18446744073709551615]}}'),
    "duplicate keys keep the last": lambda: (
        '{"nbformat": 4, "nbformat_minor": 4, "cells": [], "metadata": {"k": 1, "k": 2}}'),
}


@pytest.mark.parametrize("case", list(NON_CANONICAL), ids=str)
def test_rewrites_like_nbformat(case):
    text = NON_CANONICAL[case]()
    assert _core.roundtrip_notebook_text(text) == nbformat_rewrite(text)


def test_v4_5_cell_ids_are_repaired_like_nbformat_read():
    text = compact({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "raw", "id": "dup", "metadata": {}, "source": "a"},
        {"cell_type": "raw", "id": "dup", "metadata": {}, "source": "b"},
        {"cell_type": "raw", "metadata": {}, "source": "c"}]})
    out = json.loads(_core.roundtrip_notebook_text(text))
    ids = [c["id"] for c in out["cells"]]
    assert ids[0] == "dup"
    assert len(set(ids)) == 3
    assert all(len(i) == 8 and all(ch in "0123456789abcdef" for ch in i) for i in ids[1:])
    assert isvalid(out)


# ---- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, pattern",
    [
        ('{"nbformat": 4,\n "cells": [,]}', r"<string>:2:12: malformed JSON"),
        ('{"nbformat": 4, "nbformat_minor": 4, "metadata": {}}', r"/cells: missing"),
        ('{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}',
         r"/nbformat: nbformat 3 notebooks are not supported"),
        ('{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": {}}',
         r"/cells: expected an array of cells, found an object"),
        ('{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"source": ""}]}',
         r"/cells/0: cell without a cell_type"),
        ('{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "raw", "source": 5}]}',
         r"/cells/0/source: expected a string or a list of strings"),
    ],
)
def test_bad_input_names_the_place(text, pattern):
    with pytest.raises(_core.NotebookError, match=pattern):
        _core.roundtrip_notebook_text(text)


# ---- validation agrees with nbformat --------------------------------------------------------


def valid_base():
    return json.loads(write_with_nbformat_text(build(every_output_type, 5)))


def write_with_nbformat_text(nb):
    return nbformat.writes(nb) + "\n"


DELETE = object()


def mutate(path, value):
    def apply(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return doc
    return apply


MUTATIONS = {
    "valid": (lambda d: d, None),
    "cell id bad chars": (mutate(["cells", 0, "id"], "$bad"), "/cells/0/id"),
    "cell id too long": (mutate(["cells", 0, "id"], "a" * 65), "/cells/0/id"),
    "duplicate id": (lambda d: d["cells"][1].update(id=d["cells"][0]["id"]), "/cells/1/id"),
    "missing id": (mutate(["cells", 0, "id"], DELETE), "/cells/0"),
    "execution_count float": (mutate(["cells", 0, "execution_count"], 1.0), "/cells/0/execution_count"),
    "execution_count negative": (mutate(["cells", 0, "execution_count"], -1), "/cells/0/execution_count"),
    "stream without name": (mutate(["cells", 0, "outputs", 0, "name"], DELETE), "/cells/0/outputs/0"),
    "error traceback string": (mutate(["cells", 0, "outputs", 5, "traceback"], "tb"),
                               "/cells/0/outputs/5/traceback"),
    "unknown output type": (mutate(["cells", 0, "outputs", 0, "output_type"], "printed"),
                            "/cells/0/outputs/0/output_type"),
    "mime value number": (mutate(["cells", 0, "outputs", 2, "data", "text/html"], 3),
                          "/cells/0/outputs/2/data/text~1html"),
    "extra output key": (mutate(["cells", 0, "outputs", 2, "transient"], {}),
                         "/cells/0/outputs/2/transient"),
    "kernelspec without display_name": (mutate(["metadata", "kernelspec"], {"name": "python3"}),
                                        "/metadata/kernelspec"),
    "scrolled bad": (mutate(["cells", 0, "metadata", "scrolled"], "yes"), "/cells/0/metadata/scrolled"),
    "tags with comma": (mutate(["cells", 0, "metadata", "tags"], ["a,b"]), "/cells/0/metadata/tags/0"),
    "top-level extra": (mutate(["extra"], 1), "/extra"),
    "nbformat_minor string": (mutate(["nbformat_minor"], "5"), "/nbformat_minor"),
}


@pytest.mark.parametrize("case", list(MUTATIONS), ids=str)
def test_validator_agrees_with_nbformat(case):
    change, expected_path = MUTATIONS[case]
    doc = valid_base()
    doc["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    change(doc)
    diagnostics = _core.validate_notebook_text(json.dumps(doc))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nbformat_says_valid = isvalid(copy.deepcopy(doc))
        except Exception:  # nbformat asserts on a non-integer minor version
            nbformat_says_valid = False
    assert (diagnostics == []) == nbformat_says_valid
    if expected_path is not None:
        assert expected_path in [path for path, _ in diagnostics], diagnostics
    # The one-parse form finds the same and writes back only a valid notebook.
    findings, written = _core.validate_roundtrip_notebook_text(json.dumps(doc))
    assert findings == diagnostics
    assert (written is not None) == (diagnostics == [])


def test_validator_accepts_the_in_memory_shape_too():
    text = write_with_nbformat_text(build(every_output_type, 5))
    joined = nbformat.reads(text, as_version=4)  # rejoin_lines: strings instead of line lists
    assert _core.validate_notebook_text(json.dumps(joined)) == []


# ---- nbformat's own test notebooks ----------------------------------------------------------


def corpus_files():
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.glob("*.ipynb") if json.loads(p.read_text("utf-8")).get("nbformat") == 4)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/nbformat is absent (fresh clone)")
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_nbformat_corpus(path):
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nbformat_says_valid = isvalid(copy.deepcopy(doc))
    assert (_core.validate_notebook_text(text) == []) == nbformat_says_valid

    ours = _core.roundtrip_notebook_text(text)
    ids = [cell.get("id") for cell in doc["cells"]]
    ids_repaired = doc.get("nbformat_minor", 0) >= 5 and (None in ids or len(set(ids)) < len(ids))
    if not ids_repaired:  # repaired ids are random on both sides
        assert ours == nbformat_rewrite(text)
