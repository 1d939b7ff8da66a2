"""nbexec._core.plan_sweep: a sweep grid's runs, parameters and output paths from Python, and
its errors as nbexec's own exception types (the C++ side is tests/cpp/test_sweep_plan.cpp)."""

from __future__ import annotations

import itertools

import pytest

import nbexec
from nbexec import _core


def test_a_mapping_grid_runs_in_itertools_product_order():
    grid = "alpha: [0.1, 0.5]\nseed: [1, 2, 3]\n"
    runs = _core.plan_sweep(grid, "grid.yaml", "out/{alpha}-{seed}.ipynb", {"data": "d.csv"})
    expected = list(itertools.product([0.1, 0.5], [1, 2, 3]))
    assert [(r["parameters"]["alpha"], r["parameters"]["seed"]) for r in runs] == expected
    assert [r["index"] for r in runs] == list(range(6))
    assert runs[4] == {
        "index": 4,
        "parameters": {"data": "d.csv", "alpha": 0.5, "seed": 2},
        "output_path": "out/0.5-2.ipynb",
    }


def test_a_list_grid_with_run_numbers_and_a_shard():
    grid = '[{"a": "x"}, {"a": "y"}, {"a": "z"}, {"a": "w"}]'
    runs = _core.plan_sweep(grid, "grid.json", "out/run-{run:03d}.ipynb", None, shard="1/2")
    assert [(r["index"], r["output_path"]) for r in runs] == [
        (1, "out/run-001.ipynb"),
        (3, "out/run-003.ipynb"),
    ]
    assert [r["parameters"] for r in runs] == [{"a": "y"}, {"a": "w"}]


def test_the_grid_value_wins_over_a_fixed_value():
    runs = _core.plan_sweep("a: [1, 2]\n", "g", "{a}-{b}", {"a": 0, "b": "fixed"})
    assert [r["parameters"] for r in runs] == [{"a": 1, "b": "fixed"}, {"a": 2, "b": "fixed"}]


@pytest.mark.parametrize(
    ("grid", "template", "words"),
    [
        ("a: 3\n", "{a}", "grid.yaml: 'a': expected a list of values"),
        ("- [1]\n", "{run}", "grid.yaml: [0]: expected a mapping"),
        ("a: [1, 2]\n", "out.ipynb", "runs 0 and 1 would both write 'out.ipynb'"),
        ("- {a: 1}\n- {b: 2}\n", "{a}", "output path of run 1"),
    ],
)
def test_grid_and_path_errors_are_parameter_errors(grid, template, words):
    with pytest.raises(nbexec.ParameterError, match=words.replace("[", r"\[")):
        _core.plan_sweep(grid, "grid.yaml", template, {})


@pytest.mark.parametrize("shard", ["3/2", "-1/2", "0/0", "a/b", "1"])
def test_an_impossible_shard_is_a_usage_error(shard):
    with pytest.raises(nbexec.UsageError, match="shard"):
        _core.plan_sweep("a: [1]\n", "g", "{run}", {}, shard=shard)
