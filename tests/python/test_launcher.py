"""examples/launcher.ipynb, executed by nbexec itself (`nbexec run`, as the notebook's own
text says): it builds the two-notebook flights pipeline, catches a typo while building, runs
the pipeline with kfp.local on real kernels and compiles it for a cluster. The test then reads
what it left: the scraps it recorded, the compiled YAML and kfp.local's outputs."""

import json
import subprocess

import nbformat
import pytest
import yaml
from helpers import REPO, read_valid

pytest.importorskip("kfp", reason="kfp is not installed (pip install 'kfp>=2.15')")

import nbexec  # noqa: E402

EXAMPLES = REPO / "examples"
IMAGE = "registry.test/nbexec-runner:7"


@pytest.fixture(scope="module")
def launched(cli, tmp_path_factory):
    folder = tmp_path_factory.mktemp("launcher")
    executed = folder / "launcher-output.ipynb"
    proc = subprocess.run(
        [cli, "run", str(EXAMPLES / "launcher.ipynb"), str(executed), "--cwd", str(EXAMPLES),
         "-p", "OUTPUT_DIR", str(folder / "out"), "-p", "IMAGE", IMAGE],
        capture_output=True, text=True, timeout=300, cwd=folder)
    return proc, executed, folder / "out"


def test_the_launcher_runs_to_the_end(launched):
    proc, executed, _ = launched
    assert proc.returncode == 0, proc.stderr[-4000:]
    nb = read_valid(executed)
    assert nb.metadata.papermill.exception is None
    assert nb.metadata.papermill.parameters["IMAGE"] == IMAGE


def test_a_typo_is_caught_while_building(launched):
    _, executed, _ = launched
    error = nbexec.read_scraps(str(executed))["typo_error"]
    assert "unknown parameter 'DELAY_TRESHOLD'" in error
    assert "DELAY_THRESHOLD" in error.split("defines", 1)[1]
    # and shown to the reader, in the cell after the markdown that announces it
    shown = [c for c in nbformat.read(str(executed), as_version=4).cells
             if c.cell_type == "code" and "DELAY_TRESHOLD=" in c.source][0]
    assert "caught while building the pipeline" in "".join(o.get("text", "") for o in shown.outputs)


def test_the_local_run_passes_the_scrap_and_the_notebook_downstream(launched):
    _, executed, _ = launched
    scraps = nbexec.read_scraps(str(executed))
    accuracy = scraps["accuracy"]
    assert 0.5 < accuracy <= 1.0
    assert scraps["passed"] is True
    # The flights notebook records its metrics as scraps: the Metrics output holds values.
    assert scraps["metrics"]["accuracy"] == accuracy
    assert 0.5 < scraps["metrics"]["baseline"] < 1.0

    trained = read_valid(scraps["artifacts"]["trained"])
    assert nbexec.read_scraps(trained)["accuracy"] == accuracy
    assert trained.metadata.papermill.parameters["DEVELOP_MODE"] is True
    evaluated = read_valid(scraps["artifacts"]["evaluated"])
    evaluated_parameters = evaluated.metadata.papermill.parameters
    assert evaluated_parameters["trained_accuracy"] == accuracy          # step 1's scrap
    assert evaluated_parameters["trained_notebook"] == scraps["artifacts"]["trained"]
    found = nbexec.read_scraps(evaluated)
    assert set(found) == {"worst_carrier", "worst_accuracy", "passed"}
    assert isinstance(found["worst_accuracy"], float) and found["passed"] is True
    html = open(scraps["artifacts"]["report"], encoding="utf-8").read()
    assert "late-arrival classifier" in html


def test_the_yaml_is_the_container_form_although_kfp_local_was_initialised(launched):
    _, executed, out = launched
    package = nbexec.read_scraps(str(executed))["package"]
    text = open(package, encoding="utf-8").read()
    assert "kfp.dsl.executor_main" not in text and "nbexec-kfp-local-form" not in text
    spec = yaml.safe_load(text)
    executors = spec["deploymentSpec"]["executors"]
    assert sorted(executors) == ["exec-evaluate", "exec-train"]
    for executor in executors.values():
        container = executor["container"]
        assert container["image"] == IMAGE
        assert container["command"] == ["python3", "-m", "nbexec.kfp.entrypoint"]
    inputs = spec["root"]["inputDefinitions"]["parameters"]
    assert inputs["data_path"]["defaultValue"] == "/data/flights.csv"
    assert inputs["develop_mode"]["parameterType"] == "BOOLEAN"
    # step 2 is wired to step 1's scrap and executed notebook
    tasks = spec["root"]["dag"]["tasks"]
    wiring = json.dumps(tasks["evaluate"]["inputs"])
    assert '"outputParameterKey": "accuracy"' in wiring
    assert '"outputArtifactKey": "executed_notebook"' in wiring
