"""Scraps a Python notebook records, found in its source without running it.

A call counts when its function is ``record`` or ``glue`` reached through an import of
``nbexec``, ``nbexec.scraps``, ``scrapbook`` or ``papermill`` (``nbexec.record(...)``,
``sb.glue(...)``, ``from nbexec import record``, ``pm.record(...)``) and its name is a string
literal.

The scrap's type is read from the value expression when it is plain: literals, f-strings, list
and dict displays and comprehensions, comparisons and ``not`` (bool), arithmetic on values of
known type, calls to ``float``, ``int``, ``str``, ``bool``, ``list``, ``dict``, ``len``,
``round``, ``abs``, ``min``, ``max``, and names assigned once such an expression (or annotated
``x: float = ...``) earlier in the notebook, the parameters cell included. Otherwise, and when
two records of one name disagree, the type is ``None``: unknown.
"""

from __future__ import annotations

import ast
import re
from typing import Iterable, Optional

_MODULES = {"nbexec", "nbexec.scraps", "scrapbook", "papermill"}
_FUNCTIONS = {"record", "glue"}
_CALL_TYPES = {"float": "float", "int": "int", "str": "str", "bool": "bool", "list": "list",
               "dict": "dict", "len": "int", "repr": "str", "sorted": "list", "tuple": "list"}
_STR_METHODS = {"format", "join", "upper", "lower", "strip", "lstrip", "rstrip", "replace",
                "title", "capitalize"}
_NUMBERS = ("int", "float")
# IPython syntax that is not Python: magics, shell escapes, help.
_IPYTHON_LINE = re.compile(r"^\s*[%!?]|\?\s*$")


def _python_source(cell_source: str) -> str:
    lines = []
    for line in cell_source.splitlines():
        if _IPYTHON_LINE.search(line):
            lines.append(re.match(r"\s*", line).group(0) + "pass")
        else:
            lines.append(line)
    return "\n".join(lines)


def _unify(kinds: list[Optional[str]]) -> Optional[str]:
    if not kinds or None in kinds:
        return None
    if all(k in _NUMBERS for k in kinds):
        return "float" if "float" in kinds else "int"
    return kinds[0] if all(k == kinds[0] for k in kinds) else None


class _Types:
    """The type of an expression, given the types of names assigned so far."""

    def __init__(self) -> None:
        self.names: dict[str, Optional[str]] = {}

    def of(self, node: Optional[ast.expr]) -> Optional[str]:
        if node is None:
            return None
        if isinstance(node, ast.Constant):
            value = node.value
            for python_type, name in ((bool, "bool"), (int, "int"), (float, "float"),
                                      (str, "str")):
                if isinstance(value, python_type):
                    return name
            return None
        if isinstance(node, ast.Name):
            return self.names.get(node.id)
        if isinstance(node, ast.JoinedStr):
            return "str"
        if isinstance(node, (ast.List, ast.ListComp, ast.Tuple)):
            return "list"
        if isinstance(node, (ast.Dict, ast.DictComp)):
            return "dict"
        if isinstance(node, ast.Compare):
            return "bool"
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return "bool"
            inner = self.of(node.operand)
            return inner if inner in _NUMBERS else None
        if isinstance(node, ast.BoolOp):
            return _unify([self.of(v) for v in node.values])
        if isinstance(node, ast.IfExp):
            return _unify([self.of(node.body), self.of(node.orelse)])
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        return None

    def _binop(self, node: ast.BinOp) -> Optional[str]:
        left, right = self.of(node.left), self.of(node.right)
        if left in _NUMBERS and right in _NUMBERS:
            if isinstance(node.op, ast.Div):
                return "float"
            return _unify([left, right])
        if isinstance(node.op, ast.Add) and left == right and left in ("str", "list"):
            return left
        if isinstance(node.op, ast.Mod) and left == "str":
            return "str"
        if isinstance(node.op, ast.Mult) and {left, right} in ({"str", "int"}, {"list", "int"}):
            return "str" if "str" in (left, right) else "list"
        return None

    def _call(self, node: ast.Call) -> Optional[str]:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in _CALL_TYPES:
                return _CALL_TYPES[func.id]
            if func.id == "round":
                return "float" if len(node.args) > 1 else "int"
            if func.id == "abs" and node.args:
                return self.of(node.args[0]) if self.of(node.args[0]) in _NUMBERS else None
            if func.id in ("min", "max") and len(node.args) > 1:
                found = _unify([self.of(a) for a in node.args])
                return found if found in _NUMBERS or found == "str" else None
        if isinstance(func, ast.Attribute) and func.attr in _STR_METHODS:
            if self.of(func.value) == "str":  # "-".join(...), name.upper(), ...
                return "str"
        return None


class _Finder(ast.NodeVisitor):
    """Walks the cells in order: binds names, and reads each scrap call with the types known
    at that point."""

    def __init__(self, modules: set[str], functions: set[str]) -> None:
        self.modules = modules       # names bound to one of _MODULES
        self.functions = functions   # names bound to record/glue of one of _MODULES
        self.types = _Types()
        self.found: dict[str, Optional[str]] = {}

    # Bindings -------------------------------------------------------------------------------
    def _unbind(self, target: ast.expr) -> None:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                self.types.names[node.id] = None

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        kind = self.types.of(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.types.names[target.id] = kind
            else:
                self._unbind(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        if isinstance(node.target, ast.Name):
            annotation = node.annotation
            declared = annotation.id if isinstance(annotation, ast.Name) else None
            kind = declared if declared in ("int", "float", "str", "bool", "list", "dict") \
                else self.types.of(node.value)
            self.types.names[node.target.id] = kind

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.generic_visit(node)
        if isinstance(node.target, ast.Name):
            before = self.types.names.get(node.target.id)
            after = self.types.of(ast.BinOp(left=node.target, op=node.op, right=node.value))
            self.types.names[node.target.id] = after if after == before else None

    def visit_For(self, node: ast.For) -> None:
        self._unbind(node.target)
        self.generic_visit(node)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            if item.optional_vars is not None:
                self._unbind(item.optional_vars)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.types.names[node.name] = None  # its body runs later, with other types

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    # Scraps ---------------------------------------------------------------------------------
    def _is_scrap_call(self, node: ast.Call) -> bool:
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in self.functions
        if isinstance(func, ast.Attribute) and func.attr in _FUNCTIONS:
            base = func.value
            if isinstance(base, ast.Name):
                return base.id in self.modules
            # nbexec.scraps.record(...)
            return (isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name)
                    and base.value.id in self.modules and base.attr == "scraps")
        return False

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        if not self._is_scrap_call(node):
            return
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        name_node = node.args[0] if node.args else keywords.get("name")
        if not (isinstance(name_node, ast.Constant) and isinstance(name_node.value, str)):
            return
        value_node = node.args[1] if len(node.args) > 1 else keywords.get(
            "value", keywords.get("data"))
        kind = self.types.of(value_node)
        name = name_node.value
        if name in self.found and self.found[name] != kind:
            kind = None
        self.found[name] = kind


def _imports(trees: list[ast.AST]) -> tuple[set[str], set[str]]:
    modules: set[str] = set()
    functions: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in _MODULES:
                        # `import nbexec.scraps` binds `nbexec`, whose record is the same.
                        modules.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if node.module in _MODULES and alias.name in _FUNCTIONS:
                        functions.add(alias.asname or alias.name)
                    elif node.module and f"{node.module}.{alias.name}" in _MODULES:
                        modules.add(alias.asname or alias.name)
    return modules, functions


def find_scraps(cell_sources: Iterable[str]) -> dict[str, Optional[str]]:
    """``{name: type or None}`` for the scrap-recording calls in these Python cells, in the
    order first found. Cells that do not parse are skipped."""
    trees = []
    for source in cell_sources:
        try:
            trees.append(ast.parse(_python_source(source)))
        except SyntaxError:
            continue
    finder = _Finder(*_imports(trees))
    for tree in trees:
        finder.visit(tree)
    return finder.found


def notebook_scraps(notebook: dict) -> dict[str, Optional[str]]:
    """:func:`find_scraps` over a notebook's code cells (nbformat dict)."""
    sources = []
    for cell in notebook.get("cells") or []:
        if cell.get("cell_type") == "code":
            source = cell.get("source") or ""
            sources.append("".join(source) if isinstance(source, list) else source)
    return find_scraps(sources)
