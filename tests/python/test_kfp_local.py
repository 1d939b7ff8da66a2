"""Notebook ops run for real with kfp.local's SubprocessRunner (no Docker here). The runner
runs only lightweight Python components, so the ops switch to their lightweight form; the
steps run `nbexec run` on real kernels. A two-step pipeline: step 2 takes a scrap of step 1 as
a parameter and step 1's executed notebook as an artifact."""

import json
from typing import NamedTuple

import nbformat
import pytest
from helpers import make_notebook

kfp = pytest.importorskip("kfp", reason="kfp is not installed (pip install 'kfp>=2.15')")

from kfp import dsl, local  # noqa: E402
from kfp.local import config as local_config  # noqa: E402

import nbexec  # noqa: E402
from nbexec.kfp import notebook_component  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:You may be attemping:RuntimeWarning")

IMAGE = "registry.example/nbexec-runner:1"

TRAIN_PARAMS = "alpha: float = 0.5  # learning rate\nepochs: int = 2\nrun_name = 'base'"
TRAIN = """\
import nbexec
accuracy = round(1 - alpha / epochs, 4)
print("accuracy", accuracy)
nbexec.record("accuracy", accuracy)
nbexec.record("run", f"{run_name}-{epochs}")
"""
EVALUATE_PARAMS = "threshold: float = 0.9\ntrained_notebook: str = ''"
EVALUATE = """\
import nbexec
upstream = nbexec.read_scraps(trained_notebook)
passed = upstream["accuracy"] >= threshold
nbexec.record("passed", passed)
nbexec.record("upstream_run", upstream["run"])
"""


@pytest.fixture
def kfp_local(tmp_path):
    local.init(runner=local.SubprocessRunner(use_venv=False),
               pipeline_root=str(tmp_path / "pipeline_root"))
    yield
    local_config.LocalExecutionConfig.instance = None


def _notebook(tmp_path, name, params, cells):
    path = tmp_path / name
    nbformat.write(make_notebook(cells, parameters_cell=params), str(path))
    return path


def test_two_step_pipeline(tmp_path, kfp_local):
    train = notebook_component(_notebook(tmp_path, "train.ipynb", TRAIN_PARAMS, [TRAIN]),
                               image=IMAGE, metrics=True)
    evaluate = notebook_component(
        _notebook(tmp_path, "evaluate.ipynb", EVALUATE_PARAMS, [EVALUATE]), image=IMAGE,
        artifact_inputs=["trained_notebook"])
    assert train.interface.scraps == {"accuracy": "float", "run": "str"}
    assert evaluate.interface.scraps == {"passed": "bool", "upstream_run": "str"}

    class Outputs(NamedTuple):
        accuracy: float
        passed: bool
        upstream_run: str
        trained: dsl.Artifact
        evaluated: dsl.Artifact
        metrics: dsl.Metrics

    @dsl.pipeline
    def train_and_evaluate(alpha: float = 0.25) -> Outputs:
        first = train(alpha=alpha, epochs=4)
        second = evaluate(threshold=first.outputs["accuracy"],
                          trained_notebook=first.outputs["executed_notebook"])
        return Outputs(accuracy=first.outputs["accuracy"], passed=second.outputs["passed"],
                       upstream_run=second.outputs["upstream_run"],
                       trained=first.outputs["executed_notebook"],
                       evaluated=second.outputs["executed_notebook"],
                       metrics=first.outputs["metrics"])

    run = train_and_evaluate(alpha=0.4)
    out = run.outputs
    assert out["accuracy"] == 0.9                      # 1 - 0.4 / 4, recorded by step 1
    assert out["passed"] is True                       # step 2 compared it with itself
    assert out["upstream_run"] == "base-4"             # read from step 1's notebook
    assert out["metrics"].metadata == {"accuracy": 0.9}

    trained = nbformat.read(out["trained"].path, as_version=4)
    assert trained.metadata.papermill.parameters == {"alpha": 0.4, "epochs": 4,
                                                     "run_name": "base"}
    assert nbexec.read_scraps(trained) == {"accuracy": 0.9, "run": "base-4"}
    assert "accuracy 0.9" in "".join(o.get("text", "") for o in trained.cells[-1].outputs)

    evaluated = nbformat.read(out["evaluated"].path, as_version=4)
    parameters = evaluated.metadata.papermill.parameters
    assert parameters["threshold"] == 0.9
    assert parameters["trained_notebook"] == out["trained"].path   # the artifact's local file
    assert nbexec.read_scraps(evaluated) == {"passed": True, "upstream_run": "base-4"}


def test_failed_notebook_delivered_with_status(tmp_path, kfp_local):
    path = _notebook(tmp_path, "fails.ipynb", TRAIN_PARAMS,
                     [TRAIN, "raise RuntimeError('diverged at epoch ' + str(epochs))"])
    op = notebook_component(path, image=IMAGE, on_failure="succeed", html=True)
    task = op(epochs=5)                                # runs at once, outside a pipeline
    out = task.outputs
    assert out["status"] == "failed"
    assert out["error"] == "cell 3 raised RuntimeError: diverged at epoch 5"
    assert out["accuracy"] == 0.9                      # recorded before the failure
    executed = nbformat.read(out["executed_notebook"].path, as_version=4)
    assert executed.metadata.papermill.exception is True
    with open(out["html"].path, encoding="utf-8") as handle:
        assert "diverged at epoch 5" in handle.read()


def test_failed_notebook_fails_the_step(tmp_path, kfp_local, capsys):
    path = _notebook(tmp_path, "fails.ipynb", "x = 1", ["1 / 0"])
    op = notebook_component(path, image=IMAGE)
    with pytest.raises(RuntimeError, match="FAILURE"):
        op(x=2)
    assert ("RuntimeError: notebook fails.ipynb: failed: cell 2 raised ZeroDivisionError"
            in capsys.readouterr().out)
    # The executed notebook is on disk, though KFP keeps no output of a failed task.
    saved = list((tmp_path / "pipeline_root").glob("fails-*/fails/executed_notebook"))
    assert nbformat.read(str(saved[0]), as_version=4).metadata.papermill.exception is True


def test_unset_optional_int_is_refused_locally(tmp_path, kfp_local):
    path = _notebook(tmp_path, "opt.ipynb", "from typing import Optional\n"
                     "limit: Optional[int] = None", ["pass"])
    op = notebook_component(path, image=IMAGE)
    with pytest.raises(nbexec.ParameterError, match="kfp.local cannot leave the optional int"):
        op()
    assert json.loads(json.dumps(op.interface.parameter("limit").optional)) is True
