"""nbexec.kfp.values: KFP's text forms of parameters, output parameter files, and the YAML
the step hands to `nbexec run -f` (read back here by the C++ core's own reader). No kfp
needed: this code runs inside the step's image."""

from __future__ import annotations

import math

import pytest

import nbexec
from nbexec.kfp import embed, values


@pytest.mark.parametrize("text,type_,expected", [
    ("hello world", "str", "hello world"),
    ("", "str", ""),
    ("--", "str", "--"),
    ("3", "int", 3),           # the KFP launcher (Go FormatFloat 'f')
    ("3.0", "int", 3),         # kfp.local (json.dumps of a protobuf number)
    ("-12", "int", -12),
    ("0.5", "float", 0.5),
    ("3", "float", 3.0),
    ("0.00001", "float", 1e-05),
    ("1e-05", "float", 1e-05),
    ("true", "bool", True),
    ("True", "bool", True),
    ("false", "bool", False),
    ('["a", 1, 2.5]', "list", ["a", 1, 2.5]),
    ('{"k": {"n": [1]}}', "dict", {"k": {"n": [1]}}),
])
def test_from_text(text, type_, expected):
    value = values.from_text(text, type_)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("text,type_", [
    ("2.5", "int"), ("ten", "int"), ("fast", "float"), ("yes", "bool"),
    ('{"a": 1}', "list"), ("[1]", "dict"), ("not json", "list"),
])
def test_from_text_refuses(text, type_):
    with pytest.raises(ValueError):
        values.from_text(text, type_)


@pytest.mark.parametrize("value,type_,expected", [
    (0.93, "float", 0.93),
    (1, "float", 1.0),          # an int scrap fits a float output
    (4.0, "int", 4),
    ("gs://b/m", "str", "gs://b/m"),
    (0.5, "str", "0.5"),        # a str output takes any scrap as JSON text
    ({"a": [1]}, "str", '{"a": [1]}'),
    (True, "bool", True),
    ([1, 2], "list", [1, 2]),
])
def test_coerce_scrap(value, type_, expected):
    got = values.coerce_scrap(value, type_)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("value,type_", [("0.9", "float"), (True, "float"), (2.5, "int"),
                                         (1, "bool"), ("x", "list")])
def test_coerce_scrap_refuses(value, type_):
    with pytest.raises(ValueError):
        values.coerce_scrap(value, type_)


def test_output_text_is_what_kfp_reads_back():
    # Strings as they are, everything else JSON (bool lower case), as KFP reads the files.
    assert values.output_text("a b", "str") == "a b"
    assert values.output_text(0.25, "float") == "0.25"
    assert values.output_text(3, "int") == "3"
    assert values.output_text(True, "bool") == "true"
    assert values.output_text({"k": [1]}, "dict") == '{"k": [1]}'
    assert {t: values.zero(t) for t in values.TYPES} == {
        "str": "", "int": 0, "float": 0.0, "bool": False, "list": [], "dict": {}}


TRICKY = {
    "small": 1e-05,            # PyYAML reads `1e-05` as a string
    "big": 1e+20,
    "neg": -2.5e-300,
    "integral_float": 3.0,
    "nan": float("nan"),
    "inf": float("inf"),
    "ninf": float("-inf"),
    "int": -(2 ** 63),
    "true": True,
    "none": None,
    "text": 'quote " backslash \\ tab \t newline \n',
    "unicode": "é ✓ 😀",
    "c1_controls": "\x7f\x85\x9f",   # refused raw by PyYAML's reader
    "separators": "\u2028\u2029\ufeff",
    "yaml_words": ["yes", "no", "on", "null", "~", "0x10", "010", "1_000", "1:20", ".inf"],
    "empty": "",
    "nested": {"a": [1, 2.5, {"b": None}], "with space": {"x": "y"}},
    "empty_list": [],
    "empty_dict": {},
}


def _same(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    return a == b and type(a) is type(b)


def test_yaml_reads_back_through_the_core(tmp_path):
    # The step writes parameters with to_yaml and `nbexec run -f` reads them: every value
    # must come back with its type (merge_parameters is the CLI's -f reader).
    path = tmp_path / "params.yaml"
    path.write_text(values.to_yaml(TRICKY), encoding="utf-8")
    back = nbexec.merge_parameters(files=[path])
    assert list(back) == list(TRICKY)
    for name, value in TRICKY.items():
        assert _same(value, back[name]), (name, value, back[name])


def test_yaml_reads_back_through_pyyaml():
    yaml = pytest.importorskip("yaml")
    back = yaml.safe_load(values.to_yaml(TRICKY))
    for name, value in TRICKY.items():
        assert _same(value, back[name]), (name, value, back[name])


def test_embedded_notebook_round_trips_without_outputs():
    nb = ('{"cells": [{"cell_type": "code", "execution_count": 7, "metadata": {}, '
          '"outputs": [{"output_type": "stream", "name": "stdout", "text": "x"}], '
          '"source": "print(1)"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    packed = embed.pack(nb)
    assert packed == embed.pack(nb)  # deterministic: KFP's cache key stays the same
    import json
    back = json.loads(embed.unpack(packed))
    assert back["cells"][0]["outputs"] == [] and back["cells"][0]["execution_count"] is None
    assert back["cells"][0]["source"] == "print(1)"
