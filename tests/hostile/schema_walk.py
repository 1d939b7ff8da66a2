"""Mutations of a valid nbformat v4.5 notebook at every JSON pointer, for the schema test.

Each mutation puts a value of another JSON type at one place (and, where the place is an object
member, also removes it; every object also gets an unknown member), so that every property the
nbformat schema constrains is tried with every wrong type.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Iterator

RICH_NOTEBOOK = Path(__file__).resolve().parent / "rich_v4_5.ipynb"

# One value of each JSON type; integers and floats are distinct types to the schema.
SAMPLES: dict[str, Any] = {
    "null": None,
    "boolean": True,
    "integer": 7,
    "negative": -1,
    "number": 1.5,
    "string": "s",
    "empty-string": "",
    "array": [],
    "array-of-int": [1],
    "object": {},
}


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


# Arrays whose items differ in kind (cells, outputs); in any other array (lines of text, tags,
# a traceback) the schema says the same of every item, so only the first is walked.
DISTINCT_ITEMS = ("/cells", "/outputs")


def pointers(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every (JSON pointer, value) in document order, the root ("") first."""
    yield prefix, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from pointers(child, prefix + "/" + escape(key))
    elif isinstance(value, list):
        walked = value if prefix.endswith(DISTINCT_ITEMS) else value[:1]
        for i, child in enumerate(walked):
            yield from pointers(child, f"{prefix}/{i}")


def _parent_and_key(doc: Any, pointer: str):
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    parent = doc
    for token in tokens[:-1]:
        parent = parent[int(token)] if isinstance(parent, list) else parent[token]
    last = tokens[-1]
    return parent, (int(last) if isinstance(parent, list) else last)


def replaced(doc: Any, pointer: str, value: Any) -> Any:
    if pointer == "":
        return copy.deepcopy(value)
    out = copy.deepcopy(doc)
    parent, key = _parent_and_key(out, pointer)
    parent[key] = copy.deepcopy(value)
    return out


def removed(doc: Any, pointer: str) -> Any:
    out = copy.deepcopy(doc)
    parent, key = _parent_and_key(out, pointer)
    del parent[key]
    return out


def mutations(doc: Any) -> Iterator[tuple[str, str, Any]]:
    """(pointer, what was done, mutated document) for every place of `doc`."""
    for pointer, value in pointers(doc):
        own = json_type(value)
        for name, sample in SAMPLES.items():
            if json_type(sample) == own and sample == value:
                continue
            # Other types: one value each. The same type: only the values that probe a
            # constraint (minimum, a non-empty pattern, item types, a required member).
            probes = {"integer": ("negative",), "string": ("empty-string",),
                      "array": ("array", "array-of-int"), "object": ("object",)}
            if name in ("negative", "empty-string", "array-of-int") and name not in probes.get(
                    own, ()):
                continue
            if json_type(sample) == own and name not in probes.get(own, ()):
                continue
            yield pointer, f"set to {name}", replaced(doc, pointer, sample)
        if pointer:
            parent, key = _parent_and_key(doc, pointer)
            if isinstance(parent, dict):
                yield pointer, "removed", removed(doc, pointer)
        if isinstance(value, dict):
            extra = pointer + "/zz_unknown"
            mutated = copy.deepcopy(doc) if pointer else copy.deepcopy(value)
            target = mutated if not pointer else _resolve(mutated, pointer)
            target["zz_unknown"] = 1
            yield extra, "unknown member added", mutated


def _resolve(doc: Any, pointer: str) -> Any:
    parent, key = _parent_and_key(doc, pointer)
    return parent[key]


def load_rich() -> Any:
    return json.loads(RICH_NOTEBOOK.read_text())
