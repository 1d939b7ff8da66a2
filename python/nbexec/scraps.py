"""Scraps: named values a notebook records in its outputs, in scrapbook's format.

Inside a notebook, ``nbexec.record("accuracy", 0.93)`` emits a display output whose only MIME
type is ``application/scrapbook.scrap.json+json`` (``...scrap.text+json`` for a str), holding
``{"name", "data", "encoder", "version": 1}`` and the metadata ``{"scrapbook": {"name",
"data": true, "display": false}}``: exactly what scrapbook's ``sb.glue`` writes, so
``sb.read_notebook(path).scraps`` reads it, and scrapbook need not be installed in the kernel.

After the run, ``nbexec.read_scraps("output.ipynb")`` returns ``{"accuracy": 0.93}``. It reads
what ``sb.glue`` wrote too (the ``json`` and ``text`` encoders, other encoders' stored data
as is) and papermill 1.x's ``pm.record`` outputs (``application/papermill.record+json``).
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, Mapping, Union

GLUE_PAYLOAD_PREFIX = "application/scrapbook.scrap"
GLUE_PAYLOAD_FMT = GLUE_PAYLOAD_PREFIX + ".{encoder}+json"
RECORD_PAYLOAD_PREFIX = "application/papermill.record"
# scrapbook's payload schema v1: name, data, encoder, version. Every scrapbook release reads it.
SCRAP_VERSION = 1

NotebookLike = Union[str, "os.PathLike[str]", Mapping[str, Any]]


def _check_json_value(value: Any, where: str) -> None:
    """scrapbook's schema allows object, array, boolean, string and number data (no null);
    JSON has no NaN or infinity."""
    if value is None:
        raise ValueError(f"{where}: None cannot be recorded (scrapbook's readers refuse null data)")
    if isinstance(value, bool) or isinstance(value, (int, str)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} is not a JSON number")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if item is not None:
                _check_json_value(item, f"{where}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: dict keys must be str, not {type(key).__name__}")
            if item is not None:
                _check_json_value(item, f"{where}[{key!r}]")
        return
    raise TypeError(f"{where}: a {type(value).__name__} is not a JSON value (record str, int, "
                    "float, bool, and lists and dicts of these)")


def scrap_output(name: str, value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``(data, metadata)`` MIME bundle ``record`` displays: scrapbook's ``sb.glue``
    output for ``value`` (encoder ``text`` for a str, ``json`` otherwise)."""
    if not isinstance(name, str) or not name:
        raise TypeError("a scrap name must be a non-empty str")
    _check_json_value(value, name)
    encoder = "text" if isinstance(value, str) else "json"
    # A round trip through JSON turns tuples into lists and checks what the kernel will send.
    data = json.loads(json.dumps(value, allow_nan=False))
    payload = {"name": name, "data": data, "encoder": encoder, "version": SCRAP_VERSION}
    metadata = {"scrapbook": {"name": name, "data": True, "display": False}}
    return {GLUE_PAYLOAD_FMT.format(encoder=encoder): payload}, metadata


def record(name: str, value: Any) -> None:
    """Record ``value`` under ``name`` in the running notebook, as scrapbook's ``sb.glue`` does.

    Call it in a cell; the value is stored in a display output that renders as nothing and is
    read back after the run by :func:`read_scraps` (or scrapbook's ``read_notebook``).
    A later record of the same name wins. ``value`` is any JSON value but null: str, int,
    float (finite), bool, and lists and dicts (str keys) of these.

    Raises:
        TypeError, ValueError: the value is not JSON or is None.
        ImportError: IPython is not installed (outside a kernel there is nothing to record to).
    """
    data, metadata = scrap_output(name, value)
    from IPython.display import display

    display(data, metadata=metadata, raw=True)


def _decode(encoder: str, data: Any) -> Any:
    """scrapbook's decoders: json reads a JSON string, text makes a str; others stay as stored."""
    if encoder == "json" and isinstance(data, str):
        try:
            return json.loads(data)
        except ValueError:
            return data
    if encoder == "text" and not isinstance(data, str):
        return str(data)
    return data


def _output_scraps(output: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for mime, payload in (output.get("data") or {}).items():
        if mime.startswith(RECORD_PAYLOAD_PREFIX):
            # papermill 1.x's pm.record: {name: value}, the first key only.
            if isinstance(payload, Mapping):
                for key, value in payload.items():
                    found[key] = _decode(mime[len(RECORD_PAYLOAD_PREFIX) + 1:].split("+")[0],
                                         value)
                    break
        elif mime.startswith(GLUE_PAYLOAD_PREFIX):
            if not isinstance(payload, Mapping) or "name" not in payload:
                continue
            encoder = payload.get("encoder") or ""
            data = payload.get("data")
            # Display-only scraps have no data; scrapbook's data_dict leaves them out too.
            if data is None and payload.get("reference") is None:
                continue
            found[payload["name"]] = _decode(encoder, data)
    return found


def _load(notebook: NotebookLike) -> Mapping[str, Any]:
    if isinstance(notebook, Mapping):
        return notebook
    if isinstance(notebook, (str, os.PathLike)):
        from nbexec import remote

        return json.loads(remote.read_text(os.fspath(notebook)))
    raise TypeError("read_scraps() takes a path, an nbformat NotebookNode or a dict, not "
                    f"{type(notebook).__name__}")


def read_scraps(notebook: NotebookLike) -> dict[str, Any]:
    """The values a notebook recorded: ``{name: value}``, in the order first recorded.

    ``notebook`` is a path (local, or a remote URL read through fsspec), an
    ``nbformat.NotebookNode`` or a plain dict, such as ``execute_notebook`` returns. Reads the
    outputs of ``nbexec.record``, scrapbook's ``sb.glue`` and papermill 1.x's ``pm.record``;
    when a name is recorded more than once the last value wins, as in scrapbook (but the
    display output of ``sb.glue(..., display=True)`` does not hide the data recorded just
    before it, as it does in scrapbook's reader). Values keep
    their JSON types (the ``text`` encoder gives a str); data of other scrapbook encoders
    (``pandas``, ``arrow``) is returned as stored, undecoded.
    """
    nb = _load(notebook)
    scraps: dict[str, Any] = {}
    for cell in nb.get("cells") or []:
        for output in cell.get("outputs") or []:
            scraps.update(_output_scraps(output))
    return scraps


__all__ = ["read_scraps", "record", "scrap_output"]
