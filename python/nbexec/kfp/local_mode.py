"""Whether the op runs under kfp.local's SubprocessRunner, which runs only lightweight Python
components (kfp 2.17: ``SubprocessTaskHandler`` refuses a command without
``kfp.dsl.executor_main``), and what that runner cannot do.

The lightweight form exists only for kfp.local. Two things keep it out of a cluster:
:func:`container_forms` (used by :func:`nbexec.kfp.compile_pipeline`) makes every op traced
inside it take the container form whatever kfp.local's state, and :func:`local_only` makes a
lightweight step that reaches a KFP pod anyway stop at once with a message saying how to
compile instead of failing later on a missing ``kfp`` module.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator, Mapping

from nbexec.exceptions import ParameterError
from nbexec.kfp.interface import Interface

#: Text every lightweight nbexec step's command carries: how a compiled pipeline spec is
#: searched for steps that must not reach a cluster.
LOCAL_ONLY_MARK = "nbexec-kfp-local-form"

# A KFP pod's executor has KFP_POD_NAME (set by the KFP backend from the downward API);
# kfp.local's subprocesses and a Kubeflow notebook server do not.
_GUARD = (
    f'# {LOCAL_ONLY_MARK}\n'
    'if [ -n "${KFP_POD_NAME:-}" ]; then\n'
    '  echo "nbexec: this step is the kfp.local form of a notebook op, compiled while'
    ' kfp.local was initialised; compile the pipeline with nbexec.kfp.compile_pipeline'
    ' (docs/kfp.md) to get the container form a cluster runs" >&2\n'
    '  exit 2\n'
    'fi\n'
)

_forced = threading.local()


def subprocess_runner_active() -> bool:
    if getattr(_forced, "container", False):
        return False
    try:
        from kfp.local import config
    except ImportError:
        return False
    instance = config.LocalExecutionConfig.instance
    return instance is not None and isinstance(instance.runner, config.SubprocessRunner)


@contextlib.contextmanager
def container_forms() -> Iterator[None]:
    """Ops called inside take their container form, whatever kfp.local's state."""
    previous = getattr(_forced, "container", False)
    _forced.container = True
    try:
        yield
    finally:
        _forced.container = previous


def local_only(component: Any) -> Any:
    """Puts the pod guard in front of a lightweight component's shell command (in place)."""
    command = component.component_spec.implementation.container.command
    for i, part in enumerate(command[:-1]):
        if part in ("-c", "-ec") and command[i - 1] == "sh":
            command[i + 1] = _GUARD + command[i + 1]
            return component
    raise RuntimeError(f"unexpected lightweight command from kfp: {command[:3]!r}")


def check_local(iface: Interface, kwargs: Mapping[str, Any]) -> None:
    """kfp.local (2.17) casts every int input with ``int()`` before it runs a task, so an
    optional int input left unset fails inside kfp with ``int(None)``; say so instead."""
    missing = [p.name for p in iface.parameters
               if p.optional and p.type == "int" and p.name not in kwargs]
    if missing:
        raise ParameterError(
            f"{iface.name}: kfp.local cannot leave the optional int input(s) "
            f"{', '.join(missing)} unset (it casts every int input with int(), None included); "
            "pass a value when running locally")
