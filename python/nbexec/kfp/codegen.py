"""Python source of the function that defines a notebook op's KFP interface.

KFP reads a component's inputs and outputs from a function signature. Both forms of a notebook
op are built from one generated signature, so their interfaces are identical:

    def train(executed_notebook: Output[Artifact], accuracy: OutputPath(float),
              alpha: float = 0.5, epochs: int = 10, n: int = None):
        '''Runs the notebook train.ipynb with nbexec.

        Args:
            alpha: learning rate
            ...
        '''
        <body>

Order: artifact inputs, then outputs (neither has a default), then the notebook's parameters
(each has its default, or None when it may be left out). The container form's body returns
the ContainerSpec; the lightweight form's body calls :func:`nbexec.kfp.step.run_lightweight`.
The function is compiled under a made-up file name registered in :mod:`linecache`, so
``inspect.getsource`` (which ``kfp.dsl.component`` needs) finds it.
"""

from __future__ import annotations

import itertools
import linecache
from typing import Any, Callable

from nbexec.kfp import interface as iface_mod
from nbexec.kfp.interface import Interface

_counter = itertools.count(1)


def arguments(iface: Interface) -> list[tuple[str, str, str | None]]:
    """``(name, annotation source, default source or None)`` in signature order."""
    args: list[tuple[str, str, str | None]] = []
    for name, cls in iface.artifact_inputs.items():
        args.append((name, f"Input[{cls}]", None))
    args.append((iface_mod.NOTEBOOK_OUTPUT, "Output[Artifact]", None))
    for name, type_ in iface.scraps.items():
        args.append((name, f"OutputPath({type_})", None))
    if iface.metrics:
        args.append((iface_mod.METRICS_OUTPUT, "Output[Metrics]", None))
    if iface.html:
        args.append((iface_mod.HTML_OUTPUT, "Output[HTML]", None))
    for name, cls in iface.artifact_outputs.items():
        args.append((name, f"Output[{cls}]", None))
    if iface.status_outputs:
        args.append((iface_mod.STATUS_OUTPUT, "OutputPath(str)", None))
        args.append((iface_mod.ERROR_OUTPUT, "OutputPath(str)", None))
    for p in iface.parameters:
        args.append((p.name, p.type, repr(p.default) if p.has_default else "None"))
    return args


def docstring(iface: Interface) -> str:
    """Google style, which KFP reads into the IR's descriptions."""
    lines = [iface.description, "", "Args:"]
    described = {p.name: p.description for p in iface.parameters}
    for name in iface.artifact_inputs:
        described[name] = f"input artifact; the notebook's parameter {name} gets its local path"
    described[iface_mod.NOTEBOOK_OUTPUT] = f"the executed notebook ({iface.notebook_name})"
    for name in iface.scraps:
        described[name] = f"the value the notebook records as scrap {name!r}"
    if iface.metrics:
        described[iface_mod.METRICS_OUTPUT] = "the numeric scraps"
    if iface.html:
        described[iface_mod.HTML_OUTPUT] = "the executed notebook as HTML"
    for name in iface.artifact_outputs:
        described[name] = f"output artifact; the notebook's parameter {name} gets the path to write"
    if iface.status_outputs:
        described[iface_mod.STATUS_OUTPUT] = ("completed, failed, timeout, kernel_died, "
                                              "interrupted, error or scrap_error")
        described[iface_mod.ERROR_OUTPUT] = "what went wrong; empty when completed"
    for name, _, _ in arguments(iface):
        text = " ".join((described.get(name) or "").split())
        lines.append(f"    {name}: {text}" if text else f"    {name}:")
    return "\n".join(lines)


def source(iface: Interface, body: list[str]) -> str:
    params = []
    for name, annotation, default in arguments(iface):
        params.append(f"{name}: {annotation}" + (f" = {default}" if default is not None else ""))
    lines = [f"def {iface.name}(", *[f"    {p}," for p in params], "):",
             f"    {docstring(iface)!r}", *[f"    {line}" for line in body]]
    return "\n".join(lines) + "\n"


def argument_names(iface: Interface) -> list[str]:
    return [name for name, _, _ in arguments(iface)]


def compile_function(text: str, name: str, namespace: dict[str, Any]) -> Callable:
    """Defines the function ``name`` from ``text`` and makes its source findable."""
    filename = f"<nbexec.kfp {name} #{next(_counter)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    exec(compile(text, filename, "exec", dont_inherit=True), namespace)
    return namespace[name]
