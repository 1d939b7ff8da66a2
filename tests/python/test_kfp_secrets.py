"""Secret parameters of a KFP notebook op: a Kubernetes Secret filled into the pod's
environment by kfp-kubernetes, read by `nbexec run --secret NAME=ENV`; never an input, never in
the compiled pipeline, the step's parameters file or the executed notebook."""

import hashlib
import json
import os
import subprocess
import sys

import nbformat
import pytest
from helpers import make_notebook

pytest.importorskip("kfp", reason="kfp is not installed (pip install 'kfp>=2.15')")
pytest.importorskip("kfp.kubernetes", reason="kfp-kubernetes is not installed")
pytest.importorskip("yaml")

import yaml  # noqa: E402
from kfp import compiler, dsl  # noqa: E402
from kfp_launch import resolve_container  # noqa: E402

from nbexec.kfp import notebook_component  # noqa: E402

SECRET = "kfp-s3cr'et-\u00e5-77"
NO_KFP = ("import sys, runpy; sys.modules['kfp'] = None; "
          "runpy.run_module('nbexec.kfp.entrypoint', run_name='__main__', alter_sys=True)")
PARAMS = 'alpha = 0.5\napi_token = ""\n'
CELL = """\
import glob, hashlib, os, tempfile
import nbexec
files = glob.glob(os.path.join(tempfile.gettempdir(), "nbexec-kfp-*", "parameters.yaml"))
nbexec.record("yaml_files", len(files))
nbexec.record("yaml_clean", all(api_token not in open(f).read() for f in files))
nbexec.record("sha", hashlib.sha256(api_token.encode()).hexdigest())
print("token is", api_token, repr(api_token))
"""


@pytest.fixture
def op(tmp_path):
    path = tmp_path / "train.ipynb"
    nbformat.write(make_notebook([CELL], parameters_cell=PARAMS), str(path))
    return notebook_component(path, image="img", secrets={"api_token": "API_TOKEN"},
                              scraps={"sha": str, "yaml_files": int, "yaml_clean": bool})


def test_compiled_pipeline_fills_the_env_from_a_kubernetes_secret(op, tmp_path):
    @dsl.pipeline(name="with-secret")
    def pipeline(alpha: float = 0.5):
        task = op(alpha=alpha)
        op.use_kubernetes_secret(task, "model-registry", {"api_token": "token"})

    compiler.Compiler().compile(pipeline, str(tmp_path / "p.yaml"))
    docs = list(yaml.safe_load_all((tmp_path / "p.yaml").read_text()))
    spec, platform = docs[0], docs[1]
    executor = next(iter(spec["deploymentSpec"]["executors"].values()))
    args = executor["container"]["args"]
    at = args.index("--secret")
    assert args[at + 1] == "api_token=API_TOKEN"
    assert args[args.index("--transport") + 1] == "ipc"
    # Not an input of the op.
    component = next(iter(spec["components"].values()))
    assert "api_token" not in component["inputDefinitions"]["parameters"]
    assert "alpha" in component["inputDefinitions"]["parameters"]
    k8s = next(iter(platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"].values()))
    secret = k8s["secretAsEnv"][0]
    assert secret["secretName"] == "model-registry"
    assert secret["keyToEnv"] == [{"secretKey": "token", "envVar": "API_TOKEN"}]


def test_use_kubernetes_secret_refuses_a_name_that_is_not_a_secret(op):
    with pytest.raises(ValueError, match="not a secret of this op"):
        op.use_kubernetes_secret(object(), "s", {"alpha": "k"})


def test_a_secret_the_notebook_does_not_define_is_refused(tmp_path):
    path = tmp_path / "train.ipynb"
    nbformat.write(make_notebook([CELL], parameters_cell=PARAMS), str(path))
    with pytest.raises(ValueError, match="not a parameter"):
        notebook_component(path, image="img", secrets={"other": "API_TOKEN"})
    with pytest.raises(ValueError, match="environment variable name"):
        notebook_component(path, image="img", secrets={"api_token": "API-TOKEN"})


def test_container_reads_the_env_and_writes_no_value(op, tmp_path):
    _, argv, paths = resolve_container(op, tmp_path, {"alpha": 2.0})
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "API_TOKEN": SECRET, "TMPDIR": str(temp)}
    result = subprocess.run([sys.executable, "-c", NO_KFP, *argv], capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert open(paths["sha"]).read() == hashlib.sha256(SECRET.encode()).hexdigest()
    assert open(paths["yaml_files"]).read() == "1"      # the step's parameters file existed
    assert open(paths["yaml_clean"]).read() == "true"   # ...and did not hold the value
    raw = open(paths["executed_notebook"], "rb").read()
    assert b"s3cr" not in raw and "-\u00e5-77".encode() not in raw
    assert "s3cr" not in result.stdout + result.stderr
    assert 'token is ******** "********"' in result.stdout  # repr of a value with a quote
    nb = json.loads(raw)
    assert nb["metadata"]["papermill"]["parameters"]["api_token"] == "<secret>"

    # Without the variable: exit 2 before the notebook runs.
    del env["API_TOKEN"]
    result = subprocess.run([sys.executable, "-c", NO_KFP, *argv], capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 2
    assert "environment variable API_TOKEN is not set" in result.stderr


@pytest.mark.filterwarnings("ignore:You may be attemping:RuntimeWarning")
def test_kfp_local_lightweight_form_reads_the_env(op, tmp_path, monkeypatch):
    from kfp import local
    from kfp.local import config as local_config

    monkeypatch.setenv("API_TOKEN", SECRET)
    local.init(runner=local.SubprocessRunner(use_venv=False),
               pipeline_root=str(tmp_path / "pipeline_root"))
    try:
        task = op(alpha=1.0)                           # runs at once, outside a pipeline
    finally:
        local_config.LocalExecutionConfig.instance = None
    assert task.outputs["sha"] == hashlib.sha256(SECRET.encode()).hexdigest()
    assert task.outputs["yaml_clean"] is True
    raw = open(task.outputs["executed_notebook"].path, "rb").read()
    assert b"s3cr" not in raw
