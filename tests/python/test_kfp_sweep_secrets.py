"""Secret parameters of notebook_sweep: every shard runs `nbexec sweep --secret NAME=ENV`, the
variable filled from a Kubernetes Secret by kfp-kubernetes; the value is never in the compiled
pipeline, the shard's config, grid or parameters files, the summaries, the table, the report
or the executed notebooks."""

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import make_notebook

pytest.importorskip("kfp", reason="kfp is not installed (pip install 'kfp>=2.15')")
pytest.importorskip("kfp.kubernetes", reason="kfp-kubernetes is not installed")
yaml = pytest.importorskip("yaml")

from kfp import compiler, dsl, local  # noqa: E402
from kfp.local import config as local_config  # noqa: E402

import nbexec  # noqa: E402
from nbexec.kfp import notebook_sweep  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:You may be attemping:RuntimeWarning")

IMAGE = "registry.example/nbexec-runner:1"
ENV = "NBEXEC_TEST_SWEEP_TOKEN"
SECRET = "kfp-sw-s3cr'et\\\u00e5-66"
FRAGMENTS = [b"s3cr", "\u00e5-66".encode(), b"\\u00e5-66", b"\\xe5-66"]
EXPECTED = hashlib.sha256(SECRET.encode()).hexdigest()
NO_KFP = "import sys, runpy; sys.modules['kfp'] = None; runpy.run_module({!r}, " \
         "run_name='__main__', alter_sys=True)"
PARAMS = 'alpha = 0.1\nseed = 0\ntoken = ""\n'
# The shard's grid.json and parameters.yaml exist while the runs run: the cell reads them.
CELLS = ["""\
import glob, hashlib, json, os, tempfile
import nbexec
files = [f for name in ("grid.json", "parameters.yaml")
         for f in glob.glob(os.path.join(tempfile.gettempdir(), "nbexec-kfp-sweep-*", name))]
nbexec.record("step_files", len(files))
nbexec.record("step_files_clean", all(token not in open(f).read() for f in files))
nbexec.record("sha", hashlib.sha256(token.encode()).hexdigest())
nbexec.record("rmse", alpha + seed)
print("token is", token, repr(token), json.dumps(token))
"""]


def _leaks(data: bytes) -> list[bytes]:
    return [f for f in FRAGMENTS if f in data]


@pytest.fixture
def notebook(tmp_path):
    path = tmp_path / "train.ipynb"
    nbformat.write(make_notebook(CELLS, parameters_cell=PARAMS), str(path))
    return path


def test_kfp_local_runs_get_the_secret_and_no_file_holds_it(notebook, tmp_path, monkeypatch,
                                                           capfd):
    monkeypatch.setenv(ENV, SECRET)
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))      # where the shard step writes its files
    root = tmp_path / "pipeline_root"
    saved = local_config.LocalExecutionConfig.instance
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root))
    try:
        @dsl.pipeline
        def secret_sweep() -> dsl.Dataset:
            s = notebook_sweep(notebook, IMAGE, grid={"alpha": [0.5, 0.25]}, shards=2,
                               parameters={"seed": 1}, objective="rmse",
                               secrets={"token": ENV})
            assert s.secrets == {"token": ENV}
            return s.outputs["table"]

        run = secret_sweep()
    finally:
        local_config.LocalExecutionConfig.instance = saved
    table = Path(run.output.path).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(table)))
    assert len(rows) == 2, table
    for row in rows:
        assert row["status"] == "completed"
        assert row["scrap.sha"] == EXPECTED                   # the kernel had the value
        # Its shard's grid.json and parameters.yaml (and the other shard's, when it ran at
        # the same time) were there, without the value.
        assert int(row["scrap.step_files"]) in (2, 4)
        assert row["scrap.step_files_clean"] == "true"
    assert "token" not in rows[0]
    files = [p for p in root.rglob("*") if p.is_file()]
    notebooks = [p for p in files if p.suffix == ".ipynb"]
    assert len(notebooks) == 2
    for path in notebooks:
        nb = nbformat.read(str(path), as_version=4)
        assert nb.metadata.papermill.parameters["token"] == "<secret>"
        assert 'token is ******** "********" "********"' in "".join(
            o.get("text", "") for o in nb.cells[-1].outputs)
    assert len(files) >= 8       # notebooks, 2 summaries, table, metrics, report, ...
    for path in files:
        assert _leaks(path.read_bytes()) == [], path
    captured = capfd.readouterr()
    assert _leaks((captured.out + captured.err).encode()) == []


def _compile(notebook, tmp_path, **options):
    @dsl.pipeline
    def compiled(grid: list = [{"alpha": 0.5}]) -> dsl.Dataset:
        s = notebook_sweep(notebook, IMAGE, grid=grid, shards=2, secrets={"token": ENV},
                           **options)
        assert s.use_kubernetes_secret("my-secret", {"token": "key"}) is s.shard_task
        return s.outputs["table"]

    compiler.Compiler().compile(compiled, str(tmp_path / "sweep.yaml"))
    text = (tmp_path / "sweep.yaml").read_text()
    return text, list(yaml.safe_load_all(text))


def test_compiled_pipeline_fills_the_env_of_the_shards(notebook, tmp_path, monkeypatch,
                                                       no_local):
    monkeypatch.setenv(ENV, SECRET)  # set while compiling: still not read
    text, (spec, platform) = _compile(notebook, tmp_path, parameters={"seed": 2})
    assert _leaks(text.encode()) == []
    shard = spec["deploymentSpec"]["executors"]["exec-train-sweep-shard"]["container"]
    config = json.loads(shard["args"][1])
    assert config["sweep_options"] == ["--secret", f"token={ENV}", "--transport", "ipc"]
    assert "token" not in config["parameter_types"]
    k8s = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    assert list(k8s) == ["exec-train-sweep-shard"]                 # not the collect step
    (secret,) = k8s["exec-train-sweep-shard"]["secretAsEnv"]
    assert secret["secretName"] == "my-secret"
    assert secret["keyToEnv"] == [{"secretKey": "key", "envVar": ENV}]
    # A transport chosen by the user is kept; ipc is not added.
    _, (spec, _) = _compile(notebook, tmp_path, nbexec_options=["--transport", "tcp"])
    shard = spec["deploymentSpec"]["executors"]["exec-train-sweep-shard"]["container"]
    assert json.loads(shard["args"][1])["sweep_options"] == [
        "--transport", "tcp", "--secret", f"token={ENV}"]


def test_bad_secrets_raise_when_the_pipeline_is_decorated(notebook, no_local):
    with pytest.raises(ValueError, match="'other' is not a parameter"):
        @dsl.pipeline
        def unknown():
            notebook_sweep(notebook, IMAGE, grid={"alpha": [0.1]}, secrets={"other": ENV})

    with pytest.raises(ValueError, match="environment variable name"):
        @dsl.pipeline
        def bad_env():
            notebook_sweep(notebook, IMAGE, grid={"alpha": [0.1]}, secrets={"token": "A-B"})

    with pytest.raises(nbexec.ParameterError, match="run 1: 'token' is a secret"):
        @dsl.pipeline
        def in_grid():
            notebook_sweep(notebook, IMAGE, grid=[{"alpha": 0.1}, {"token": "abcdef"}],
                           secrets={"token": ENV})

    with pytest.raises(nbexec.ParameterError, match="'token' is a secret; parameters"):
        @dsl.pipeline
        def in_fixed():
            notebook_sweep(notebook, IMAGE, grid={"alpha": [0.1]}, parameters={"token": "abcd"},
                           secrets={"token": ENV})

    with pytest.raises(ValueError, match="not a secret of this op"):
        @dsl.pipeline
        def unknown_key():
            s = notebook_sweep(notebook, IMAGE, grid={"alpha": [0.1]}, secrets={"token": ENV})
            s.use_kubernetes_secret("my-secret", {"alpha": "key"})


def test_a_grid_given_at_run_time_may_not_name_a_secret(notebook, tmp_path):
    from nbexec.kfp import embed
    from nbexec.kfp.sweep_step import ShardConfig

    config = ShardConfig(notebook_name="train.ipynb",
                         notebook=embed.pack(notebook.read_text(encoding="utf-8")),
                         parameter_types={"alpha": "float", "seed": "int"},
                         sweep_options=["--secret", f"token={ENV}", "--transport", "ipc"])
    result = subprocess.run(
        [sys.executable, "-c", NO_KFP.format("nbexec.kfp.sweep_step"),
         "--config", config.to_json(), "--shard", "0", "--grid", json.dumps([{"token": "abcd"}]),
         "--parameters", "{}", "--notebooks", str(tmp_path / "nb"),
         "--summary", str(tmp_path / "summary")], capture_output=True, text=True, timeout=60,
        env={**os.environ, ENV: SECRET})
    assert result.returncode == 2, result.stderr
    assert "both as a parameter and as a secret" in result.stderr
    assert not (tmp_path / "summary").exists()
    assert not re.search(r"\.ipynb$", "\n".join(os.listdir(tmp_path / "nb")), re.M)
