"""Arguments of a notebook op checked when the pipeline is built, by nbexec's C++ core.

Calling an op in a pipeline function (which ``@dsl.pipeline`` does when it decorates) checks
every constant argument against the notebook's parameters cell with the same function
``nbexec run`` uses before it starts a kernel (``check_parameters``, docs/parameters.md):
a name the cell does not define, or a value whose type contradicts the cell, raises
``nbexec.ParameterError`` naming the op, before anything is compiled or submitted. Arguments
that are pipeline channels (another task's output, a pipeline parameter) are typed by KFP,
which checks them against the op's input types itself.

An op built with ``strict_parameters=False`` skips nbexec's check; KFP still refuses names
the op has no input for, and values its input types refuse.
"""

from __future__ import annotations

from typing import Any, Mapping

from nbexec import _core
from nbexec.exceptions import ParameterError
from nbexec.kfp import values
from nbexec.kfp.interface import Interface


def _is_channel(value: Any) -> bool:
    # PipelineChannel and anything else of kfp.dsl (tasks, artifacts) is KFP's to check.
    module = type(value).__module__ or ""
    return module.startswith("kfp.")


def check_arguments(iface: Interface, args: tuple, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Raises ParameterError naming every problem; returns the arguments to give KFP (a None
    for a parameter whose notebook default is None is left out: KFP has no None constants,
    and the notebook keeps its None)."""
    if args:
        raise TypeError(f"{iface.name}() takes keyword arguments only (KFP components do)")
    constants: dict[str, Any] = {}
    messages = []
    passed: dict[str, Any] = {}
    for name, value in kwargs.items():
        parameter = iface.parameter(name)
        if name in iface.artifact_inputs:
            passed[name] = value
        elif name in iface.artifact_outputs:
            messages.append(f"parameter {name!r} receives the path of the op's output "
                            f"artifact {name!r} and cannot be given")
        elif parameter is not None:
            if _is_channel(value):
                passed[name] = value
                continue
            constants[name] = value
            if value is None:
                if not parameter.none_default:
                    messages.append(f"parameter {name!r}: KFP cannot pass None; leave it out "
                                    "to keep the notebook's default")
                continue
            # An int for a float input (nbexec's rule) is a float for KFP, which refuses ints
            # there; a tuple is a list.
            passed[name] = values.normalize(value, parameter.type) \
                if values.fits(value, parameter.type) else value
        else:
            # Unknown to the op: the core names it along with the cell's own parameters
            # (it does not look at the value of an unknown name).
            constants[name] = None if _is_channel(value) else value
            passed[name] = value  # KFP refuses it too, if the core does not
    if constants and iface.strict_parameters:
        try:
            problems = _core.check_parameters_text(iface.notebook_text, constants,
                                                   iface.kernel_name, iface.language)
        except TypeError as exc:
            raise ParameterError(f"{iface.name}: {exc}") from None
        messages = [problem["message"] for problem in problems] + messages
    if messages:
        raise ParameterError(f"{iface.name} ({iface.notebook_name}): " + "; ".join(messages))
    return passed
