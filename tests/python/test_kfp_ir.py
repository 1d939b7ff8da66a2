"""nbexec.kfp.notebook_component compiled with kfp's own compiler: the IR's inputs, types,
defaults, outputs, image, command, args and placeholders; the YAML round trip through
kfp.components.load_component_from_text; a two-step pipeline's wiring."""


import json

import nbformat
import pytest
from helpers import make_notebook

kfp = pytest.importorskip("kfp", reason="kfp is not installed (pip install 'kfp>=2.15')")
yaml = pytest.importorskip("yaml")

from kfp import compiler, components, dsl  # noqa: E402

from nbexec.kfp import embed, notebook_component  # noqa: E402

TRAIN_PARAMS = """\
alpha: float = 0.5  # learning rate
epochs = 10
run_name: str = "base"
DEVELOP_MODE = False
layers = ["a", "b"]
conf = {"opt": "adam"}
limit: Optional[int] = None  # rows to read
data_path: str = ""
"""
TRAIN_CELLS = [
    "from typing import Optional",
    "import nbexec\naccuracy = round(1 - alpha / epochs, 4)\nnbexec.record('accuracy', accuracy)\n"
    "nbexec.record('model_uri', f'gs://models/{run_name}')",
]


@pytest.fixture
def train_nb(tmp_path):
    path = tmp_path / "train.ipynb"
    nbformat.write(make_notebook(TRAIN_CELLS, parameters_cell=TRAIN_PARAMS), str(path))
    return path


def _compile(component, tmp_path, name="component.yaml"):
    out = tmp_path / name
    compiler.Compiler().compile(component, str(out))
    return yaml.safe_load(out.read_text()), out.read_text()


def _only(mapping):
    assert len(mapping) == 1
    return next(iter(mapping.values()))


def test_inputs_types_and_defaults(train_nb, tmp_path):
    op = notebook_component(train_nb, image="registry.example/nbexec:1",
                            artifact_inputs=["data_path"])
    ir, _ = _compile(op, tmp_path)
    comp = ir["components"]["comp-train"]
    params = comp["inputDefinitions"]["parameters"]
    assert params == {
        "alpha": {"parameterType": "NUMBER_DOUBLE", "defaultValue": 0.5, "isOptional": True,
                  "description": "learning rate"},
        "epochs": {"parameterType": "NUMBER_INTEGER", "defaultValue": 10.0, "isOptional": True},
        "run_name": {"parameterType": "STRING", "defaultValue": "base", "isOptional": True},
        "DEVELOP_MODE": {"parameterType": "BOOLEAN", "defaultValue": False, "isOptional": True},
        "layers": {"parameterType": "LIST", "defaultValue": ["a", "b"], "isOptional": True},
        "conf": {"parameterType": "STRUCT", "defaultValue": {"opt": "adam"}, "isOptional": True},
        "limit": {"parameterType": "NUMBER_INTEGER", "isOptional": True,
                  "description": "rows to read"},
    }
    artifact = comp["inputDefinitions"]["artifacts"]["data_path"]
    assert artifact["artifactType"]["schemaTitle"] == "system.Artifact"
    outputs = comp["outputDefinitions"]
    assert outputs["artifacts"] == {"executed_notebook": {"artifactType": {
        "schemaTitle": "system.Artifact", "schemaVersion": "0.0.1"}}}
    assert outputs["parameters"] == {"accuracy": {"parameterType": "NUMBER_DOUBLE"},
                                     "model_uri": {"parameterType": "STRING"}}
    assert ir["pipelineInfo"]["name"] == "train"


def test_container_image_command_and_placeholders(train_nb, tmp_path):
    op = notebook_component(train_nb, image="registry.example/nbexec:1",
                            artifact_inputs=["data_path"], execution_timeout=600,
                            start_timeout=30.5, kernel_name="python3", report_mode=True,
                            nbexec_options=["--log-level", "WARNING"])
    ir, _ = _compile(op, tmp_path)
    container = _only(ir["deploymentSpec"]["executors"])["container"]
    assert container["image"] == "registry.example/nbexec:1"
    assert container["command"] == ["python3", "-m", "nbexec.kfp.entrypoint"]
    args = container["args"]
    assert args[:3] == ["--notebook-name", "train.ipynb", "--notebook"]
    # The embedded notebook is the one given, without outputs.
    embedded = json.loads(embed.unpack(args[3]))
    source = embedded["cells"][0]["source"]
    assert ("".join(source) if isinstance(source, list) else source) == TRAIN_PARAMS
    limit = json.dumps({"IfPresent": {"InputName": "limit", "Then": [
        "--parameter", "limit", "int", "{{$.inputs.parameters['limit']}}"]}})
    assert args[4:] == [
        "--executed-notebook", "{{$.outputs.artifacts['executed_notebook'].path}}",
        "--parameter", "alpha", "float", "{{$.inputs.parameters['alpha']}}",
        "--parameter", "epochs", "int", "{{$.inputs.parameters['epochs']}}",
        "--parameter", "run_name", "str", "{{$.inputs.parameters['run_name']}}",
        "--parameter", "DEVELOP_MODE", "bool", "{{$.inputs.parameters['DEVELOP_MODE']}}",
        "--parameter", "layers", "list", "{{$.inputs.parameters['layers']}}",
        "--parameter", "conf", "dict", "{{$.inputs.parameters['conf']}}",
        limit,
        "--artifact-input", "data_path", "{{$.inputs.artifacts['data_path'].path}}",
        "--scrap", "accuracy", "float", "{{$.outputs.parameters['accuracy'].output_file}}",
        "--scrap", "model_uri", "str", "{{$.outputs.parameters['model_uri'].output_file}}",
        "--",
        "--kernel", "python3", "--start-timeout", "30.5", "--execution-timeout", "600",
        "--report-mode", "--log-level", "WARNING",
    ]


def test_optional_outputs(train_nb, tmp_path):
    op = notebook_component(train_nb, image="img", metrics=True, html=True,
                            on_failure="succeed", artifact_outputs={"data_path": dsl.Dataset},
                            scraps={"accuracy": float}, discover_scraps=False)
    ir, _ = _compile(op, tmp_path)
    outputs = ir["components"]["comp-train"]["outputDefinitions"]
    assert {k: v["artifactType"]["schemaTitle"] for k, v in outputs["artifacts"].items()} == {
        "executed_notebook": "system.Artifact", "metrics": "system.Metrics",
        "html": "system.HTML", "data_path": "system.Dataset"}
    assert outputs["parameters"] == {"accuracy": {"parameterType": "NUMBER_DOUBLE"},
                                     "status": {"parameterType": "STRING"},
                                     "error": {"parameterType": "STRING"}}
    args = _only(ir["deploymentSpec"]["executors"])["container"]["args"]
    tail = args[args.index("--artifact-output"):]
    assert tail == [
        "--artifact-output", "data_path", "{{$.outputs.artifacts['data_path'].path}}",
        "--scrap", "accuracy", "float", "{{$.outputs.parameters['accuracy'].output_file}}",
        # KFP reads a Metrics artifact's values from the executor output named in {{$}}.
        "--metrics", "{{$.outputs.artifacts['metrics'].path}}", "--executor-input", "{{$}}",
        "--html", "{{$.outputs.artifacts['html'].path}}",
        "--on-failure", "succeed",
        "--status", "{{$.outputs.parameters['status'].output_file}}",
        "--error", "{{$.outputs.parameters['error'].output_file}}",
        "--",
    ]
    assert "{{$}}" not in json.dumps(_compile(notebook_component(train_nb, image="img"),
                                              tmp_path, "plain.yaml")[0]["deploymentSpec"])


def test_notebook_in_image_is_not_embedded(train_nb, tmp_path):
    op = notebook_component(train_nb, image="img", notebook_in_image="/app/train.ipynb",
                            command=["python", "-m", "nbexec.kfp.entrypoint"])
    container = _only(_compile(op, tmp_path)[0]["deploymentSpec"]["executors"])["container"]
    assert container["command"][0] == "python"
    assert container["args"][:4] == ["--notebook-name", "train.ipynb", "--notebook-path",
                                     "/app/train.ipynb"]


def test_yaml_round_trip(train_nb, tmp_path):
    op = notebook_component(train_nb, image="img", metrics=True, on_failure="succeed",
                            artifact_inputs=["data_path"])
    _, text = _compile(op, tmp_path)
    loaded = components.load_component_from_text(text)
    assert loaded.name == op.name
    assert loaded.component_spec.inputs == op.component_spec.inputs
    assert loaded.component_spec.outputs == op.component_spec.outputs
    ours = op.component_spec.implementation.container
    theirs = loaded.component_spec.implementation.container
    assert (theirs.image, theirs.command) == (ours.image, ours.command)
    # The loaded component compiles back to the same IR (args and placeholders included).
    assert _compile(loaded, tmp_path, "again.yaml")[1] == text


def test_lightweight_form_has_the_same_interface(train_nb, tmp_path):
    op = notebook_component(train_nb, image="img", metrics=True, html=True,
                            on_failure="succeed", artifact_inputs=["data_path"])
    light = op.lightweight
    assert light is op.lightweight
    assert light.component_spec.inputs == op.component_spec.inputs
    assert light.component_spec.outputs == op.component_spec.outputs
    container = light.component_spec.implementation.container
    assert container.image == "img"
    assert any("kfp.dsl.executor_main" in part for part in container.command)
    assert "run_lightweight" in container.command[-1]   # the generated function's source
    assert "pip install" not in " ".join(container.command)
    ir, _ = _compile(light, tmp_path, "light.yaml")
    assert ir["components"]["comp-train"]["inputDefinitions"] == \
        _compile(op, tmp_path)[0]["components"]["comp-train"]["inputDefinitions"]


def test_two_step_pipeline_compiles(tmp_path, train_nb):
    evaluate_nb = tmp_path / "evaluate.ipynb"
    nbformat.write(make_notebook(
        ["import nbexec\nnbexec.record('passed', threshold > 0.5)"],
        parameters_cell="threshold: float = 0.9\ntrained_notebook: str = ''"), str(evaluate_nb))
    train = notebook_component(train_nb, image="img")
    evaluate = notebook_component(evaluate_nb, image="img", artifact_inputs=["trained_notebook"])

    @dsl.pipeline(name="train-and-evaluate")
    def pipeline(alpha: float = 0.25):
        first = train(alpha=alpha, epochs=4)
        evaluate(threshold=first.outputs["accuracy"],
                 trained_notebook=first.outputs["executed_notebook"])

    ir, _ = _compile(pipeline, tmp_path, "pipeline.yaml")
    tasks = ir["root"]["dag"]["tasks"]
    assert tasks["train"]["inputs"]["parameters"] == {
        "alpha": {"componentInputParameter": "alpha"},
        "epochs": {"runtimeValue": {"constant": 4}}}
    wiring = tasks["evaluate"]["inputs"]
    assert wiring["parameters"]["threshold"] == {"taskOutputParameter": {
        "outputParameterKey": "accuracy", "producerTask": "train"}}
    assert wiring["artifacts"]["trained_notebook"] == {"taskOutputArtifact": {
        "outputArtifactKey": "executed_notebook", "producerTask": "train"}}
    assert set(ir["deploymentSpec"]["executors"]) == {"exec-train", "exec-evaluate"}
