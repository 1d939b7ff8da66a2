"""How values cross between Kubeflow Pipelines and ``nbexec run``.

KFP hands a container its input parameters as text (the launcher substitutes
``{{$.inputs.parameters['x']}}``: strings as they are, numbers in decimal, booleans as
``true``/``false``, lists and dicts as JSON) and reads output parameters back from files (strings
as they are, everything else as JSON). nbexec reads parameters from a YAML file exactly as
papermill does (PyYAML's YAML 1.1 rules). This module converts between the three without
losing a type. It imports nothing from kfp: it runs inside the step's image.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping

#: The parameter types a notebook op exposes, by name.
TYPES = ("str", "int", "float", "bool", "list", "dict")
_PYTHON_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}
#: nbexec's kinds (JSON Schema type names, see docs/parameters.md) to the op's types.
KIND_TO_TYPE = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "list",
    "object": "dict",
}


def type_name(spec: Any, what: str = "type") -> str:
    """``int`` or ``"int"`` -> ``"int"``; anything but the six types is a TypeError."""
    if isinstance(spec, str) and spec in TYPES:
        return spec
    for name, python_type in _PYTHON_TYPES.items():
        if spec is python_type:
            return name
    raise TypeError(f"{what} must be one of str, int, float, bool, list, dict; got {spec!r}")


def python_type(name: str) -> type:
    return _PYTHON_TYPES[name]


def fits(value: Any, name: str) -> bool:
    """Whether ``value`` is a value of type ``name`` (an int is a float; a bool is no number)."""
    if name == "bool":
        return isinstance(value, bool)
    if name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "str":
        return isinstance(value, str)
    if name == "list":
        return isinstance(value, (list, tuple))
    if name == "dict":
        return isinstance(value, Mapping)
    raise ValueError(f"unknown type {name!r}")


def normalize(value: Any, name: str) -> Any:
    """A value of type ``name`` as nbexec should inject it: floats that KFP's protobuf numbers
    made of ints become ints again for int parameters, ints become floats for float ones.
    Raises ValueError when the value is not of that type."""
    if name == "int" and isinstance(value, float) and value.is_integer():
        return int(value)
    if not fits(value, name):
        raise ValueError(f"expected {name}, got {type(value).__name__} {value!r}")
    if name == "float":
        return float(value)
    if name == "list":
        return list(value)
    if name == "dict":
        return dict(value)
    return value


def from_text(text: str, name: str) -> Any:
    """The value of a ``{{$.inputs.parameters[...]}}`` substitution for a parameter of type
    ``name``. Accepts what the KFP launcher writes (``3``, ``0.5``, ``1e-05``, ``true``) and what
    kfp.local writes (``3.0`` for an int, ``True``)."""
    if name == "str":
        return text
    stripped = text.strip()
    try:
        if name == "int":
            try:
                return int(stripped)
            except ValueError:
                number = float(stripped)
                if not number.is_integer():
                    raise
                return int(number)
        if name == "float":
            return float(stripped)
        if name == "bool":
            lowered = stripped.lower()
            if lowered in ("true", "1"):
                return True
            if lowered in ("false", "0"):
                return False
            raise ValueError(text)
        value = json.loads(stripped)
    except ValueError:
        raise ValueError(f"{text!r} is not a {name}") from None
    return normalize(value, name)


def coerce_scrap(value: Any, name: str) -> Any:
    """A recorded scrap as the output parameter of type ``name``.

    A ``str`` output takes any scrap: a str as it is, anything else as its JSON text. The
    other types take their own values (an int for a float; an integral float for an int).
    Raises ValueError otherwise."""
    if name == "str":
        return value if isinstance(value, str) else json.dumps(value, allow_nan=False)
    return normalize(value, name)


def output_text(value: Any, name: str) -> str:
    """What an output parameter file holds: a str as it is, anything else as JSON (the KFP
    launcher and kfp.local both read it back so)."""
    if name == "str":
        return value
    if name == "bool":
        return "true" if value else "false"
    return json.dumps(value, allow_nan=False)


def zero(name: str) -> Any:
    """The value an output parameter gets when the notebook did not record it (KFP needs a file
    for every output parameter)."""
    return {"str": "", "int": 0, "float": 0.0, "bool": False, "list": [], "dict": {}}[name]


# --- YAML for `nbexec run -f` ----------------------------------------------------------------

# Characters PyYAML refuses raw (outside its printable set) or reads as line breaks in a
# double-quoted scalar; they are written as \uXXXX escapes.
def _needs_escape(code: int) -> bool:
    return (code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029, 0xFEFF)
            or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF))


def _yaml_str(text: str) -> str:
    out = ['"']
    for char in text:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif _needs_escape(code):
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _yaml_float(number: float) -> str:
    # PyYAML (YAML 1.1) reads a float only with a dot and a signed exponent: 1e-05 would be a
    # string, so it is written 1.0e-05; nan and the infinities have their own spellings.
    if math.isnan(number):
        return ".nan"
    if math.isinf(number):
        return ".inf" if number > 0 else "-.inf"
    text = repr(number)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        if exponent[0] not in "+-":
            exponent = "+" + exponent
        text = f"{mantissa}e{exponent}"
    return text


def _yaml_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _yaml_float(value)
    if isinstance(value, str):
        return _yaml_str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"dict keys must be str, not {type(key).__name__}")
        return "{" + ", ".join(f"{_yaml_str(k)}: {_yaml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"a {type(value).__name__} cannot be a notebook parameter")


def to_yaml(parameters: Mapping[str, Any]) -> str:
    """Parameters as a YAML document that ``nbexec run -f`` (and papermill) read back to the
    same values: one flow mapping, every string double-quoted."""
    return _yaml_value(dict(parameters)) + "\n"
