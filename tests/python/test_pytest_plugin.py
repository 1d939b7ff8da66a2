"""The pytest plugin (docs/testing.md): `pytest --nbexec` on notebooks written here, run in a
pytest subprocess each (pytester), so the plugin loads as users load it."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

pytest_plugins = ["pytester"]

# Installed builds register the plugin through the pytest11 entry point; a tree whose install
# predates it loads the module by name (loading both would register it twice).
_REGISTERED = any(ep.name == "nbexec" for ep in entry_points(group="pytest11"))
PLUGIN = [] if _REGISTERED else ["-p", "nbexec.pytest_plugin"]


def write_nb(folder: Path, name: str, cells, metadata=None, tags=None) -> Path:
    """cells: sources; tags: {cell index: [tags]}."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata.update(metadata or {})
    for index, source in enumerate(cells):
        cell = new_code_cell(source)
        if tags and index in tags:
            cell.metadata["tags"] = tags[index]
        nb.cells.append(cell)
    path = folder / name
    nbformat.write(nb, str(path))
    return path


def run(pytester: pytest.Pytester, *args: str, timeout: float = 240):
    return pytester.runpytest_subprocess(*PLUGIN, "-p", "no:cacheprovider", "-rA", *args,
                                         timeout=timeout)


def outcomes(result) -> dict[str, str]:
    """nodeid -> PASSED/FAILED/ERROR from the -rA summary."""
    found = {}
    for line in result.stdout.lines:
        for word in ("PASSED", "FAILED", "ERROR"):
            if line.startswith(word + " "):
                found[line[len(word) + 1:].split(" - ")[0].strip()] = word
    return found


def test_verdicts_and_nbmakes_conventions(pytester):
    folder = pytester.path
    write_nb(folder, "ok.ipynb", ["x = 1", "print(x + 1)"])
    write_nb(folder, "fail.ipynb", ["x = 1", "def boom():\n    raise ValueError('bad value')\nboom()",
                                    "print('never')"])
    write_nb(folder, "raises_ok.ipynb", ["1 / 0", "done = True"], tags={0: ["raises-exception"]})
    write_nb(folder, "raises_missing.ipynb", ["y = 2  # no error here"],
             tags={0: ["raises-exception"]})
    write_nb(folder, "skip.ipynb", ["raise RuntimeError('skipped')", "z = 3"],
             tags={0: ["skip-execution"]})
    write_nb(folder, "slow.ipynb", ["import time\ntime.sleep(60)"],
             metadata={"execution": {"timeout": 1}})
    write_nb(folder, "dies.ipynb", ["import os\nos._exit(1)"])
    write_nb(folder, "allowed.ipynb", ["raise ValueError('tolerated')", "ok = True"],
             metadata={"execution": {"allow_errors": True}})
    write_nb(folder, "meta_params.ipynb", ["alpha = 0.0", "assert alpha == 0.25, alpha"],
             metadata={"nbexec": {"test": {"parameters": {"alpha": 0.25}}}},
             tags={0: ["parameters"]})
    write_nb(folder, "grid.ipynb", ["alpha = 0.0\nseed = 0", "assert not (alpha == 0.5 and seed == 2)"],
             metadata={"nbexec": {"test": {"grid": {"alpha": [0.1, 0.5], "seed": [1, 2]}}}},
             tags={0: ["parameters"]})
    result = run(pytester, "--nbexec")
    assert outcomes(result) == {
        "allowed.ipynb::allowed.ipynb": "PASSED",
        "dies.ipynb::dies.ipynb": "FAILED",
        "fail.ipynb::fail.ipynb": "FAILED",
        "grid.ipynb::[alpha=0.1-seed=1]": "PASSED",
        "grid.ipynb::[alpha=0.1-seed=2]": "PASSED",
        "grid.ipynb::[alpha=0.5-seed=1]": "PASSED",
        "grid.ipynb::[alpha=0.5-seed=2]": "FAILED",
        "meta_params.ipynb::meta_params.ipynb": "PASSED",
        "ok.ipynb::ok.ipynb": "PASSED",
        "raises_missing.ipynb::raises_missing.ipynb": "FAILED",
        "raises_ok.ipynb::raises_ok.ipynb": "PASSED",
        "skip.ipynb::skip.ipynb": "PASSED",
        "slow.ipynb::slow.ipynb": "FAILED",
    }, result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    # The failing cell's source and its traceback, as pytest shows a failure; no JSON.
    result.stdout.fnmatch_lines([
        "*_ fail.ipynb::fail.ipynb _*",
        "cell 1 raised ValueError: bad value",
        "*- cell 1 source -*",
        "def boom():",
        "    raise ValueError('bad value')",
        "boom()",
        "*- traceback -*",
        "*ValueError*Traceback (most recent call last)*",
        "*boom()*",
        "ValueError: bad value",
    ])
    assert "\x1b[" not in out and '"output_type"' not in out
    # Reports come in the items' order.
    result.stdout.fnmatch_lines([
        "the kernel died while cell 0 ran",
        "*exited with status 1*",
        "os._exit(1)",
        "cell 0 is tagged raises-exception but raised nothing",
        "y = 2  # no error here",
        "cell 0 ran past the per-cell timeout of 1 s",
        "time.sleep(60)",
    ])


def test_nbexec_timeout_option(pytester):
    write_nb(pytester.path, "slow.ipynb", ["import time\ntime.sleep(60)"])
    result = run(pytester, "--nbexec", "--nbexec-timeout", "1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["cell 0 ran past the per-cell timeout of 1 s"])


def test_unknown_kernel_is_a_usage_error(pytester):
    write_nb(pytester.path, "ok.ipynb", ["x = 1"])
    result = run(pytester, "--nbexec", "--nbexec-kernel", "no-such-kernel")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--nbexec-kernel: no kernel named 'no-such-kernel'"
                                 " (installed: *python3*)"])
    assert "Traceback" not in result.stderr.str()


def test_parameters_file_wins_over_metadata(pytester):
    write_nb(pytester.path, "p.ipynb", ["alpha = 0.0\nname = ''",
                                        "assert (alpha, name) == (0.75, 'meta'), (alpha, name)"],
             metadata={"nbexec": {"test": {"parameters": {"alpha": 0.25, "name": "meta"}}}},
             tags={0: ["parameters"]})
    (pytester.path / "params.yaml").write_text("alpha: 0.75\n")
    run(pytester, "--nbexec", "--nbexec-params", "params.yaml").assert_outcomes(passed=1)


def test_bad_parameters_file_is_a_clear_error(pytester):
    write_nb(pytester.path, "p.ipynb", ["x = 1"])
    (pytester.path / "bad.yaml").write_text("alpha: [1,\n")
    result = run(pytester, "--nbexec", "--nbexec-params", "bad.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--nbexec-params: bad.yaml: line 2*"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    result = run(pytester, "--nbexec", "--nbexec-params", "missing.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--nbexec-params:*missing.yaml*"])


def test_grid_file_parametrizes_every_notebook(pytester):
    write_nb(pytester.path, "g.ipynb", ["layers = []\nlr = 0.0", "assert lr < 1, lr"],
             tags={0: ["parameters"]})
    (pytester.path / "grid.yaml").write_text(
        "- {layers: [64, 32], lr: 0.1}\n- {layers: [8], lr: 2.0}\n- {}\n")
    result = run(pytester, "--nbexec", "--nbexec-grid", "grid.yaml")
    assert outcomes(result) == {
        "g.ipynb::[layers=[64,32]-lr=0.1]": "PASSED",
        "g.ipynb::[layers=[8]-lr=2.0]": "FAILED",
        "g.ipynb::[run2]": "PASSED",
    }, result.stdout.str()


def test_bad_grids_are_clear_errors(pytester):
    write_nb(pytester.path, "g.ipynb", ["x = 1"],
             metadata={"nbexec": {"test": {"grid": {"alpha": 0.1}}}})
    result = run(pytester, "--nbexec")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*g.ipynb: metadata.nbexec.test.grid: 'alpha': expected a list*"])
    (pytester.path / "grid.yaml").write_text("[]\n")
    result = run(pytester, "--nbexec", "--nbexec-grid", "grid.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--nbexec-grid: grid.yaml*"])


# Each notebook notes when it ran, so overlap shows that runs went concurrently.
_TIMED = "import json, time\nt0 = time.time()\ntime.sleep(1.5)\n" \
         "open(f'times-{{name}}.json', 'w').write(json.dumps([t0, time.time()]))"


def _timed_notebooks(folder: Path, count: int) -> None:
    for i in range(count):
        write_nb(folder, f"t{i}.ipynb", [f"name = {i}", _TIMED.replace("{{name}}", str(i))])


def _overlapping(folder: Path) -> bool:
    spans = sorted(json.loads(p.read_text()) for p in folder.glob("times-*.json"))
    return any(b[0] < a[1] for a, b in zip(spans, spans[1:]))


def test_jobs_run_notebooks_concurrently(pytester):
    _timed_notebooks(pytester.path, 4)
    write_nb(pytester.path, "fail.ipynb", ["raise KeyError('k')"])
    result = run(pytester, "--nbexec", "-j", "2")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["cell 0 raised KeyError: 'k'"])
    assert len(list(pytester.path.glob("times-*.json"))) == 4
    assert _overlapping(pytester.path)


def test_xdist_workers(pytester):
    pytest.importorskip("xdist")
    _timed_notebooks(pytester.path, 4)
    write_nb(pytester.path, "fail.ipynb", ["x = 1", "raise KeyError('k')"])
    result = run(pytester, "--nbexec", "-n", "2")
    result.assert_outcomes(passed=4, failed=1)
    # Sent from a worker as text: the same report, without colour.
    result.stdout.fnmatch_lines(["cell 1 raised KeyError: 'k'", "*- cell 1 source -*",
                                 "raise KeyError('k')"])


def test_fixture_asserts_on_scraps_and_needs_no_flag(pytester):
    write_nb(pytester.path, "rec.ipynb", ["alpha = 1.0", "import nbexec\n"
                                          "nbexec.record('double', alpha * 2)"],
             tags={0: ["parameters"]})
    write_nb(pytester.path, "broken.ipynb", ["raise ValueError('not collected')"])
    pytester.makepyfile(test_scraps="""
        import nbexec
        import pytest

        def test_double(nbexec_run):
            run = nbexec_run("rec.ipynb", {"alpha": 3.5})
            assert run.scraps == {"double": 7.0}
            assert run.parameters == {"alpha": 3.5}
            assert run.notebook["cells"][-1]["outputs"]  # after the injected parameters

        def test_failure_raises(nbexec_run):
            with pytest.raises(nbexec.ExecutionError):
                nbexec_run("broken.ipynb")
    """)
    # Without --nbexec the notebooks are not items: only the two tests run.
    result = run(pytester)
    result.assert_outcomes(passed=2)
    assert ".ipynb::" not in result.stdout.str()
    # With it, the notebooks and the fixture's runs share one pool.
    run(pytester, "--nbexec").assert_outcomes(passed=3, failed=1)


def test_without_the_flag_nothing_is_collected(pytester):
    write_nb(pytester.path, "fail.ipynb", ["raise ValueError('x')"])
    result = run(pytester, "--collect-only")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "fail.ipynb" not in result.stdout.str()


def test_kernels_start_before_the_first_notebook(pytester, monkeypatch):
    """Warmed at the end of collection: every run, the first included, finds its kernel
    started (without the warm-up the first run starts its own: one warm hit fewer)."""
    pytest.importorskip("xdist")
    for index in range(4):
        write_nb(pytester.path, f"nb{index}.ipynb", [f"x = {index}"])
    pytester.makeconftest("""
        import json, os
        from nbexec.pytest_plugin import _RUNS_KEY

        ran = []

        def pytest_runtest_call(item):
            ran.append(item.nodeid)

        def pytest_sessionfinish(session):
            runs = session.config.stash.get(_RUNS_KEY, None)
            if runs is None or runs._pool is None:
                return
            name = os.environ.get("PYTEST_XDIST_WORKER", "main")
            with open(f"stats-{name}.json", "w") as out:
                json.dump({"warm_hits": runs._pool.stats()["warm_hits"], "ran": len(ran)}, out)
    """)
    # The inner session is its own, also when this suite itself runs under xdist.
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    run(pytester, "--nbexec").assert_outcomes(passed=4)
    data = json.loads((pytester.path / "stats-main.json").read_text())
    assert data == {"warm_hits": 4, "ran": 4}
    run(pytester, "--nbexec", "-n", "2").assert_outcomes(passed=4)
    ran = 0
    for path in pytester.path.glob("stats-gw*.json"):
        data = json.loads(path.read_text())
        assert data["warm_hits"] == data["ran"], (path.name, data)
        ran += data["ran"]
    assert ran == 4
