"""Whether the op runs under kfp.local's SubprocessRunner, which runs only lightweight Python
components (kfp 2.17: ``SubprocessTaskHandler`` refuses a command without
``kfp.dsl.executor_main``), and what that runner cannot do."""

from __future__ import annotations

from typing import Any, Mapping

from nbexec.exceptions import ParameterError
from nbexec.kfp.interface import Interface


def subprocess_runner_active() -> bool:
    try:
        from kfp.local import config
    except ImportError:
        return False
    instance = config.LocalExecutionConfig.instance
    return instance is not None and isinstance(instance.runner, config.SubprocessRunner)


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
