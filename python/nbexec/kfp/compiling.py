"""``compile_pipeline``: a pipeline compiled for a cluster, whatever kfp.local's state.

``@dsl.pipeline`` runs the pipeline function once, when it decorates it, and each notebook op
picks its form then: the lightweight form while kfp.local is initialised with a
SubprocessRunner (the only form that runner runs), else the container form. A plain
``kfp.compiler.Compiler().compile`` writes whatever was picked, so a launcher that ran the
pipeline locally first would write the lightweight form, which needs kfp in the image. kfp
offers no hook between tracing and compiling, so this traces the pipeline function again with
every op forced to its container form, checks that no lightweight nbexec step is left (a
nested ``@dsl.pipeline`` traced earlier under kfp.local would still hold one), and compiles.
"""

from __future__ import annotations

import copy
import os
from typing import Any, Mapping, Optional, Union

from google.protobuf import json_format
from kfp import compiler
from kfp.dsl import base_component, graph_component

from nbexec.kfp import local_mode


def container_form(pipeline: base_component.BaseComponent) -> base_component.BaseComponent:
    """``pipeline`` traced again with every notebook op in its container form."""
    if not isinstance(pipeline, graph_component.GraphComponent):
        return pipeline
    spec = copy.deepcopy(pipeline.component_spec)
    display_name = pipeline.pipeline_spec.pipeline_info.display_name or None
    with local_mode.container_forms():
        traced = graph_component.GraphComponent(
            component_spec=spec, pipeline_func=pipeline.pipeline_func,
            display_name=display_name, pipeline_config=pipeline.pipeline_config)
    _refuse_local_forms(traced)
    return traced


def local_form_steps(pipeline: base_component.BaseComponent) -> list[str]:
    """Names of the executors in ``pipeline`` that are nbexec's kfp.local form."""
    deployment = json_format.MessageToDict(pipeline.pipeline_spec.deployment_spec)
    found = []
    for name, executor in (deployment.get("executors") or {}).items():
        container = executor.get("container") or {}
        if any(local_mode.LOCAL_ONLY_MARK in str(part) for part in container.get("command", [])):
            found.append(name)
    return sorted(found)


def _refuse_local_forms(pipeline: base_component.BaseComponent) -> None:
    found = local_form_steps(pipeline)
    if found:
        raise ValueError(
            f"{pipeline.name}: {', '.join(found)} still hold the kfp.local form of a notebook "
            "op: a nested pipeline decorated while kfp.local was initialised keeps the form it "
            "was traced with; decorate it before local.init, or define it inside the outer "
            "pipeline function")


def compile_pipeline(
    pipeline: base_component.BaseComponent,
    package_path: Union[str, "os.PathLike[str]"],
    *,
    pipeline_name: Optional[str] = None,
    pipeline_parameters: Optional[Mapping[str, Any]] = None,
    type_check: bool = True,
) -> None:
    """``kfp.compiler.Compiler().compile`` with every notebook op in its container form, even
    when the pipeline was decorated while kfp.local was initialised. Same arguments."""
    compiler.Compiler().compile(
        pipeline_func=container_form(pipeline), package_path=str(package_path),
        pipeline_name=pipeline_name,
        pipeline_parameters=dict(pipeline_parameters) if pipeline_parameters else None,
        type_check=type_check)
