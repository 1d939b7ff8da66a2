"""Notebook parameters without a kernel: inspection (papermill's ``inspect_notebook``), a JSON
Schema for forms and typed pipeline inputs, and the check ``nbexec run`` makes before it starts
a kernel."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from typing import Any, Iterable, Optional

from nbexec import _core, remote
from nbexec.exceptions import ParameterError


def merge_parameters(
    *,
    base64_yaml: Iterable[str] = (),
    files: Iterable["str | os.PathLike"] = (),
    yaml: Iterable[str] = (),
    inferred: Iterable[tuple[str, str]] = (),
    raw: Iterable[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The CLI's parameter sources from Python: ``-b`` (base64 YAML), ``-f`` (YAML or JSON
    files), ``-y`` (YAML text), ``-p`` (NAME, VALUE read as papermill reads it) and ``-r`` (NAME,
    VALUE kept as text), merged in papermill's order; a later value wins.

    Files may be remote URLs (``s3://...``), read through fsspec.

    Raises ParameterError naming the source of bad YAML, base64 or names.
    """
    files = [os.fspath(f) for f in files]
    with tempfile.TemporaryDirectory(prefix="nbexec-") as folder:
        local = []
        for index, path in enumerate(files):
            if remote.is_remote(path):
                # Each in its own folder: two URLs may end in the same file name.
                os.mkdir(os.path.join(folder, str(index)))
                path = remote.download(path, os.path.join(folder, str(index)))
            local.append(remote.local_path(path))
        return _core.merge_parameters(
            base64_yaml=list(base64_yaml),
            files=local,
            yaml=list(yaml),
            inferred=[(str(n), str(v)) for n, v in inferred],
            raw=[(str(n), str(v)) for n, v in raw],
        )


def _read_notebook_text(path: str) -> str:
    return remote.read_text(path)


def _open(notebook_path, parameters) -> tuple[str, str]:
    """papermill's _open_notebook: the path filled in from the parameters, and its text. The
    path may be a remote URL (read through fsspec) or a notebook object (NotebookNode, dict)."""
    if isinstance(notebook_path, Mapping):
        return "", json.dumps(notebook_path, ensure_ascii=False)
    path = _core.parameterize_path(os.fspath(notebook_path), dict(parameters or {}),
                                   "notebook path")
    return path, _read_notebook_text(path)


def notebook_parameters(
    notebook_path,
    parameters: Optional[dict[str, Any]] = None,
    kernel_name: Optional[str] = None,
    language: Optional[str] = None,
) -> dict[str, Any]:
    """Everything nbexec reads from the cell tagged ``parameters``.

    Returns a dict with ``has_parameters_cell``, ``language``, ``warnings`` (lines the grammar
    could not read) and ``parameters``: a list of dicts with papermill's ``name``,
    ``inferred_type_name``, ``default`` and ``help``, plus nbexec's typed fields ``kind``,
    ``declared_kind``, ``default_kind``, ``nullable`` and ``default_value`` (present when the
    default is a literal). ``parameters`` only fills in ``{names}`` in the path.
    """
    _, text = _open(notebook_path, parameters)
    return _core.inspect_notebook_text(text, kernel_name or "", language or "")


def inspect_notebook(notebook_path, parameters: Optional[dict[str, Any]] = None) -> dict[str, dict[str, str]]:
    """papermill's ``inspect_notebook``: ``{name: {name, inferred_type_name, default, help}}``.

    Raises ParameterError for a language nbexec cannot inspect (papermill logs a warning and
    returns ``{}``).
    """
    found = notebook_parameters(notebook_path, parameters)
    keys = ("name", "inferred_type_name", "default", "help")
    return {p["name"]: {k: p[k] for k in keys} for p in found["parameters"]}


def parameters_schema(
    notebook_path,
    kernel_name: Optional[str] = None,
    language: Optional[str] = None,
    title: Optional[str] = None,
) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the notebook's parameters, as ``nbexec inspect --json``
    prints it."""
    path, text = _open(notebook_path, None)
    return _core.parameters_json_schema(text, kernel_name or "", language or "",
                                        title if title is not None else path)


def check_parameters(
    notebook_path,
    parameters: dict[str, Any],
    kernel_name: Optional[str] = None,
    language: Optional[str] = None,
) -> list[dict[str, str]]:
    """The problems ``nbexec run`` would refuse, without running anything.

    Returns a list of ``{"kind": "unknown_name" | "type_mismatch", "name", "message"}``; empty
    when the parameters fit the notebook. Raises ParameterError when the notebook's language
    cannot be inspected.
    """
    if not isinstance(parameters, dict):
        raise TypeError("parameters must be a dict")
    _, text = _open(notebook_path, parameters)
    return _core.check_parameters_text(text, dict(parameters), kernel_name or "", language or "")


def validate_parameters(
    notebook_path,
    parameters: dict[str, Any],
    kernel_name: Optional[str] = None,
    language: Optional[str] = None,
    allow_unknown: bool = False,
) -> None:
    """Raises ParameterError listing every problem ``check_parameters`` finds (unknown names are
    ignored with ``allow_unknown``)."""
    problems = check_parameters(notebook_path, parameters, kernel_name, language)
    if allow_unknown:
        problems = [p for p in problems if p["kind"] != "unknown_name"]
    if problems:
        raise ParameterError("; ".join(p["message"] for p in problems))
