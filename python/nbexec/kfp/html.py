"""The executed notebook as one self-contained HTML page, for KFP's HTML artifact.

nbconvert's HTMLExporter is used when it is installed in the image; otherwise a small built-in
renderer writes the cells' sources and outputs (HTML, SVG, PNG/JPEG inline, text, errors
without ANSI colour codes). Scrap outputs, which render as nothing in Jupyter, are left out.
"""

from __future__ import annotations

import html as _html
import json
import re
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_STYLE = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; }
.cell { margin: 1em 0; }
.prompt { color: #888; font-family: monospace; font-size: 90%; }
pre { background: #f7f7f7; padding: .5em; overflow-x: auto; white-space: pre-wrap; }
pre.output { background: #fff; border-left: 3px solid #ddd; }
pre.stderr { background: #fdd; }
pre.error { background: #fdd; border-left: 3px solid #c00; }
.markdown { white-space: pre-wrap; }
"""


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _output(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        css = "stderr" if output.get("name") == "stderr" else "output"
        return f'<pre class="{css}">{_html.escape(_text(output.get("text")))}</pre>'
    if kind == "error":
        trace = _ANSI.sub("", "\n".join(output.get("traceback") or []))
        head = f"{output.get('ename', '')}: {output.get('evalue', '')}"
        return f'<pre class="error">{_html.escape(trace or head)}</pre>'
    data = output.get("data") or {}
    if any(mime.startswith("application/scrapbook.scrap") or
           mime.startswith("application/papermill.record") for mime in data):
        return ""
    if "text/html" in data:
        return f"<div>{_text(data['text/html'])}</div>"
    if "image/svg+xml" in data:
        return f"<div>{_text(data['image/svg+xml'])}</div>"
    for mime in ("image/png", "image/jpeg", "image/gif"):
        if mime in data:
            payload = _text(data[mime]).replace("\n", "")
            return f'<div><img src="data:{mime};base64,{payload}"></div>'
    for mime in ("text/markdown", "text/latex", "text/plain"):
        if mime in data:
            return f'<pre class="output">{_html.escape(_text(data[mime]))}</pre>'
    if "application/json" in data:
        text = json.dumps(data["application/json"], indent=1)
        return f'<pre class="output">{_html.escape(text)}</pre>'
    return ""


def render_basic(nb: dict[str, Any], title: str = "notebook") -> str:
    """The built-in rendering (no dependency)."""
    parts = [f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{_html.escape(title)}"
             f"</title><style>{_STYLE}</style></head><body>"]
    for cell in nb.get("cells") or []:
        kind = cell.get("cell_type")
        source = _text(cell.get("source"))
        if kind == "markdown":
            # papermill's error banner cells are HTML inside markdown: keep them as HTML.
            tags = (cell.get("metadata") or {}).get("tags") or []
            if "papermill-error-cell-tag" in tags:
                parts.append(f'<div class="cell">{source}</div>')
            else:
                parts.append(f'<div class="cell markdown">{_html.escape(source)}</div>')
        elif kind == "code":
            count = cell.get("execution_count")
            prompt = f"In [{count if count is not None else ' '}]:"
            hidden = ((cell.get("metadata") or {}).get("jupyter") or {}).get("source_hidden")
            parts.append('<div class="cell">')
            if not hidden:
                parts.append(f'<div class="prompt">{prompt}</div>'
                             f"<pre>{_html.escape(source)}</pre>")
            parts.extend(_output(o) for o in cell.get("outputs") or [])
            parts.append("</div>")
    parts.append("</body></html>\n")
    return "".join(parts)


def render(nb: dict[str, Any], title: str = "notebook") -> str:
    """nbconvert's HTML when nbconvert is installed, else :func:`render_basic`."""
    try:
        import nbformat
        from nbconvert import HTMLExporter
    except ImportError:
        return render_basic(nb, title)
    try:
        node = nbformat.from_dict(nb)
        body, _ = HTMLExporter().from_notebook_node(node, resources={"metadata": {"name": title}})
        return body
    except Exception:  # a template or pandoc problem must not fail the step
        return render_basic(nb, title)
