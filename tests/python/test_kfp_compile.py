"""`nbexec.kfp.compile_pipeline` writes the container form whatever kfp.local's state, and the
kfp.local form, when a plain compile lets it into a YAML, stops at once in a KFP pod (where
KFP_POD_NAME is set) with a message instead of failing on a missing kfp module."""

import subprocess

import nbformat
import pytest
import yaml
from helpers import make_notebook

kfp = pytest.importorskip("kfp", reason="kfp is not installed (pip install 'kfp>=2.15')")

from kfp import compiler, dsl, local  # noqa: E402
from kfp.local import config as local_config  # noqa: E402

from nbexec.kfp import compile_pipeline, container_form, notebook_component  # noqa: E402
from nbexec.kfp.compiling import local_form_steps  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:You may be attemping:RuntimeWarning")

IMAGE = "registry.test/nbexec-runner:2"


@pytest.fixture
def op(tmp_path):
    path = tmp_path / "double.ipynb"
    nbformat.write(make_notebook(["import nbexec\nnbexec.record('y', a * 2)"],
                                 parameters_cell="a = 1"), str(path))
    return notebook_component(path, image=IMAGE)


@pytest.fixture
def kfp_local(tmp_path):
    local.init(runner=local.SubprocessRunner(use_venv=False),
               pipeline_root=str(tmp_path / "root"))
    yield
    local_config.LocalExecutionConfig.instance = None


def _commands(path):
    spec = yaml.safe_load(path.read_text())
    return {name: e["container"]["command"] for name, e in
            spec["deploymentSpec"]["executors"].items()}, spec


def _pipeline(op):
    @dsl.pipeline(name="doubling", description="doubles a", display_name="Doubling")
    def doubling(a: int = 3) -> int:
        return op(a=a).outputs["y"]
    return doubling


def test_decorated_under_kfp_local_it_runs_locally_and_compiles_to_the_container_form(
        op, kfp_local, tmp_path):
    doubling = _pipeline(op)
    assert doubling(a=5).outputs["Output"] == 10         # kfp.local ran the lightweight form

    plain = tmp_path / "plain.yaml"
    compiler.Compiler().compile(doubling, str(plain))    # kfp writes the form that was traced
    commands, _ = _commands(plain)
    assert "nbexec-kfp-local-form" in commands["exec-double"][2]

    ours = tmp_path / "ours.yaml"
    compile_pipeline(doubling, ours)
    commands, spec = _commands(ours)
    assert commands == {"exec-double": ["python3", "-m", "nbexec.kfp.entrypoint"]}
    assert "kfp.dsl.executor_main" not in ours.read_text()
    # the decorator's settings survive the second trace
    assert spec["pipelineInfo"] == {"name": "doubling", "displayName": "Doubling",
                                    "description": "doubles a"}
    assert spec["root"]["inputDefinitions"]["parameters"]["a"]["defaultValue"] == 3
    # and kfp.local is left as it was: the pipeline still runs here
    assert local_config.LocalExecutionConfig.instance is not None
    assert doubling(a=6).outputs["Output"] == 12


def test_without_kfp_local_both_compiles_agree(op, tmp_path):
    doubling = _pipeline(op)
    plain, ours = tmp_path / "plain.yaml", tmp_path / "ours.yaml"
    compiler.Compiler().compile(doubling, str(plain))
    compile_pipeline(doubling, ours)
    assert _commands(plain)[0] == _commands(ours)[0] == {
        "exec-double": ["python3", "-m", "nbexec.kfp.entrypoint"]}


def test_a_nested_pipeline_traced_under_kfp_local_is_refused(op, kfp_local, tmp_path):
    inner = _pipeline(op)

    @dsl.pipeline
    def outer(a: int = 1):
        inner(a=a)

    assert local_form_steps(container_form(_pipeline(op))) == []
    with pytest.raises(ValueError, match="exec-double.*kfp.local form.*decorate it before"):
        compile_pipeline(outer, tmp_path / "outer.yaml")
    assert not (tmp_path / "outer.yaml").exists()


def test_the_local_form_stops_in_a_kfp_pod_with_a_message(op, kfp_local, tmp_path):
    doubling = _pipeline(op)
    plain = tmp_path / "plain.yaml"
    compiler.Compiler().compile(doubling, str(plain))
    command = _commands(plain)[0]["exec-double"]
    assert command[:2] == ["sh", "-ec"]
    # What the pod would run, with a stand-in for kfp's executor: the guard comes first.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text("#!/bin/sh\necho reached kfp.dsl.executor_main\n")
    (bin_dir / "python3").chmod(0o755)
    path = f"{bin_dir}:/usr/bin:/bin"
    in_pod = subprocess.run(["sh", "-ec", command[2], "program-source"], capture_output=True,
                            text=True, timeout=30, env={"PATH": path, "KFP_POD_NAME": "p-x1"})
    assert in_pod.returncode == 2
    assert "compile the pipeline with nbexec.kfp.compile_pipeline" in in_pod.stderr
    assert "reached" not in in_pod.stdout
    # Outside a pod (kfp.local, a notebook server) the script goes on to the executor.
    outside = subprocess.run(["sh", "-ec", command[2], "program-source"], capture_output=True,
                             text=True, timeout=30, env={"PATH": path})
    assert outside.returncode == 0, outside.stderr
    assert "reached kfp.dsl.executor_main" in outside.stdout


def test_a_sweep_fragment_compiles_to_the_container_form_under_kfp_local(tmp_path, kfp_local):
    from nbexec.kfp import notebook_sweep

    path = tmp_path / "fit.ipynb"
    nbformat.write(make_notebook(["import nbexec\nnbexec.record('rmse', alpha)"],
                                 parameters_cell="alpha = 0.5"), str(path))

    @dsl.pipeline
    def fanned(grid: list = [{"alpha": 0.1}]):
        notebook_sweep(path, IMAGE, grid=grid, shards=2, objective="rmse")

    assert local_form_steps(fanned) != []                # traced under kfp.local
    package = tmp_path / "fanned.yaml"
    compile_pipeline(fanned, package)
    commands, _ = _commands(package)
    assert len(commands) == 2
    assert all(c[:2] == ["python3", "-m"] and c[2].startswith("nbexec.kfp.")
               for c in commands.values()), commands
    assert "kfp.dsl.executor_main" not in package.read_text()
