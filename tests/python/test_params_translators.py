"""Translators registered from Python: used by render_parameters and by execute_notebook's
injected cell (which the C++ core renders on its worker thread, calling back into Python)."""

from __future__ import annotations

import json
import threading

import nbformat
import pytest
from helpers import make_notebook

import nbexec
from nbexec import _core


class LuaTranslator(nbexec.Translator):
    @classmethod
    def translate_none(cls, val):
        return "nil"

    @classmethod
    def translate_list(cls, val):
        return "{" + ", ".join(cls.translate(v) for v in val) + "}"

    @classmethod
    def comment(cls, cmt_str):
        return f"-- {cmt_str}".strip()

    @classmethod
    def assign(cls, name, str_val):
        return f"local {name} = {str_val}"


LUA_TEXT = '-- Parameters\nlocal a = {1, nil, "x\\"y"}\nlocal b = true\n'


def test_class_translator_is_used_by_render_parameters():
    nbexec.register_translator("nbexec-test-lua", LuaTranslator)
    parameters = {"a": [1, None, 'x"y'], "b": True}
    assert _core.render_parameters(parameters, "nbexec-test-lua", "") == LUA_TEXT
    # Found by language too, as papermill finds translators.
    assert nbexec.render_parameters(parameters, "some-kernel", "nbexec-test-lua") == LUA_TEXT
    assert "nbexec-test-lua" in nbexec.translator_names()


def test_callable_and_instance_translators():
    calls = []

    def render(parameters, comment):
        calls.append((dict(parameters), comment, threading.current_thread().name))
        return f"## {comment}\n" + "".join(f"{k} <- {v!r}\n" for k, v in parameters.items())

    nbexec.register_translator("nbexec-test-callable", render)
    assert _core.render_parameters({"n": 1.5}, "nbexec-test-callable", "", "Hi") == (
        "## Hi\nn <- 1.5\n"
    )
    assert calls[0][:2] == ({"n": 1.5}, "Hi")
    nbexec.register_translator("nbexec-test-instance", LuaTranslator())
    assert _core.render_parameters({"b": True}, "nbexec-test-instance", "") == (
        "-- Parameters\nlocal b = true\n"
    )


def test_papermill_translator_class_can_be_registered():
    translators = pytest.importorskip("papermill.translators")
    nbexec.register_translator("nbexec-test-papermill-bash", translators.BashTranslator)
    assert _core.render_parameters({"x": "a b"}, "nbexec-test-papermill-bash", "") == (
        "# Parameters\nx='a b'\n"
    )


def test_translator_errors_become_parameter_errors():
    nbexec.register_translator("nbexec-test-lua-err", LuaTranslator)
    with pytest.raises(nbexec.ParameterError, match="'conf'.*dict"):
        _core.render_parameters({"conf": {"a": 1}}, "nbexec-test-lua-err", "")

    def broken(parameters, comment):
        raise ValueError("boom")

    nbexec.register_translator("nbexec-test-broken", broken)
    with pytest.raises(nbexec.ParameterError, match="nbexec-test-broken.*boom"):
        _core.render_parameters({"x": 1}, "nbexec-test-broken", "")

    nbexec.register_translator("nbexec-test-not-str", lambda parameters, comment: 42)
    with pytest.raises(nbexec.ParameterError, match="int, not a str"):
        _core.render_parameters({"x": 1}, "nbexec-test-not-str", "")

    with pytest.raises(TypeError):
        nbexec.register_translator("nbexec-test-bad", 42)


def test_python_translator_is_used_by_execute_notebook_prepare_only(tmp_path):
    seen_threads = []

    class Recording(LuaTranslator):
        @classmethod
        def codify(cls, parameters, comment="Parameters"):
            seen_threads.append(threading.current_thread() is threading.main_thread())
            return super().codify(parameters, comment)

    nbexec.register_translator("nbexec-test-lua-run", Recording)
    src = tmp_path / "in.ipynb"
    nbformat.write(make_notebook(["print(a)"], parameters_cell="a = 0\nb = False"), str(src))
    out = tmp_path / "out.ipynb"
    nbexec.execute_notebook(
        src,
        out,
        parameters={"a": [1, None, 'x"y'], "b": True},
        language="nbexec-test-lua-run",
        prepare_only=True,
    )
    cells = json.loads(out.read_text())["cells"]
    injected = [c for c in cells if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1
    assert "".join(injected[0]["source"]) == LUA_TEXT
    assert seen_threads, "the Python translator was not called"


def test_builtin_names_are_registered_in_papermill_order():
    names = nbexec.translator_names()
    assert names[:12] == [
        "python", "R", "scala", "julia", "matlab", ".net-csharp", ".net-fsharp",
        ".net-powershell", "pysparkkernel", "sparkkernel", "sparkrkernel", "bash",
    ]
