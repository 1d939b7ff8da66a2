"""A notebook op's inputs and outputs, read from the notebook by nbexec's C++ core.

Inputs are the parameters of the cell tagged ``parameters``, with the type and default
``nbexec inspect`` reads (docs/parameters.md), plus the artifact inputs the user names; outputs
are the executed notebook, one output parameter per scrap, and the optional Metrics, HTML,
artifact, status and error outputs. Nothing here imports kfp.
"""

from __future__ import annotations

import json
import keyword
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Union

from nbexec import _core
from nbexec.exceptions import ParameterError
from nbexec.kfp import discovery, values

#: Name of the executed-notebook output artifact.
NOTEBOOK_OUTPUT = "executed_notebook"
METRICS_OUTPUT = "metrics"
HTML_OUTPUT = "html"
STATUS_OUTPUT = "status"
ERROR_OUTPUT = "error"
#: Artifact classes of kfp.dsl an artifact input or output may use (by class name).
ARTIFACT_TYPES = ("Artifact", "Dataset", "Model", "Metrics", "HTML", "Markdown",
                  "ClassificationMetrics", "SlicedClassificationMetrics")
ON_FAILURE = ("fail", "succeed")
#: Names the generated function uses itself.
_RESERVED_PREFIX = "_nbexec"

_NO_DEFAULT = object()


@dataclass(frozen=True)
class Parameter:
    """One input parameter of the op: a notebook parameter."""

    name: str
    type: str                   # one of values.TYPES
    default: Any = _NO_DEFAULT  # a JSON value of `type`, or _NO_DEFAULT
    description: str = ""
    kind: str = "unknown"       # nbexec's kind, as read from the notebook
    none_default: bool = False  # the notebook's default is None (None/NULL/nothing)

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT

    @property
    def optional(self) -> bool:
        """No default: the input may be left out, and the notebook keeps its own default."""
        return not self.has_default


@dataclass
class Interface:
    """Everything the component builder and the runtime need to know about one notebook op."""

    name: str
    description: str
    notebook_name: str
    notebook_text: str
    kernel_name: str
    language: str
    parameters: list[Parameter]
    artifact_inputs: dict[str, str] = field(default_factory=dict)   # name -> artifact class
    artifact_outputs: dict[str, str] = field(default_factory=dict)
    scraps: dict[str, str] = field(default_factory=dict)            # name -> type
    metrics: bool = False
    html: bool = False
    on_failure: str = "fail"
    # Check constant arguments when the pipeline is built (and run the step strict).
    strict_parameters: bool = True

    def parameter(self, name: str) -> Optional[Parameter]:
        for p in self.parameters:
            if p.name == name:
                return p
        return None

    @property
    def status_outputs(self) -> bool:
        return self.on_failure == "succeed"

    def output_names(self) -> list[str]:
        names = [NOTEBOOK_OUTPUT, *self.scraps]
        if self.metrics:
            names.append(METRICS_OUTPUT)
        if self.html:
            names.append(HTML_OUTPUT)
        names.extend(self.artifact_outputs)
        if self.status_outputs:
            names += [STATUS_OUTPUT, ERROR_OUTPUT]
        return names


def component_name(notebook_path: str) -> str:
    """``notebooks/Flights Model.ipynb`` -> ``flights_model``."""
    stem = os.path.splitext(os.path.basename(notebook_path))[0]
    name = re.sub(r"\W+", "_", stem, flags=re.ASCII).strip("_").lower() or "notebook"
    return "nb_" + name if name[0].isdigit() else name


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    return True


def _parameter(found: Mapping[str, Any], override: Optional[str]) -> Parameter:
    name = found["name"]
    kind = found["kind"]
    notebook_type = values.KIND_TO_TYPE.get(kind)
    if override is not None and notebook_type is not None and override != notebook_type:
        raise ParameterError(
            f"parameter_types[{name!r}] = {override}, but the notebook's parameters cell makes "
            f"{name!r} a {notebook_type} ({found['inferred_type_name']} = {found['default']}); "
            "parameter_types is for parameters whose type nbexec cannot read")
    # A parameter of unknown type (a None default, a call) is a str input unless told
    # otherwise: the text is injected as a string.
    type_ = override or notebook_type or "str"
    default: Any = _NO_DEFAULT
    if "default_value" in found:
        value = found["default_value"]
        if value is not None and _finite(value) and values.fits(value, type_):
            default = values.normalize(value, type_)
    none_default = "default_value" in found and found["default_value"] is None
    return Parameter(name=name, type=type_, default=default, description=found.get("help") or "",
                     kind=kind, none_default=none_default)


def _artifact_map(spec: Union[None, Iterable[str], Mapping[str, Any]], what: str) -> dict[str, str]:
    if spec is None:
        return {}
    items = spec.items() if isinstance(spec, Mapping) else ((n, "Artifact") for n in spec)
    result = {}
    for name, artifact in items:
        cls = artifact if isinstance(artifact, str) else getattr(artifact, "__name__", "")
        module = "" if isinstance(artifact, str) else getattr(artifact, "__module__", "")
        if cls not in ARTIFACT_TYPES or (module and not module.startswith("kfp.")):
            raise TypeError(f"{what}[{name!r}] must be one of kfp.dsl's artifact types "
                            f"({', '.join(ARTIFACT_TYPES)}); got {artifact!r}")
        result[name] = cls
    return result


def _check_name(name: str, what: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name) or not name.isascii():
        raise ParameterError(f"{what} {name!r} cannot be a KFP input or output name: it must "
                             "be an ASCII Python identifier that is not a keyword")
    if name.startswith(_RESERVED_PREFIX):
        raise ParameterError(f"{what} {name!r}: names starting with {_RESERVED_PREFIX!r} are "
                             "reserved by nbexec.kfp")


def read_interface(
    notebook_path: Union[str, "os.PathLike[str]"],
    *,
    name: Optional[str] = None,
    description: Optional[str] = None,
    kernel_name: Optional[str] = None,
    language: Optional[str] = None,
    scraps: Optional[Mapping[str, Any]] = None,
    discover_scraps: bool = True,
    parameter_types: Optional[Mapping[str, Any]] = None,
    artifact_inputs: Union[None, Iterable[str], Mapping[str, Any]] = None,
    artifact_outputs: Union[None, Iterable[str], Mapping[str, Any]] = None,
    metrics: bool = False,
    html: bool = False,
    on_failure: str = "fail",
) -> Interface:
    """Reads the notebook and builds the op's interface; raises ParameterError (or TypeError
    for a wrong option type) for anything KFP or nbexec would refuse later."""
    path = os.fspath(notebook_path)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    # A notebook without a parameters cell is an op without parameter inputs.
    found = _core.inspect_notebook_text(text, kernel_name or "", language or "")
    notebook = json.loads(text)
    if on_failure not in ON_FAILURE:
        raise ValueError(f"on_failure must be 'fail' or 'succeed', not {on_failure!r}")

    overrides = {k: values.type_name(v, f"parameter_types[{k!r}]")
                 for k, v in (parameter_types or {}).items()}
    by_name = {p["name"]: p for p in found["parameters"]}
    for key in overrides:
        if key not in by_name:
            raise ParameterError(f"parameter_types names {key!r}, which the notebook's "
                                 f"parameters cell does not define")

    art_in = _artifact_map(artifact_inputs, "artifact_inputs")
    art_out = _artifact_map(artifact_outputs, "artifact_outputs")
    for what, names in (("artifact_inputs", art_in), ("artifact_outputs", art_out)):
        for art in names:
            p = by_name.get(art)
            if p is None:
                raise ParameterError(
                    f"{what} names {art!r}, which the notebook's parameters cell does not "
                    "define; the notebook receives the artifact's local path in that parameter")
            if values.KIND_TO_TYPE.get(p["kind"], "str") != "str":
                raise ParameterError(
                    f"{what} names {art!r}, a {values.KIND_TO_TYPE[p['kind']]} parameter; it must "
                    "be a str (the artifact's local path is injected)")
    both = set(art_in) & set(art_out)
    if both:
        raise ParameterError(f"{sorted(both)} named both as artifact input and output")

    parameters = []
    for p in found["parameters"]:
        if p["name"] in art_in or p["name"] in art_out:
            continue
        parameters.append(_parameter(p, overrides.get(p["name"])))

    declared = {k: values.type_name(v, f"scraps[{k!r}]") for k, v in (scraps or {}).items()}
    all_scraps: dict[str, str] = {}
    if discover_scraps and (found.get("language") or "python") == "python":
        taken = set(by_name) | set(art_out) | {NOTEBOOK_OUTPUT}
        taken |= {METRICS_OUTPUT} if metrics else set()
        taken |= {HTML_OUTPUT} if html else set()
        taken |= {STATUS_OUTPUT, ERROR_OUTPUT} if on_failure == "succeed" else set()
        for scrap, kind in discovery.notebook_scraps(notebook).items():
            if scrap in taken and scrap not in declared:
                warnings.warn(f"{os.path.basename(path)} records a scrap named {scrap!r}, the "
                              "name of a parameter or output of the op; it is not made an "
                              "output (KFP needs distinct names)", stacklevel=3)
                continue
            all_scraps[scrap] = declared.get(scrap, kind or "str")
    for scrap, kind in declared.items():
        all_scraps[scrap] = kind

    iface = Interface(
        name=name or component_name(path),
        description=description or f"Runs the notebook {os.path.basename(path)} with nbexec.",
        notebook_name=os.path.basename(path),
        notebook_text=text,
        kernel_name=kernel_name or "",
        language=language or "",
        parameters=parameters,
        artifact_inputs=art_in,
        artifact_outputs=art_out,
        scraps=all_scraps,
        metrics=metrics,
        html=html,
        on_failure=on_failure,
    )
    _check_names(iface)
    return iface


def _check_names(iface: Interface) -> None:
    if not iface.name.isidentifier() or keyword.iskeyword(iface.name):
        raise ValueError(f"name {iface.name!r} must be a Python identifier")
    seen: dict[str, str] = {}
    entries = [(p.name, "parameter") for p in iface.parameters]
    entries += [(n, "artifact input") for n in iface.artifact_inputs]
    entries += [(n, "scrap") for n in iface.scraps]
    entries += [(n, "artifact output") for n in iface.artifact_outputs]
    fixed = [NOTEBOOK_OUTPUT]
    if iface.metrics:
        fixed.append(METRICS_OUTPUT)
    if iface.html:
        fixed.append(HTML_OUTPUT)
    if iface.status_outputs:
        fixed += [STATUS_OUTPUT, ERROR_OUTPUT]
    entries += [(n, "output") for n in fixed]
    for entry, what in entries:
        _check_name(entry, what)
        if entry in seen:
            raise ParameterError(
                f"{what} {entry!r} has the name of the op's {seen[entry]} {entry!r}: KFP needs "
                "distinct input and output names (rename the scrap or the parameter)")
        seen[entry] = what
