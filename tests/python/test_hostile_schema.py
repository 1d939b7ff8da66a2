"""Wrong types at every place of the nbformat schema (issue 8).

tests/hostile/schema_walk.py takes a rich, valid v4.5 notebook (every cell type, every output
type, attachments, all documented metadata) and at every JSON pointer puts a value of each
other JSON type, removes the member, and adds an unknown member to each object: about 1,000
documents (of arrays other than cells and outputs, whose items the schema treats alike, only
the first item). nbexec's validator (the Python binding, in-process) must agree with nbformat's
(nbformat.validator.isvalid, the oracle) on every one, and name the place it objects to. A
sample goes through the CLI, where a rejection is exit 2 with one line naming the file and the
JSON pointer, and an acceptance writes a notebook nbformat validates.

Where nbformat itself raises instead of answering (a root that is not an object, a cells list
of numbers, ...), the document counts as invalid: nbexec gives an error for each of those.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbformat.validator import isvalid

from helpers import REPO

sys.path.insert(0, str(REPO / "tests" / "hostile"))
import schema_walk  # noqa: E402  (tests/hostile/schema_walk.py)

_core = pytest.importorskip("nbexec._core")

RICH = schema_walk.load_rich()
MUTATIONS = list(schema_walk.mutations(RICH))
CLI_SAMPLE_EVERY = 20


def oracle(document) -> bool:
    try:
        return isvalid(json.loads(json.dumps(document)))  # a copy nbformat may change
    except Exception:  # nbformat's validator raises on some malformed documents
        return False


def related(pointer: str, path: str) -> bool:
    """The diagnostic's path is the mutated place, an ancestor of it, or inside it."""
    return (path == pointer or pointer.startswith(path + "/") or path.startswith(pointer + "/")
            or path == "")


def test_the_rich_notebook_is_valid_to_both():
    assert oracle(RICH)
    assert _core.validate_notebook_text(json.dumps(RICH)) == []
    # Every cell type and every output type is there to be mutated.
    cells = RICH["cells"]
    assert {c["cell_type"] for c in cells} == {"markdown", "code", "raw"}
    outputs = [o for c in cells for o in c.get("outputs", [])]
    assert {o["output_type"] for o in outputs} == {"stream", "display_data", "execute_result",
                                                  "error"}
    assert len(MUTATIONS) > 800


def test_validator_agrees_with_nbformat_at_every_place():
    disagreements = []
    unnamed = []
    rejected = 0
    for pointer, what, document in MUTATIONS:
        diagnostics = _core.validate_notebook_text(json.dumps(document))
        expected_valid = oracle(document)
        if (not diagnostics) != expected_valid:
            disagreements.append((pointer, what, expected_valid, diagnostics[:2]))
            continue
        if diagnostics:
            rejected += 1
            target = pointer.rsplit("/", 1)[0] if what == "unknown member added" else pointer
            if not any(related(target, path) or related(pointer, path) for path, _ in diagnostics):
                unnamed.append((pointer, what, diagnostics[:2]))
    assert disagreements == [], f"{len(disagreements)} of {len(MUTATIONS)} disagree"
    assert unnamed == []
    # Most mutations break the schema; a few (a string where any string goes) do not.
    assert rejected > len(MUTATIONS) // 2


def _repaired_as_nbformat_read(document):
    """What nbformat.read hands papermill: missing cell ids of 4.5 notebooks filled in."""
    out = copy.deepcopy(document)
    if isinstance(out, dict) and isinstance(out.get("cells"), list):
        for i, cell in enumerate(out["cells"]):
            if isinstance(cell, dict) and "id" not in cell:
                cell["id"] = f"added-{i}"
    return out


@pytest.mark.parametrize("index", range(0, len(MUTATIONS), CLI_SAMPLE_EVERY))
def test_cli_refuses_exactly_what_nbformat_refuses(index, cli, tmp_path):
    pointer, what, document = MUTATIONS[index]
    source = tmp_path / "mutated.ipynb"
    source.write_text(json.dumps(document))
    output = tmp_path / "out.ipynb"
    # -k: a notebook whose kernelspec was mutated away still names a kernel to prepare for.
    proc = subprocess.run([cli, "run", str(source), str(output), "--prepare-only", "-k",
                           "python3"], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ))
    context = f"{pointer} {what}: exit {proc.returncode}\n{proc.stderr}"
    if oracle(_repaired_as_nbformat_read(document)):
        assert proc.returncode == 0, context
        nbformat.validate(nbformat.read(str(output), as_version=4))
        return
    assert proc.returncode == 2, context
    errors = [line for line in proc.stderr.splitlines() if line.startswith("nbexec: error:")]
    assert len(errors) == 1, context
    assert "mutated.ipynb" in errors[0], context
    named = errors[0].split("mutated.ipynb", 1)[1]
    paths = [token.rstrip(":") for token in named.split() if token.startswith("/")]
    target = pointer.rsplit("/", 1)[0] if what == "unknown member added" else pointer
    # The pointer is named, or (for a document that is not an object at all) no place is.
    assert (any(related(target, p) or related(pointer, p) for p in paths)
            or (pointer == "" and not paths)), context
    assert not output.exists(), context
