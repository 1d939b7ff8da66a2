"""secrets= on nbexec.sweep (and --secret with nbexec sweep --summary): every run's kernel gets
the value; no output notebook, record, summary or log line holds it, raw, as repr or as JSON;
bad secrets and a grid or fixed name that is a secret's are refused before anything is
written; tcp in clear is refused unless allowed."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os

import pytest
from helpers import code_cells, read_valid, stream_text

import nbexec

# A quote, a backslash and a non-ASCII letter: repr() and json.dumps() each write it differently.
SECRET = "sw-s3cr'et\\\u00e5-55"
# Every encoding of SECRET contains one of these, so a leak in any form is caught.
FRAGMENTS = [b"s3cr", "\u00e5-55".encode(), b"\\u00e5-55", b"\\xe5-55"]
EXPECTED = hashlib.sha256(SECRET.encode()).hexdigest()
PARAMS = 'token = ""\nalpha = 0\n'
CELLS = [
    "import hashlib, json, sys\nimport nbexec\n"
    "print('sha', hashlib.sha256(token.encode()).hexdigest(), alpha)\n"
    "nbexec.record('sha', hashlib.sha256(token.encode()).hexdigest())\n"
    "nbexec.record('echo', token)",
    "print(token, repr(token), json.dumps(token))\nprint(token, file=sys.stderr)",
    "if alpha == 3:\n    raise RuntimeError(f'failed with {token!r}')",
]


def _leaks(data: bytes) -> list[bytes]:
    return [f for f in FRAGMENTS if f in data]


@pytest.fixture
def notebook(write_notebook, tmp_path, monkeypatch):
    (tmp_path / "runtime").mkdir()
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    return write_notebook(CELLS, parameters_cell=PARAMS)


def test_every_run_gets_the_secret_and_nothing_holds_it(notebook, tmp_path, caplog, capfd):
    caplog.set_level(logging.DEBUG, logger="nbexec")
    records = nbexec.sweep(notebook, tmp_path / "out" / "{alpha}.ipynb", {"alpha": [1, 2, 3]},
                           jobs=2, secrets={"token": SECRET})
    assert [(r.parameters, r.status) for r in records] == [
        ({"alpha": 1}, "completed"), ({"alpha": 2}, "completed"), ({"alpha": 3}, "failed")]
    for r in records:
        # The kernel had the real value; the scrap that recorded it raw is masked.
        assert r.scraps == {"sha": EXPECTED, "echo": "********"}, r
        raw = open(r.output_path, "rb").read()
        assert _leaks(raw) == [], r.output_path
        nb = read_valid(r.output_path)
        assert nb.metadata.papermill.parameters == {"token": "<secret>", **r.parameters}
        injected = code_cells(nb)[1]
        assert "injected-parameters" in injected.metadata.tags
        assert 'token = "<secret>"' in injected.source
        assert stream_text(code_cells(nb)[2]) == f"sha {EXPECTED} {r.parameters['alpha']}\n"
        # print(token, repr(token), json.dumps(token)); repr chose double quotes (a ' inside).
        assert stream_text(code_cells(nb)[3]) == '******** "********" "********"\n'
        assert stream_text(code_cells(nb)[3], "stderr") == "********\n"
    assert records[2].error == "cell 4 raised RuntimeError: failed with \"********\""
    captured = capfd.readouterr()
    for name, data in [("records", repr(records).encode()),
                       ("records as JSON", json.dumps(
                           [dataclasses.asdict(r) for r in records]).encode()),
                       ("log", caplog.text.encode()), ("stdout", captured.out.encode()),
                       ("stderr", captured.err.encode())]:
        assert _leaks(data) == [], name
    assert "run 2: " in caplog.text  # the runs' lines were logged (and checked above)


def test_cli_summary_holds_no_secret(run_cli, notebook, tmp_path):
    grid = tmp_path / "grid.yaml"
    grid.write_text("alpha: [1, 3]\n")
    env = {**os.environ, "MY_TOKEN": SECRET}
    for summary in ("summary.jsonl", "summary.csv"):
        proc = run_cli("sweep", notebook, "out-{alpha}.ipynb", "--grid", grid, "--secret",
                       "token=MY_TOKEN", "--transport", "ipc", "--summary", summary, env=env)
        assert proc.returncode == 1, proc.stderr  # alpha=3 fails
        data = (tmp_path / summary).read_bytes()
        assert EXPECTED.encode() in data           # the scraps are in it, the kernel had it
        assert _leaks(data) == [], summary
        assert _leaks(proc.stdout.encode() + proc.stderr.encode()) == []
    rows = [json.loads(line) for line in (tmp_path / "summary.jsonl").read_text().splitlines()]
    assert [r["parameters"] for r in rows] == [{"alpha": 1}, {"alpha": 3}]
    assert rows[1]["error"] == "cell 4 raised RuntimeError: failed with \"********\""


@pytest.mark.parametrize("secrets, error", [
    ({"token": 123}, TypeError),
    (["token"], TypeError),
    ({"to-ken": SECRET}, nbexec.ParameterError),
    ({"token": ""}, nbexec.UsageError),
    ({"token": "ab"}, nbexec.UsageError),
])
def test_bad_secrets_raise_before_anything_is_written(notebook, tmp_path, secrets, error):
    out = tmp_path / "out"
    # Lenient checks: the secrets are refused on their own account, not as unknown names.
    with pytest.raises(error):
        nbexec.sweep(notebook, out / "{run}.ipynb", {"alpha": [1, 2]}, secrets=secrets,
                     strict_parameters=False)
    assert not out.exists()


@pytest.mark.parametrize("where", ["grid", "parameters"])
def test_a_grid_or_fixed_name_that_is_a_secret_is_refused(notebook, tmp_path, where):
    out = tmp_path / "out"
    grid = {"token": ["abcdef", "ghijkl"]} if where == "grid" else {"alpha": [1, 2]}
    parameters = {"token": "abcdef"} if where == "parameters" else None
    with pytest.raises(nbexec.UsageError, match="both as a parameter and as a secret"):
        nbexec.sweep(notebook, out / "{run}.ipynb", grid, parameters=parameters,
                     secrets={"token": SECRET})
    assert not out.exists()


def test_tcp_in_clear_is_refused_unless_allowed(notebook, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(nbexec.UsageError, match="in clear.*allow_insecure_secrets=True"):
        nbexec.sweep(notebook, out / "{run}.ipynb", {"alpha": [1, 2]},
                     secrets={"token": SECRET}, transport="tcp", encryption="off")
    assert not out.exists()
    with pytest.raises(ValueError, match="transport"):
        nbexec.sweep(notebook, out / "{run}.ipynb", {"alpha": [1]}, transport="udp")
    with pytest.raises(ValueError, match="encryption"):
        nbexec.sweep(notebook, out / "{run}.ipynb", {"alpha": [1]}, encryption="maybe")
    assert not out.exists()
    records = nbexec.sweep(notebook, out / "{run}.ipynb", {"alpha": [1, 2]},
                           secrets={"token": SECRET}, transport="tcp", encryption="off",
                           allow_insecure_secrets=True)
    assert [(r.status, r.scraps["sha"]) for r in records] == [("completed", EXPECTED)] * 2
    for r in records:
        assert _leaks(open(r.output_path, "rb").read()) == []
