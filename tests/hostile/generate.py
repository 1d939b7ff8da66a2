"""Builds the inputs of tests/hostile/manifest.json: committed files are read, big ones are
generated from their description (so no multi-megabyte file is committed).

Generator kinds (the "generate" member of a case):
  nested  head + open*depth + inner + close*depth + tail (close omitted when "closed" is false)
  repeat  head + unit*count + tail
  indent  block mappings nested `depth` deep by indentation ("k:" one level further each line)
  sparse  a file of `size` bytes that are all zero but for `head` (sparse on disk)
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

HOSTILE_DIR = Path(__file__).resolve().parent
MANIFEST = HOSTILE_DIR / "manifest.json"


def load_manifest() -> list[dict[str, Any]]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))["cases"]


def _text(spec: dict[str, Any], key: str) -> bytes:
    return spec.get(key, "").encode("utf-8")


def generated_bytes(spec: dict[str, Any]) -> bytes:
    kind = spec["kind"]
    if kind == "nested":
        depth = spec["depth"]
        closing = _text(spec, "close") * depth if spec.get("closed", True) else b""
        return (_text(spec, "head") + _text(spec, "open") * depth + _text(spec, "inner") +
                closing + _text(spec, "tail"))
    if kind == "repeat":
        return _text(spec, "head") + _text(spec, "unit") * spec["count"] + _text(spec, "tail")
    if kind == "indent":
        return "".join("  " * i + "k:\n" for i in range(spec["depth"])).encode("ascii")
    raise ValueError(f"unknown generator kind {kind!r}")


def materialize(case: dict[str, Any], folder: Path) -> Path:
    """Writes the case's input into `folder` and returns its path."""
    name = case["id"] + case.get("ext", ".ipynb")
    path = folder / name
    if "file" in case:
        path.write_bytes((HOSTILE_DIR / case["file"]).read_bytes())
    elif case["generate"]["kind"] == "sparse":
        spec = case["generate"]
        with open(path, "wb") as f:
            f.write(_text(spec, "head"))
            f.truncate(spec["size"])
    else:
        path.write_bytes(generated_bytes(case["generate"]))
    return path


def argument_text(case: dict[str, Any], path: Path) -> str:
    """The command-line form of an input fed as -y or -b (a path is not allowed there)."""
    data = path.read_bytes()
    if case["feed"] == "base64_arg":
        if case.get("raw_argument"):
            return data.decode("ascii")
        return base64.b64encode(data).decode("ascii")
    return data.decode("utf-8")
