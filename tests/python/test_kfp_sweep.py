"""notebook_sweep: a sweep over pods (a ParallelFor of `nbexec sweep --shard I/K` steps, then a
collect step) run for real under kfp.local's SubprocessRunner, compared with a local
`nbexec.sweep` of the same grid; the compiled IR; the container form's commands resolved by
hand and run without kfp; bad input."""

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from helpers import make_notebook

kfp = pytest.importorskip("kfp", reason="kfp is not installed (pip install 'kfp>=2.15')")
yaml = pytest.importorskip("yaml")

from kfp import compiler, dsl, local  # noqa: E402
from kfp.local import config as local_config  # noqa: E402

import nbexec  # noqa: E402
from nbexec.kfp import notebook_sweep, sweep_collect  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:You may be attemping:RuntimeWarning")

IMAGE = "registry.example/nbexec-runner:1"
PARAMS = "alpha = 0.1\nseed = 0"
# Cheap, deterministic, and failing for alpha > 0.9 (after recording `started`).
CELLS = ["import nbexec\nnbexec.record('started', seed)",
         "if alpha > 0.9:\n    raise ValueError('alpha too big: <' + str(alpha) + '>')\n"
         "rmse = round((alpha - 0.3) ** 2 + seed / 100, 6)\nnbexec.record('rmse', rmse)"]
GRID = {"alpha": [0.1, 0.3, 1.5], "seed": [1, 2]}      # 6 runs; runs 4 and 5 fail
NO_KFP = "import sys, runpy; sys.modules['kfp'] = None; runpy.run_module({!r}, " \
         "run_name='__main__', alter_sys=True)"


@pytest.fixture(scope="module")
def notebook(tmp_path_factory):
    path = tmp_path_factory.mktemp("nb") / "train.ipynb"
    nbformat.write(make_notebook(CELLS, parameters_cell=PARAMS), str(path))
    return path


@pytest.fixture(scope="module")
def kfp_local(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline_root")
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root))
    yield root
    local_config.LocalExecutionConfig.instance = None


def _read(path):
    return Path(path).read_text(encoding="utf-8")


def _rows(path):
    return list(csv.DictReader(io.StringIO(_read(path))))


@pytest.fixture(scope="module")
def swept(notebook, kfp_local):
    """One kfp.local run shared by the tests below: 6 runs over 2 shards, 2 at a time."""

    @dsl.pipeline
    def sweep_pipeline() -> dsl.Dataset:
        s = notebook_sweep(notebook, IMAGE, grid=GRID, shards=2, jobs=2, objective="rmse",
                           plot=("rmse", "alpha"))
        return s.outputs["table"]

    run = sweep_pipeline()
    collect_dir = Path(run.output.path).parent
    return {"table": run.output.path, "metrics": collect_dir / "metrics",
            "report": collect_dir / "report", "root": collect_dir.parent}


@pytest.fixture(scope="module")
def local_records(notebook, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    return nbexec.sweep(notebook, str(out / "run-{run:04d}.ipynb"), GRID, jobs=2)


def test_table_matches_a_local_sweep(swept, local_records):
    rows = _rows(swept["table"])
    assert list(rows[0]) == ["index", "alpha", "seed", "status", "exit_code", "seconds",
                             "output_path", "shard", "scrap.rmse", "scrap.started", "error"]
    assert len(rows) == len(local_records) == 6
    for row, record in zip(rows, local_records):
        assert int(row["index"]) == record.index
        assert {"alpha": json.loads(row["alpha"]), "seed": json.loads(row["seed"])} \
            == record.parameters
        assert type(json.loads(row["seed"])) is int      # KFP's doubles made ints again
        assert (row["status"], int(row["exit_code"])) == (record.status, record.exit_code)
        assert row["error"] == record.error
        scraps = {k[len("scrap."):]: json.loads(v) for k, v in row.items()
                  if k.startswith("scrap.") and v}
        assert scraps == record.scraps
        assert row["output_path"] == f"run-{record.index:04d}.ipynb"
        assert int(row["shard"]) == record.index % 2
        # The executed notebook is in its shard's notebooks folder, at that path.
        folder = next(swept["root"].glob(f"for-loop-*-iteration-{row['shard']}/*/notebooks"))
        executed = nbformat.read(str(folder / row["output_path"]), as_version=4)
        assert executed.metadata.papermill.parameters == record.parameters
    assert [r.status for r in local_records] == ["completed"] * 4 + ["failed"] * 2
    assert rows[4]["error"] == "cell 3 raised ValueError: alpha too big: <1.5>"


def test_metrics_give_the_best_run(swept, kfp_local):
    metrics = json.loads(_read(swept["metrics"]))
    assert metrics == {"rmse": 0.01, "best_run": 2.0, "param.alpha": 0.3, "param.seed": 1.0,
                       "runs": 6.0, "completed": 4.0}


def test_report_is_a_safe_self_contained_page(swept):
    page = _read(swept["report"])
    assert page.startswith("<!DOCTYPE html>")
    assert ('<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;; '
            "style-src &#x27;unsafe-inline&#x27;; img-src data:\">") in page
    assert "<script" not in page.lower() and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr") == 6
    assert '<tr class="best"><td>2</td>' in body
    assert body.count('<tr class="failed">') == 2
    assert "alpha too big: &lt;1.5&gt;" in body                 # escaped
    svg = page.split("<svg")[1].split("</svg>")[0]
    assert svg.count("<circle") == 4                           # the completed runs
    assert svg.count('class="bestpoint"') == 1
    assert ">alpha</text>" in svg and ">rmse</text>" in svg
    assert "Best run: 2</strong> (rmse = 0.01, minimum): alpha=0.3, seed=1" in page


def test_grid_from_a_pipeline_parameter(notebook, kfp_local):
    @dsl.pipeline
    def grid_pipeline(grid: list) -> dsl.Dataset:
        s = notebook_sweep(notebook, IMAGE, grid=grid, shards=2, jobs=1, objective="rmse",
                           mode="max", parameters={"seed": 5})
        return s.outputs["table"]

    first = _rows(grid_pipeline(grid=[{"alpha": 0.5}, {"alpha": 0.2, "seed": 7}]).output.path)
    assert [(r["alpha"], r["seed"], r["status"], r["scrap.rmse"]) for r in first] == [
        ("0.5", "5", "completed", "0.09"), ("0.2", "7", "completed", "0.08")]
    second = _rows(grid_pipeline(grid=[{"alpha": 0.3}, {"alpha": 2.0}, {"alpha": 0.4}])
                   .output.path)
    assert [(r["alpha"], r["status"]) for r in second] == [
        ("0.3", "completed"), ("2.0", "failed"), ("0.4", "completed")]
    assert [r["shard"] for r in second] == ["0", "1", "0"]


def _compile(notebook, tmp_path, **options):
    @dsl.pipeline
    def compiled(grid: list = [{"alpha": 0.5}]) -> dsl.Dataset:
        s = notebook_sweep(notebook, IMAGE, grid=grid, shards=3, jobs=2, objective="rmse",
                           **options)
        return s.outputs["table"]

    compiler.Compiler().compile(compiled, str(tmp_path / "sweep.yaml"))
    return yaml.safe_load((tmp_path / "sweep.yaml").read_text())


def test_compiled_ir(notebook, tmp_path, no_local):
    ir = _compile(notebook, tmp_path, parameters={"seed": 4}, execution_timeout=60)
    loop = ir["root"]["dag"]["tasks"]["for-loop-2"]
    assert loop["parameterIterator"]["items"]["raw"] == "[0, 1, 2]"
    assert loop["inputs"]["parameters"]["pipelinechannel--grid"] == {
        "componentInputParameter": "grid"}
    inner = ir["components"]["comp-for-loop-2"]["dag"]["tasks"]["train-sweep-shard"]
    assert inner["inputs"]["parameters"]["shard"] == {
        "componentInputParameter": "pipelinechannel--loop-item-param-1"}
    assert inner["inputs"]["parameters"]["grid"] == {
        "componentInputParameter": "pipelinechannel--grid"}
    collect = ir["root"]["dag"]["tasks"]["train-sweep-collect"]
    assert collect["inputs"]["artifacts"]["summaries"]["taskOutputArtifact"][
        "producerTask"] == "for-loop-2"
    assert ir["components"]["comp-train-sweep-collect"]["inputDefinitions"]["artifacts"][
        "summaries"]["isArtifactList"] is True
    executors = ir["deploymentSpec"]["executors"]
    shard = executors["exec-train-sweep-shard"]["container"]
    assert shard["image"] == IMAGE
    assert shard["command"] == ["python3", "-m", "nbexec.kfp.sweep_step"]
    assert shard["args"][0::2] == ["--config", "--shard", "--grid", "--parameters",
                                   "--notebooks", "--summary"]
    config = json.loads(shard["args"][1])
    assert (config["shards"], config["jobs"], config["sweep_options"]) == (
        3, 2, ["--execution-timeout", "60"])
    assert config["parameter_types"] == {"alpha": "float", "seed": "int"}
    assert shard["args"][3] == "{{$.inputs.parameters['shard']}}"
    assert shard["args"][9] == "{{$.outputs.artifacts['notebooks'].path}}"
    coll = executors["exec-train-sweep-collect"]["container"]
    assert coll["command"] == ["python3", "-m", "nbexec.kfp.sweep_collect"]
    assert coll["args"][:4] == ["--config", json.dumps(
        {"mode": "min", "objective": "rmse", "plot": None, "title": "Sweep of train.ipynb"},
        separators=(",", ":"), sort_keys=True), "--executor-input", "{{$}}"]


def test_container_form_runs_without_kfp(notebook, tmp_path, no_local):
    """The shard's and the collect step's args resolved by hand, as the launcher would, and run
    in a Python where `import kfp` fails."""
    ir = _compile(notebook, tmp_path)
    executors = ir["deploymentSpec"]["executors"]
    out = tmp_path / "out"
    inputs = {"shard": "1", "grid": json.dumps([{"alpha": 0.1}, {"alpha": 0.2, "seed": 2.0},
                                                {"alpha": 0.3}, {"alpha": 0.4}, {"alpha": 0.5}]),
              "parameters": "{}"}
    outputs = {"notebooks": str(out / "notebooks"), "summary": str(out / "summary"),
               "table": str(out / "table"), "metrics": str(out / "metrics"),
               "report": str(out / "report")}
    executor_input = {"inputs": {"artifacts": {"summaries": {"artifacts": [
        {"name": "summary", "uri": outputs["summary"]}]}}},
        "outputs": {"artifacts": {"metrics": {"artifacts": [{"name": "metrics",
                                                            "uri": "minio://b/metrics"}]}},
                    "outputFile": str(out / "executor_output.json")}}

    def resolve(text):
        text = text.replace("{{$}}", json.dumps(executor_input))
        text = re.sub(r"\{\{\$\.inputs\.parameters\['(\w+)'\]\}\}",
                      lambda m: inputs[m.group(1)], text)
        return re.sub(r"\{\{\$\.outputs\.artifacts\['(\w+)'\]\.path\}\}",
                      lambda m: outputs[m.group(1)], text)

    for executor in ("exec-train-sweep-shard", "exec-train-sweep-collect"):
        container = executors[executor]["container"]
        module = container["command"][2]
        result = subprocess.run([sys.executable, "-c", NO_KFP.format(module),
                                 *map(resolve, container["args"])],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in _read(outputs["summary"]).splitlines()]
    assert [(r["index"], r["parameters"], r["output_path"], r["shard"]) for r in rows] == [
        (1, {"alpha": 0.2, "seed": 2}, "run-0001.ipynb", 1),
        (4, {"alpha": 0.5}, "run-0004.ipynb", 1)]                # shard 1 of 3: runs 1, 4
    assert (out / "notebooks" / "run-0004.ipynb").is_file()
    assert [r["index"] for r in _rows(outputs["table"])] == ["1", "4"]
    output = json.loads(_read(out / "executor_output.json"))
    assert output["artifacts"]["metrics"]["artifacts"][0]["metadata"]["best_run"] == 1.0
    assert "<svg" in _read(outputs["report"])


@pytest.mark.parametrize("options,message", [
    ({"shards": 0}, "shards must be a whole number >= 1"),
    ({"jobs": 0}, "jobs must be a whole number >= 1"),
    ({"grid": {"alpah": [0.1]}}, "unknown parameter 'alpah'"),
    ({"grid": [{"alpha": 0.1}, {"seed": "two"}]}, "run 1: parameter 'seed' is integer"),
    ({"grid": {"alpha": [0.1]}, "parameters": {"seed": 1.5}}, "parameter 'seed' is integer"),
    ({"grid": {"alpha": 0.1}}, "grid"),
])
def test_bad_input_raises_when_the_pipeline_is_decorated(notebook, options, message, no_local):
    kwargs = {"grid": GRID, **options}
    with pytest.raises(nbexec.ParameterError, match=re.escape(message)):
        @dsl.pipeline
        def bad():
            notebook_sweep(notebook, IMAGE, **kwargs)


def test_objective_no_run_recorded_fails_the_collect_step(tmp_path):
    summary = tmp_path / "summary"
    summary.write_text(json.dumps({"index": 0, "parameters": {"alpha": 0.1}, "status": "completed",
                                   "exit_code": 0, "duration": 0.5, "output_path": "run.ipynb",
                                   "scraps": {"rmse": 0.5}, "error": None, "shard": 0}) + "\n")
    config = sweep_collect.CollectConfig(title="t", objective="rmsd").to_json()
    result = subprocess.run(
        [sys.executable, "-c", NO_KFP.format("nbexec.kfp.sweep_collect"), "--config", config,
         "--summary", str(summary), "--table", str(tmp_path / "table"),
         "--metrics", str(tmp_path / "metrics"), "--report", str(tmp_path / "report")],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert ("objective 'rmsd' was not recorded as a number by any of the 1 completed runs; "
            "they recorded: rmse") in result.stderr
    assert _rows(tmp_path / "table")[0]["scrap.rmse"] == "0.5"   # written all the same


def test_objective_not_recorded_fails_the_collect_step_under_kfp_local(notebook, kfp_local,
                                                                        capsys):
    with pytest.warns(UserWarning, match="objective 'rmsd' is not among the scraps"):
        @dsl.pipeline
        def typo():
            notebook_sweep(notebook, IMAGE, grid={"alpha": [0.1, 1.5]}, objective="rmsd")

    with pytest.raises(RuntimeError, match="FAILURE"):
        typo()
    assert ("sweep Sweep of train.ipynb: objective 'rmsd' was not recorded as a number by any "
            "of the 1 completed runs; they recorded: rmse, started") in capsys.readouterr().out


def test_a_grid_given_at_run_time_is_checked_by_the_shard(notebook, tmp_path):
    from nbexec.kfp import embed
    from nbexec.kfp.sweep_step import ShardConfig

    config = ShardConfig(notebook_name="train.ipynb", notebook=embed.pack(_read(notebook)),
                         shards=2, parameter_types={"alpha": "float", "seed": "int"})

    def shard(grid):
        return subprocess.run(
            [sys.executable, "-c", NO_KFP.format("nbexec.kfp.sweep_step"),
             "--config", config.to_json(), "--shard", "0", "--grid", json.dumps(grid),
             "--parameters", "{}", "--notebooks", str(tmp_path / "nb"),
             "--summary", str(tmp_path / "summary")], capture_output=True, text=True, timeout=60)

    result = shard([{"alpah": 0.1}])
    assert result.returncode == 2 and "unknown parameter 'alpah'" in result.stderr
    result = shard([{"alpha": 0.1}, 3])
    assert result.returncode == 2 and "grid[1] must be a mapping" in result.stderr
    result = shard([{"alpha": 0.1}, {"alpha": 0.2}, {"alpha": 0.3}])  # shard 0 of 2: runs 0, 2
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["index"] for line in _read(tmp_path / "summary").splitlines()] \
        == [0, 2]


def test_notebook_in_image(notebook, tmp_path, no_local):
    ir = _compile(notebook, tmp_path, notebook_in_image="/app/train.ipynb")
    args = ir["deploymentSpec"]["executors"]["exec-train-sweep-shard"]["container"]["args"]
    config = json.loads(args[1])
    assert (config["notebook"], config["notebook_path"]) == (None, "/app/train.ipynb")


def test_grid_file_and_fixed_values_from_a_pipeline_input(notebook, tmp_path, no_local):
    grid = tmp_path / "grid.yaml"
    grid.write_text("- {alpha: 1.0e-05}\n- {alpha: 0.5, seed: 2}\n")

    @dsl.pipeline
    def from_file(fixed: dict = {"seed": 1}):
        notebook_sweep(notebook, IMAGE, grid=grid, shards=2, parameters=fixed,
                       output_template="{alpha}-{run}.ipynb")

    compiler.Compiler().compile(from_file, str(tmp_path / "p.yaml"))
    ir = yaml.safe_load((tmp_path / "p.yaml").read_text())
    inputs = ir["components"]["comp-for-loop-2"]["dag"]["tasks"]["train-sweep-shard"]["inputs"]
    assert inputs["parameters"]["grid"]["runtimeValue"]["constant"] == [
        {"alpha": 1e-05}, {"alpha": 0.5, "seed": 2}]                # read and planned now
    assert inputs["parameters"]["parameters"] == {
        "componentInputParameter": "pipelinechannel--fixed"}
    with pytest.raises(nbexec.ParameterError, match="cannot fill in the output path of run 0 "
                       "'{epochs}.ipynb' from the parameters: missing parameter 'epochs'"):
        @dsl.pipeline
        def bad_template():
            notebook_sweep(notebook, IMAGE, grid=grid, output_template="{epochs}.ipynb")

    @dsl.pipeline
    def fixed_in_template():   # a fixed value may name the output path, as in nbexec sweep
        notebook_sweep(notebook, IMAGE, grid=grid, parameters={"seed": 3},
                       output_template="{alpha}-{seed}.ipynb")


def test_report_escapes_what_runs_recorded(tmp_path):
    """Scrap names and values are the notebook's own text: escaped everywhere, and a
    categorical x axis for a parameter whose values are strings."""
    evil = "</svg><script>alert(1)</script>"
    rows = [{"index": i, "parameters": {"opt": name}, "status": "completed", "exit_code": 0,
             "duration": 0.1, "output_path": f"run-{i}.ipynb",
             "scraps": {evil: i, "loss": 1.0 / (i + 1), "note": evil}, "error": None,
             "shard": 0} for i, name in enumerate(["adam", "<sgd>", "adam"])]
    summary = tmp_path / "summary"
    summary.write_text("".join(json.dumps(r) + "\n" for r in rows))
    paths = {k: str(tmp_path / k) for k in ("table", "report")}
    config = sweep_collect.CollectConfig(title=f"t {evil}", objective="loss", mode="min",
                                         plot=[evil, "opt"])
    metrics = sweep_collect.collect(config, [str(summary)], paths["table"], paths["report"])
    assert metrics == {"runs": 3.0, "completed": 3.0, "loss": 0.3333333333333333,
                       "best_run": 2.0}                             # no numeric parameter
    page = _read(paths["report"])
    assert "<script" not in page and page.count("</svg>") == 1
    assert page.count("&lt;/svg&gt;&lt;script&gt;") >= 4            # title, header, cells
    svg = page.split("<svg")[1].split("</svg>")[0]
    assert ">adam</text>" in svg and ">&lt;sgd&gt;</text>" in svg    # one tick per category
    assert svg.count("<circle") == 3
    assert _rows(paths["table"])[1]["opt"] == "<sgd>"                 # the CSV keeps the text

    config = sweep_collect.CollectConfig(title="no objective")
    assert sweep_collect.collect(config, [str(summary)], paths["table"], paths["report"]) \
        == {"runs": 3.0, "completed": 3.0}
    assert "no plot: give objective= or plot=(scrap, parameter)" in _read(paths["report"])
