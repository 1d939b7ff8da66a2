"""The rendered page in a real browser (headless Chromium): what a reader sees is there, and no
script from an output or a markdown cell runs. Skipped only when Chromium is not installed."""

from __future__ import annotations

import base64
import json
import re
import shutil
import struct
import subprocess
import zlib

import nbexec
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(apt-get install chromium; scripts/install-deps.sh)")

GREEN = (0, 200, 0)           # the inline PNG
ERROR_BACKGROUND = (253, 232, 232)  # .cell.error in src/notebook/render_style.cpp


def _png(width, height, rgb):
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def _pixels(path):
    """The RGB pixels of an 8-bit, non-interlaced RGB or RGBA PNG (Chromium's screenshots)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    previous = bytearray(stride)
    colours = set()
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                corner = previous[i - channels] if i >= channels else 0
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + best) & 0xFF
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, channels))
        previous = line
    return {tuple(c) for c in colours}


def _chromium(tmp_path, *args):
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _notebook():
    hostile = ("<script>document.title='pwned'; parent.document.title='pwned'</script>"
               "<img src=x onerror=\"parent.document.body.setAttribute('data-pwned', '1')\">"
               "<p>html output kept</p>")
    error = {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero",
             "traceback": ["\x1b[0;31m------\x1b[0m",
                           "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"]}
    cell = {"execution_count": 1, "metadata": {}}
    return {"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {},
         "source": "# Quarterly results\n\n<script>document.title='pwned-md'</script>\n\n"
                   "[click](javascript:document.title='pwned-link')"},
        {**cell, "cell_type": "code", "source": "plot()", "outputs": [
            {"output_type": "display_data", "metadata": {}, "data": {
                "image/png": base64.b64encode(_png(120, 60, GREEN)).decode(),
                "text/plain": "<Figure>"}},
            {"output_type": "display_data", "metadata": {},
             "data": {"text/html": hostile, "text/plain": "HTML"}}]},
        {**cell, "execution_count": 2, "cell_type": "code", "source": "1 / 0",
         "outputs": [error]}]}


def test_script_never_runs_and_the_page_shows_what_it_should(tmp_path):
    # The check can fail: in this very setup Chromium does run a page's own script.
    control = tmp_path / "control.html"
    control.write_text("<!DOCTYPE html><html><head><title>before</title></head><body>"
                       "<script>document.title='ran'</script></body></html>")
    assert "<title>ran</title>" in _chromium(tmp_path, "--dump-dom", control.as_uri())

    page = tmp_path / "report.html"
    nbexec.render(_notebook(), output_path=page, title="Quarterly report")
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert "<title>Quarterly report</title>" in dom
    assert "pwned" not in re.search(r"<title>.*?</title>", dom).group(0)
    assert "data-pwned" not in re.search(r"<body[^>]*>", dom).group(0)
    assert "&lt;script&gt;document.title='pwned-md'" in dom   # shown as text
    # Outside the iframes' srcdoc (which the DOM serializer writes with < unescaped).
    assert "<script" not in re.sub(r'srcdoc="[^"]*"', "", dom).lower()
    assert "<h1>Quarterly results</h1>" in dom
    assert 'src="data:image/png;base64,' in dom
    assert '<div class="cell code error" id="papermill-error-cell">' in dom
    assert '<iframe class="html-output" sandbox=""' in dom
    assert '<a href="#">click</a>' in dom

    shot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1000,1400", page.as_uri())
    colours = _pixels(shot)
    assert GREEN in colours                 # the inline image is drawn
    assert ERROR_BACKGROUND in colours      # the failing cell is highlighted
    print(json.dumps({"screenshot": str(shot)}))
