"""The notebook as one self-contained HTML page for people to read (docs/render.md)."""

from __future__ import annotations

import json
import os
import posixpath
from typing import Any, Mapping, Optional, Union

from nbexec import _core, remote

NotebookSource = Union[str, "os.PathLike[str]", Mapping[str, Any]]


def _title_of(path: str) -> str:
    name = posixpath.basename(path.replace("\\", "/").rstrip("/"))
    stem, ext = os.path.splitext(name)
    return stem if ext else name


def render(notebook: NotebookSource, output_path: Optional[Union[str, "os.PathLike[str]"]] = None,
           *, title: Optional[str] = None) -> str:
    """Render a notebook (an executed one, usually) as one self-contained HTML page.

    ``notebook`` is a path (local or an fsspec URL) or a notebook as a dict or NotebookNode.
    Returns the page; when ``output_path`` is given it is also written there (atomically for a
    local file). The page shows markdown, code with ``In [n]:`` prompts, outputs with images
    inline, tracebacks in colour, the failing cell highlighted and papermill's error banner
    linked to it. It fetches nothing and runs no script: a Content-Security-Policy forbids it,
    every ``text/html`` output is shown in a sandboxed iframe, raw HTML in markdown is shown
    as text. ``title`` defaults to the notebook's file name without ``.ipynb``.

    Raises :class:`nbexec.NotebookError` for a file that is not an nbformat 4 notebook or an
    output that cannot be written.
    """
    out = "" if output_path is None else os.fspath(output_path)
    remote_out = bool(out) and remote.is_remote(out)
    core_out = "" if remote_out else remote.local_path(out) if out else ""
    if isinstance(notebook, Mapping):
        text = json.dumps(notebook, ensure_ascii=False, allow_nan=True)
        page = _core.render_notebook_text(text, title or "", core_out)
    else:
        path = os.fspath(notebook)
        if remote.is_remote(path):
            page = _core.render_notebook_text(remote.read_text(path), title or _title_of(path),
                                              core_out)
        else:
            page = _core.render_notebook_file(remote.local_path(path), core_out, title or "")
    if remote_out:
        remote.write_text(out, page)
    return page
