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


def test_timeout_error_is_the_builtin_timeout_error_too():
    assert issubclass(nbexec.TimeoutError, TimeoutError)
    assert issubclass(nbexec.TimeoutError, nbexec.Error)
    try:
        raise nbexec.TimeoutError("cell 1 did not finish within 2 s")
    except TimeoutError as error:  # the builtin, as Python code writes it
        assert str(error) == "cell 1 did not finish within 2 s"


def test_run_options_and_parameter_check_are_typed():
    options = _core.RunOptions()
    assert options.parameter_check == _core.ParameterCheck.strict
    options.parameter_check = _core.ParameterCheck.warn_unknown
    assert options.parameter_check == _core.ParameterCheck.warn_unknown
    options.parameters = {"alpha": 0.5, "n": [1, 2]}
    assert options.parameters == {"alpha": 0.5, "n": [1, 2]}
    options.execution_timeout = 2.5
    assert options.execution_timeout == 2.5
    options.execution_timeout = None
    assert options.execution_timeout is None
    import pytest
    with pytest.raises(TypeError):
        options.parameter_check = "strict"  # an enum, not a string
    with pytest.raises(TypeError):
        options.parameters = ["not", "a", "dict"]
    with pytest.raises(ValueError):
        options.start_timeout = -1


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
        elif isinstance(node, ast.ClassDef) and issubclass(value, BaseException):
            stub_bases = [b.id if isinstance(b, ast.Name) else ast.unparse(b) for b in node.bases]
            real_bases = [b.__name__ if b.__module__ == "nbexec._core" else f"builtins.{b.__name__}"
                          for b in value.__bases__]
            assert stub_bases == real_bases, name
        elif isinstance(node, ast.ClassDef):
            # Typed classes and enums: the stub names exactly the attributes the class has.
            assert isinstance(value, type), name
            members = {n for n in dir(value) if not n.startswith("_")}
            if hasattr(value, "__members__"):  # a pybind11 enum
                members = set(value.__members__) | {"name", "value"}
            stubbed_members = {t.target.id for t in node.body if isinstance(t, ast.AnnAssign)}
            stubbed_members |= {t.targets[0].id for t in node.body if isinstance(t, ast.Assign)}
            stubbed_members |= {f.name for f in node.body
                                if isinstance(f, ast.FunctionDef) and not f.name.startswith("_")}
            if hasattr(value, "__members__"):
                stubbed_members |= {"name", "value"}
            assert stubbed_members == members, name


def test_py_typed_marks_the_package():
    assert (PACKAGE / "py.typed").is_file()
