"""The notebook carried inside a component: outputs stripped, gzip, base64.

The text travels in the container's arguments (or the lightweight component's source), so a
compiled pipeline runs the notebook it was built from, with no storage to set up. A process
argument is limited to 128 KiB on Linux, so larger notebooks must be baked into the image
instead (``notebook_in_image=``).
"""

from __future__ import annotations

import base64
import gzip
import json

#: Largest embedded notebook (base64 characters), below Linux's 128 KiB per argument.
MAX_EMBEDDED = 100_000


def strip_outputs(notebook_text: str) -> str:
    """The notebook without code outputs and execution counts (``nbexec run`` clears them
    before it runs anyway), as compact JSON."""
    nb = json.loads(notebook_text)
    for cell in nb.get("cells") or []:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return json.dumps(nb, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def pack(notebook_text: str) -> str:
    """gzip + base64 of the stripped notebook; the same notebook always packs to the same text
    (no timestamp), so KFP's cache keys stay stable."""
    data = strip_outputs(notebook_text).encode("utf-8")
    blob = base64.b64encode(gzip.compress(data, compresslevel=9, mtime=0)).decode("ascii")
    if len(blob) > MAX_EMBEDDED:
        raise ValueError(
            f"the notebook packs to {len(blob)} characters, more than the {MAX_EMBEDDED} a "
            "container argument can carry; build it into the image and pass "
            "notebook_in_image='/path/in/image.ipynb'")
    return blob


def unpack(blob: str) -> str:
    return gzip.decompress(base64.b64decode(blob)).decode("utf-8")
