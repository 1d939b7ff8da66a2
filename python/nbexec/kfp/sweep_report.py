"""The HTML report of a sweep over pods: a table of the runs and a plot of one scrap against
one parameter, as one self-contained page.

The plot is inline SVG written here (no matplotlib in the image); the page has no script and
a Content-Security-Policy that allows inline styles and ``data:`` images only, so a value a
notebook recorded cannot make the page run or fetch anything. Every text from a run (names,
values, errors) is HTML-escaped. Nothing here imports kfp.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any, Mapping, Optional, Sequence

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
tr.best td { background: #fff3c4; }
tr.failed td { color: #a00; }
.axis { stroke: #444; stroke-width: 1; }
.grid { stroke: #ddd; stroke-width: 1; }
.mean { fill: none; stroke: #5b8fd6; stroke-width: 1.5; }
.point { fill: #2b5ea7; }
.bestpoint { fill: #d62b2b; }
"""

_W, _H = 640, 360
_LEFT, _RIGHT, _TOP, _BOTTOM = 70, 20, 20, 50


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _label(value: float) -> str:
    return format(value, ".4g")


def _scale(low: float, high: float, start: float, end: float):
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    return (lambda v: start + (v - low) * (end - start) / (high - low)), low, high


def plot_svg(points: Sequence[tuple[Any, float, int]], x_name: str, y_name: str,
             best_index: Optional[int] = None) -> str:
    """An SVG scatter of ``(x value, y value, run index)`` with the mean of y per x joined by a
    line; x is numeric when every x is a number, else categorical (in first-seen order)."""
    numeric_x = all(_number(x) is not None for x, _, _ in points)
    if numeric_x:
        xs = [float(x) for x, _, _ in points]
        categories: list[str] = []
    else:
        categories = []
        for x, _, _ in points:
            if cell_text(x) not in categories:
                categories.append(cell_text(x))
        xs = [float(categories.index(cell_text(x))) for x, _, _ in points]
    ys = [y for _, y, _ in points]
    if numeric_x:
        fx, x_low, x_high = _scale(min(xs), max(xs), _LEFT + 10, _W - _RIGHT - 10)
    else:
        fx, x_low, x_high = _scale(-0.5, len(categories) - 0.5, _LEFT, _W - _RIGHT)
    fy, y_low, y_high = _scale(min(ys), max(ys), _H - _BOTTOM - 10, _TOP + 10)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
           f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{_e(y_name)} against {_e(x_name)}">']
    for i in range(5):
        v = y_low + (y_high - y_low) * i / 4
        y = fy(v)
        out.append(f'<line class="grid" x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" '
                   f'y2="{y:.1f}"/>')
        out.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                   f'font-size="11">{_e(_label(v))}</text>')
    ticks = ([(fx(x_low + (x_high - x_low) * i / 4), _label(x_low + (x_high - x_low) * i / 4))
              for i in range(5)] if numeric_x
             else [(fx(float(i)), c) for i, c in enumerate(categories)])
    for x, text in ticks:
        out.append(f'<text x="{x:.1f}" y="{_H - _BOTTOM + 16}" text-anchor="middle" '
                   f'font-size="11">{_e(text[:24])}</text>')
    out.append(f'<line class="axis" x1="{_LEFT}" y1="{_H - _BOTTOM}" x2="{_W - _RIGHT}" '
               f'y2="{_H - _BOTTOM}"/>')
    out.append(f'<line class="axis" x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{_H - _BOTTOM}"/>')
    out.append(f'<text x="{(_LEFT + _W - _RIGHT) / 2:.1f}" y="{_H - 10}" text-anchor="middle" '
               f'font-size="12">{_e(x_name)}</text>')
    out.append(f'<text x="14" y="{(_TOP + _H - _BOTTOM) / 2:.1f}" text-anchor="middle" '
               f'font-size="12" transform="rotate(-90 14 {(_TOP + _H - _BOTTOM) / 2:.1f})">'
               f'{_e(y_name)}</text>')
    groups: dict[float, list[float]] = {}
    for x, y in zip(xs, ys):
        groups.setdefault(x, []).append(y)
    if len(groups) > 1:
        line = " ".join(f"{fx(x):.1f},{fy(sum(v) / len(v)):.1f}" for x, v in sorted(groups.items()))
        out.append(f'<polyline class="mean" points="{line}"/>')
    for (x_value, y, index), x in zip(points, xs):
        best = index == best_index
        out.append(f'<circle class="{"bestpoint" if best else "point"}" cx="{fx(x):.1f}" '
                   f'cy="{fy(y):.1f}" r="{6 if best else 4}"><title>run {index}: '
                   f'{_e(x_name)}={_e(cell_text(x_value))}, {_e(y_name)}={_e(_label(y))}'
                   f'</title></circle>')
    out.append("</svg>")
    return "\n".join(out)


def cell_text(value: Any) -> str:
    """nbexec sweep's CSV rule: strings as they are, other values as JSON, missing empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def render(title: str, columns: Sequence[str], table: Sequence[Sequence[str]],
           statuses: Sequence[str], indices: Sequence[int], summary: Sequence[str],
           best: Optional[Mapping[str, Any]], plot: Optional[str], plot_note: str = "") -> str:
    """The page: ``columns`` and ``table`` are the merged table's header and cells (text);
    ``summary`` lines go above it; ``plot`` is an SVG from :func:`plot_svg` or None, in which
    case ``plot_note`` says why there is none."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
             f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{_e(title)}</h1>"]
    parts += [f"<p>{_e(line)}</p>" for line in summary]
    if best is not None:
        params = ", ".join(f"{k}={cell_text(v)}" for k, v in best["parameters"].items())
        parts.append(f"<p><strong>Best run: {_e(best['index'])}</strong> "
                     f"({_e(best['objective'])} = {_e(_label(best['value']))}, {_e(best['mode'])}"
                     f"imum){': ' + _e(params) if params else ''}</p>")
    if plot is not None:
        parts.append(f"<div>{plot}</div>")
    elif plot_note:
        parts.append(f"<p><em>{_e(plot_note)}</em></p>")
    parts.append("<table><thead><tr>" + "".join(f"<th>{_e(c)}</th>" for c in columns)
                 + "</tr></thead><tbody>")
    best_index = best["index"] if best is not None else None
    for row, status, index in zip(table, statuses, indices):
        cls = "best" if index == best_index else ("failed" if status != "completed" else "")
        attr = f' class="{cls}"' if cls else ""
        parts.append(f"<tr{attr}>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>")
    parts.append("</tbody></table></body></html>")
    return "\n".join(parts) + "\n"
