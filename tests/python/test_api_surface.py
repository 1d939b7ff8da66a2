"""The public surface: every name in nbexec.__all__ documented, the extension's stubs in step
with the extension, and the typing markers installed beside the package."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import nbexec
from nbexec import _core

PACKAGE = Path(nbexec.__file__).resolve().parent


def test_every_public_name_has_a_docstring():
    missing = []
    for name in nbexec.__all__:
        value = getattr(nbexec, name)
        if name == "__version__":
            assert isinstance(value, str)
            continue
        doc = inspect.getdoc(value)
        if not doc or not doc.strip():
            missing.append(name)
    assert missing == []
    assert (nbexec.__doc__ or "").strip()


def test_all_names_exist_and_papermill_aliases_are_the_same_classes():
    for name in nbexec.__all__:
        assert hasattr(nbexec, name), name
    assert nbexec.PapermillExecutionError is nbexec.ExecutionError
    assert nbexec.PapermillException is nbexec.Error
    assert issubclass(nbexec.ExecutionError, nbexec.Error)


def _stubbed_names(tree: ast.Module) -> dict[str, ast.AST]:
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
    return names


def test_core_stub_lists_every_name_and_argument_of_the_extension():
    stub = PACKAGE / "_core.pyi"
    assert stub.is_file(), "_core.pyi is not installed beside the package"
    stubbed = _stubbed_names(ast.parse(stub.read_text()))
    public = {n for n in dir(_core) if not n.startswith("_")} | {"__version__"}
    assert set(stubbed) == public
    for name, node in stubbed.items():
        value = getattr(_core, name)
        if isinstance(node, ast.FunctionDef):
            # pybind11 puts the signature on the docstring's first line: name(arg: type = d, ...)
            first = value.__doc__.splitlines()[0]
            declared = re.findall(r"(?:\(|, )(\w+):", first)
            assert [a.arg for a in node.args.args] == declared, name
            defaults = len(re.findall(r" = ", first))
            assert len(node.args.defaults) == defaults, name
        elif isinstance(node, ast.ClassDef):
            assert isinstance(value, type) and issubclass(value, BaseException)
            base = node.bases[0]
            assert value.__base__.__name__ == (base.id if isinstance(base, ast.Name) else base)


def test_py_typed_marks_the_package():
    assert (PACKAGE / "py.typed").is_file()
