"""The compiled container component's command line, resolved as the KFP launcher resolves it
(backend/src/v2/component/launcher_v2.go getPlaceholders: strings as they are, numbers in Go's
FormatFloat 'f', booleans true/false, lists and dicts as JSON, IfPresent when the input has a
value), for the tests that run it without a cluster: test_kfp_container_run.py (in this
Python, kfp made unimportable) and test_docker_image.py (in a clean virtual environment set up
as docker/Dockerfile sets up the image). Import it only after kfp and PyYAML are known to be
there (pytest.importorskip)."""

from __future__ import annotations

import decimal
import json
import os
import re

import yaml
from kfp import compiler


def _go_text(value):
    """What launcher_v2.go substitutes for an input parameter."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = format(decimal.Decimal(repr(float(value))), "f")  # FormatFloat(v, 'f', -1, 64)
        return text.rstrip("0").rstrip(".") if "." in text else text
    return json.dumps(value, separators=(",", ":"))


def _resolve(arg, present, substitute):
    if arg.startswith('{"IfPresent"'):
        spec = json.loads(arg)["IfPresent"]
        chosen = spec.get("Then") if spec["InputName"] in present else spec.get("Else")
        chosen = chosen if isinstance(chosen, list) else ([chosen] if chosen else [])
        return [substitute(a) for a in chosen]
    return [substitute(arg)]


def resolve_container(op, tmp_path, inputs=None, artifacts=None):
    """Compiles the op into tmp_path/op.yaml and resolves its container's args like the KFP
    launcher, with output files under tmp_path/outputs. Returns (the container's command,
    the resolved args, {output name: local path, "executor_output": path})."""
    compiler.Compiler().compile(op, str(tmp_path / "op.yaml"))
    ir = yaml.safe_load((tmp_path / "op.yaml").read_text())
    container = next(iter(ir["deploymentSpec"]["executors"].values()))["container"]
    comp = next(iter(ir["components"].values()))
    params = {k: d["defaultValue"] for k, d in
              comp["inputDefinitions"].get("parameters", {}).items() if "defaultValue" in d}
    params.update(inputs or {})
    root = tmp_path / "outputs"
    outs = comp["outputDefinitions"]
    paths = {name: str(root / "artifacts" / name) for name in outs.get("artifacts", {})}
    paths.update({name: str(root / "parameters" / name) for name in outs.get("parameters", {})})
    for path in paths.values():
        os.makedirs(os.path.dirname(path), exist_ok=True)  # launcher's prepareOutputFolders
    executor_output = str(root / "executor_output.json")
    executor_input = {
        "inputs": {"parameterValues": params},
        "outputs": {
            "parameters": {n: {"outputFile": paths[n]} for n in outs.get("parameters", {})},
            "artifacts": {n: {"artifacts": [{"name": n, "uri": "minio://bucket/" + n}]}
                          for n in outs.get("artifacts", {})},
            "outputFile": executor_output,
        },
    }
    paths["executor_output"] = executor_output

    def substitute(text):
        text = text.replace("{{$}}", json.dumps(executor_input))
        text = re.sub(r"\{\{\$\.inputs\.parameters\['(\w+)'\]\}\}",
                      lambda m: _go_text(params[m.group(1)]), text)
        text = re.sub(r"\{\{\$\.inputs\.artifacts\['(\w+)'\]\.path\}\}",
                      lambda m: (artifacts or {})[m.group(1)], text)
        text = re.sub(r"\{\{\$\.outputs\.artifacts\['(\w+)'\]\.path\}\}",
                      lambda m: paths[m.group(1)], text)
        return re.sub(r"\{\{\$\.outputs\.parameters\['(\w+)'\]\.output_file\}\}",
                      lambda m: paths[m.group(1)], text)

    present = set(params) | set(artifacts or {})
    argv = [part for arg in container["args"] for part in _resolve(arg, present, substitute)]
    return list(container["command"]), argv, paths
