"""secrets= in Python: execute_notebook and KernelPool.execute_notebook give the value to the
kernel and write it nowhere; a wire that is not private is refused unless allowed."""

from __future__ import annotations

import hashlib
import io
import logging

import pytest
from helpers import code_cells, read_valid

import nbexec
from nbexec import _core

SECRET = "py-s3cr'et\\\u00e5-99"
FRAGMENTS = [b"s3cr", b"\\u00e5-99", "\u00e5-99".encode()]
CELLS = [
    "import hashlib, json, sys\nprint('sha', hashlib.sha256(token.encode()).hexdigest())",
    "print(token, repr(token), json.dumps(token))\nprint(token, file=sys.stderr)",
    "raise RuntimeError(f'failed with {token!r}')",
]


def _leaks(data: bytes) -> list[bytes]:
    return [f for f in FRAGMENTS if f in data]


def test_execute_notebook_secrets(write_notebook, tmp_path, caplog):
    src = write_notebook(CELLS, parameters_cell='token = ""\n')
    out = tmp_path / "out.ipynb"
    stdout, stderr = io.StringIO(), io.StringIO()
    caplog.set_level(logging.DEBUG, logger="nbexec")
    with pytest.raises(nbexec.ExecutionError) as info:
        # The default transport (ipc) is private: no consent needed.
        nbexec.execute_notebook(src, out, secrets={"token": SECRET}, log_output=True,
                                stdout_file=stdout, stderr_file=stderr, progress_bar=False)
    assert "********" in str(info.value)
    for name, data in [("notebook", out.read_bytes()), ("stdout", stdout.getvalue().encode()),
                       ("stderr", stderr.getvalue().encode()), ("log", caplog.text.encode()),
                       ("error", str(info.value).encode())]:
        assert _leaks(data) == [], name
    nb = read_valid(out)
    assert nb.metadata.papermill.parameters == {"token": "<secret>"}
    expected = hashlib.sha256(SECRET.encode()).hexdigest()
    assert f"sha {expected}\n" in stdout.getvalue()
    # print(token, repr(token), json.dumps(token)); repr chose double quotes (the value has a ').
    assert stdout.getvalue().endswith('******** "********" "********"\n')
    assert code_cells(nb)[-1].outputs[0].evalue == 'failed with "********"'


def test_kernel_pool_takes_the_same_keywords(write_notebook, tmp_path):
    src = write_notebook(CELLS[:1], parameters_cell='token = ""\n')
    out = tmp_path / "out.ipynb"
    with nbexec.KernelPool("python3", size=1) as pool:
        nb = pool.execute_notebook(src, out, secrets={"token": SECRET}, progress_bar=False)
    expected = hashlib.sha256(SECRET.encode()).hexdigest()
    assert code_cells(nb)[2].outputs[0].text == f"sha {expected}\n"
    assert _leaks(out.read_bytes()) == []


def test_tcp_is_refused_without_allow_insecure_secrets(write_notebook, tmp_path):
    src = write_notebook(CELLS[:1], parameters_cell='token = ""\n')
    options = _core.RunOptions()
    options.input_path = str(src)
    options.output_path = str(tmp_path / "out.ipynb")
    options.transport = "tcp"  # explicit: the refusal is about tcp in clear, whatever the default
    options.encryption = "off"
    options.secrets = {"token": SECRET}
    with pytest.raises(nbexec.UsageError, match="in clear.*allow_insecure_secrets=True") as info:
        _core.run(options)
    assert "--" not in str(info.value)  # the library's message names no CLI flag
    assert not (tmp_path / "out.ipynb").exists()


@pytest.mark.parametrize("secrets, error", [
    ({"token": 123}, TypeError),
    (["token"], TypeError),
    ({"token": ""}, nbexec.UsageError),
    ({"token": "ab"}, nbexec.UsageError),
    ({"to-ken": "abcdefgh"}, nbexec.ParameterError),
    # The value where the name belongs, and a value os.environ made of bytes that were not
    # UTF-8: the messages do not quote them.
    ({"hunter2-Sekr3t": "token"}, nbexec.ParameterError),
    ({"token": "hunter2-Sekr3t\udc80"}, ValueError),
    ({"hunter2-Sekr3t": 5}, TypeError),
])
def test_bad_secrets_raise_before_anything_is_written(write_notebook, tmp_path, secrets, error):
    src = write_notebook(CELLS[:1], parameters_cell='token = ""\n')
    out = tmp_path / "out.ipynb"
    with pytest.raises(error) as info:
        nbexec.execute_notebook(src, out, secrets=secrets, allow_insecure_secrets=True,
                                progress_bar=False)
    assert "hunter2" not in str(info.value)
    assert not out.exists()
