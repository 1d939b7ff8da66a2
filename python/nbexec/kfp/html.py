"""The executed notebook as one self-contained HTML page, for KFP's HTML artifact.

nbexec's own renderer draws it (:func:`nbexec.render`, docs/render.md): markdown, outputs with
images inline, tracebacks in colour, the failing cell highlighted; untrusted outputs cannot run
script in the KFP UI's origin. Nothing needs to be installed in the image besides nbexec.
"""

from __future__ import annotations

import html as _html
from typing import Any

from nbexec.render import render as _render

_POLICY = ("default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; "
           "form-action 'none'; base-uri 'none'")


def render(nb: dict[str, Any], title: str = "notebook") -> str:
    """The notebook ``nb`` (a dict) as a page titled ``title``."""
    return _render(nb, title=title)


def not_run(notebook_name: str, error: str) -> str:
    """The page of a notebook that never ran: its name and why, escaped."""
    return (f'<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Security-Policy" '
            f'content="{_POLICY}"><meta charset="utf-8"><title>{_html.escape(notebook_name)}'
            f"</title></head><body><p>{_html.escape(notebook_name)} was not run: "
            f"{_html.escape(error)}</p></body></html>\n")
