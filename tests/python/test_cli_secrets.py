"""Secret parameters on the command line (--secret NAME=ENVVAR, -s NAME VALUE): the kernel gets
the value; no byte of it reaches the output notebook, the stream files or the JSON events, also
printed raw, as repr, as JSON and in a traceback. Every run passes --transport explicitly, so
the tests keep their meaning whichever transport is the default."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from helpers import code_cells, read_valid

# A quote, a backslash and a non-ASCII letter: repr() and json.dumps() each write it differently.
SECRET = "s3cr'et\\v\u00e5lue-42"
# Every encoding of SECRET contains one of these, so a leak in any form is caught.
FRAGMENTS = [b"s3cr", "lue-42".encode(), b"\\u00e5lue"]

PARAMS = 'token = "default"\nalpha = 1\n'
CELLS = [
    "import hashlib, json, sys\nprint('sha', hashlib.sha256(token.encode()).hexdigest())",
    "print(token)\nprint(repr(token))\nprint(json.dumps(token))\n"
    "print(json.dumps({'t': token}, ensure_ascii=False))",
    "print('err', token, file=sys.stderr)",
    "token",
    "from IPython.display import HTML, display\ndisplay(HTML('<b>' + token + '</b>'))",
    "raise ValueError('bad token ' + token)",
]


def _leaks(data: bytes) -> list[bytes]:
    return [f for f in FRAGMENTS if f in data]


@pytest.fixture
def secret_notebook(write_notebook):
    return write_notebook(CELLS, parameters_cell=PARAMS)


def test_secret_from_env_reaches_the_kernel_and_nothing_written(run_cli, secret_notebook,
                                                                  tmp_path):
    out, stdout_file, stderr_file = (tmp_path / "out.ipynb", tmp_path / "out.txt",
                                     tmp_path / "err.txt")
    env = {**os.environ, "MY_TOKEN": SECRET}
    proc = run_cli("run", secret_notebook, out, "--secret", "token=MY_TOKEN", "-p", "alpha", "2",
                   "--transport", "ipc", "--log-format", "json", "--stdout-file", stdout_file,
                   "--stderr-file", stderr_file, env=env)
    assert proc.returncode == 1, proc.stderr  # the last cell raises

    # The raw bytes of every file written and of what the run printed.
    for name, data in [("notebook", out.read_bytes()), ("stdout file", stdout_file.read_bytes()),
                       ("stderr file", stderr_file.read_bytes()),
                       ("events", proc.stderr.encode()), ("stdout", proc.stdout.encode())]:
        assert _leaks(data) == [], name

    nb = read_valid(out)
    cells = code_cells(nb)
    injected = next(c for c in cells if "injected-parameters" in c.metadata.tags)
    assert 'token = "<secret>"' in injected.source
    assert "alpha = 2" in injected.source
    assert "secrets: token" in injected.source
    assert nb.metadata.papermill.parameters == {"alpha": 2, "token": "<secret>"}

    # The kernel had the real value: its hash is the one of SECRET.
    expected = hashlib.sha256(SECRET.encode()).hexdigest()
    assert f"sha {expected}\n" in stdout_file.read_text()
    # Each form printed became the mask, whole.
    printed = [o for c in cells for o in c.outputs if o.output_type == "stream"
               and o.name == "stdout" and "sha" not in o.text]
    assert "".join(o.text for o in printed).splitlines() == [
        "********", '"********"', '"********"', '{"t": "********"}']
    assert "err ********" in stderr_file.read_text()
    result = next(o for c in cells for o in c.outputs if o.output_type == "execute_result")
    assert result.data["text/plain"] == '"********"'
    html = next(o for c in cells for o in c.outputs if o.output_type == "display_data")
    assert html.data["text/html"] == "<b>********</b>"
    error = next(o for c in cells for o in c.outputs if o.output_type == "error")
    assert error.evalue == "bad token ********"
    assert any("********" in line for line in error.traceback)

    events = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    run_end = next(e for e in events if e["event"] == "run_end")
    assert run_end["error"].endswith("ValueError: bad token ********")


def test_secret_printed_in_pieces_is_masked_whole(run_cli, write_notebook, tmp_path):
    """A value written in three flushed pieces reaches nbexec as three stream messages; the
    tail that could start a secret is held back until the next message shows whether it does."""
    notebook = write_notebook(
        ["import sys, time\n"
         "def pieces(text, cuts):\n"
         "    for a, b in zip((0,) + cuts, cuts + (len(text),)):\n"
         "        sys.stdout.write(text[a:b]); sys.stdout.flush(); time.sleep(0.3)\n"
         "pieces('value: ' + token + '\\n', (10, 14))\n"
         "pieces(repr(token) + '\\n', (4,))\n"
         "pieces('done s', ())"], parameters_cell=PARAMS)
    out, stdout_file = tmp_path / "out.ipynb", tmp_path / "out.txt"
    proc = run_cli("run", notebook, out, "--secret", "token=MY_TOKEN", "--transport", "ipc",
                   "--log-format", "json", "--log-output", "--stdout-file", stdout_file,
                   env={**os.environ, "MY_TOKEN": SECRET})
    assert proc.returncode == 0, proc.stderr
    for name, data in [("notebook", out.read_bytes()), ("stdout file", stdout_file.read_bytes()),
                       ("events and log", proc.stderr.encode())]:
        assert _leaks(data) == [], name
    outputs = code_cells(read_valid(out))[-1].outputs
    # The kernel did send pieces: the text before the value is an output of its own.
    assert outputs[0].text == "value: "
    assert len(outputs) >= 3
    expected = 'value: ********\n"********"\ndone s'
    assert "".join(o.text for o in outputs) == expected
    assert stdout_file.read_text() == expected


def test_secret_value_on_the_command_line_with_s(run_cli, secret_notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", secret_notebook, out, "-s", "token", SECRET, "--transport", "ipc",
                   "--allow-errors")
    assert proc.returncode == 0, proc.stderr
    assert _leaks(out.read_bytes()) == []
    assert _leaks((proc.stdout + proc.stderr).encode()) == []
    nb = read_valid(out)
    expected = hashlib.sha256(SECRET.encode()).hexdigest()
    assert f"sha {expected}" in code_cells(nb)[2].outputs[0].text


def test_secret_before_the_positionals_takes_one_value(run_cli, secret_notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    env = {**os.environ, "MY_TOKEN": SECRET}
    proc = run_cli("run", "--secret", "token=MY_TOKEN", "--transport", "ipc", secret_notebook,
                   out, "--allow-errors", env=env)
    assert proc.returncode == 0, proc.stderr
    assert _leaks(out.read_bytes()) == []


def test_unset_environment_variable_is_exit_2_and_nothing_written(run_cli, secret_notebook,
                                                                  tmp_path):
    out = tmp_path / "out.ipynb"
    env = {k: v for k, v in os.environ.items() if k != "NBEXEC_TEST_UNSET"}
    proc = run_cli("run", secret_notebook, out, "--secret", "token=NBEXEC_TEST_UNSET",
                   "--transport", "ipc", env=env)
    assert proc.returncode == 2
    assert "environment variable NBEXEC_TEST_UNSET is not set" in proc.stderr
    assert not out.exists()


def test_tcp_without_encryption_is_refused_unless_allowed(run_cli, secret_notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    env = {**os.environ, "MY_TOKEN": SECRET}
    proc = run_cli("run", secret_notebook, out, "--secret", "token=MY_TOKEN",
                   "--transport", "tcp", "--encryption", "off", env=env)
    assert proc.returncode == 2
    assert "in clear" in proc.stderr and "--allow-insecure-secrets" in proc.stderr
    assert not out.exists()

    proc = run_cli("run", secret_notebook, out, "--secret", "token=MY_TOKEN", "--transport",
                   "tcp", "--encryption", "off", "--allow-insecure-secrets", "--allow-errors",
                   env=env)
    assert proc.returncode == 0, proc.stderr
    assert _leaks(out.read_bytes()) == []
    expected = hashlib.sha256(SECRET.encode()).hexdigest()
    assert f"sha {expected}" in code_cells(read_valid(out))[2].outputs[0].text


@pytest.mark.parametrize("args, message, unsaid", [
    (["-s", "token", ""], "is empty", None),
    (["-s", "token", "abc"], "shorter than 4", None),
    (["-s", "token", "abcdef", "-p", "token", "x"], "both as a parameter and as a secret", None),
    (["-s", "token", "abcdef", "-s", "token", "ghijkl"], "more than once", None),
    (["-s", "token", "*****"], "cannot be told from the mask", None),
    (["--secret", "token"], "NAME=ENVVAR", None),
    # A value typed where its variable's name or the secret's name belongs is not echoed.
    (["--secret", "token=hunter2-Sekr3t"], "is not a variable name", "hunter2-Sekr3t"),
    (["--secret", "hunter2-Sekr3t"], "has no '='", "hunter2-Sekr3t"),
    (["--secret", "token=hunTer2Sekr3t"], "the environment variable it names is not set",
     "hunTer2Sekr3t"),
    (["-s", "hunter2-Sekr3t", "abcdef"], "not a parameter name", "hunter2-Sekr3t"),
])
def test_unusable_secrets_are_exit_2(run_cli, secret_notebook, tmp_path, args, message,
                                     unsaid):
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", secret_notebook, out, *args, "--transport", "ipc")
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    if unsaid:
        assert unsaid not in proc.stderr + proc.stdout
    assert not out.exists()


def test_prepare_only_writes_the_placeholder(run_cli, secret_notebook, tmp_path):
    out = tmp_path / "out.ipynb"
    proc = run_cli("run", secret_notebook, out, "-s", "token", SECRET, "--prepare-only")
    assert proc.returncode == 0, proc.stderr
    assert _leaks(out.read_bytes()) == []
    assert read_valid(out).metadata.papermill.parameters == {"token": "<secret>"}


def test_help_lists_the_secret_options(run_cli):
    proc = run_cli("run", "--help")
    for option in ("--secret NAME=ENVVAR", "-s,--secret-value", "--allow-insecure-secrets"):
        assert option in proc.stdout, option


def test_sweep_passes_the_secret_to_every_run(run_cli, write_notebook, tmp_path):
    notebook = write_notebook(
        ["import hashlib\nprint('sha', hashlib.sha256(token.encode()).hexdigest(), alpha)\n"
         "print(token)"], parameters_cell='token = ""\nalpha = 0\n')
    grid = tmp_path / "grid.yaml"
    grid.write_text("alpha: [1, 2]\n")
    env = {**os.environ, "MY_TOKEN": SECRET}
    proc = run_cli("sweep", notebook, "out/{alpha}.ipynb", "--grid", grid, "--secret",
                   "token=MY_TOKEN", "--transport", "ipc", env=env)
    assert proc.returncode == 0, proc.stderr
    expected = hashlib.sha256(SECRET.encode()).hexdigest()
    for alpha in (1, 2):
        raw = (tmp_path / "out" / f"{alpha}.ipynb").read_bytes()
        assert _leaks(raw) == []
        text = code_cells(read_valid(tmp_path / "out" / f"{alpha}.ipynb"))[2].outputs[0].text
        assert text == f"sha {expected} {alpha}\n********\n"
    # A grid name that is a secret's too is refused before any run starts.
    grid.write_text("token: [abcd, efgh]\n")
    proc = run_cli("sweep", notebook, "out2/{token}.ipynb", "--grid", grid, "--secret",
                   "token=MY_TOKEN", "--transport", "ipc", env=env)
    assert proc.returncode == 2
    assert "both as a parameter and as a secret" in proc.stderr
    assert not (tmp_path / "out2").exists()
    # So is a secret name that is not a parameter name, strict checks or not.
    grid.write_text("alpha: [1, 2]\n")
    proc = run_cli("sweep", notebook, "out3/{alpha}.ipynb", "--grid", grid, "--secret",
                   "to-ken=MY_TOKEN", "--no-strict-parameters", env=env)
    assert proc.returncode == 2
    assert "a secret's name is not a parameter name" in proc.stderr
    assert not (tmp_path / "out3").exists()
