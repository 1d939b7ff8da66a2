"""Secret parameters of a notebook op: filled in the pod from environment variables, never
from pipeline inputs, parameters files or the compiled pipeline.

``notebook_component(..., secrets={"token": "API_TOKEN"})`` makes the step run ``nbexec run
... --secret token=API_TOKEN --transport ipc``: nbexec reads the value from the pod's
environment, gives it to the kernel only, and masks it in everything it writes
(docs/security.md, "Secrets"). The environment variable is filled from a Kubernetes Secret
with kfp-kubernetes, through :func:`use_kubernetes_secret`.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Sequence

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_secrets(secrets: Optional[Mapping[str, str]]) -> dict[str, str]:
    """``{parameter name: environment variable}``, checked while the pipeline is built."""
    if not secrets:
        return {}
    if not isinstance(secrets, Mapping):
        raise TypeError("secrets takes a dict of parameter name -> environment variable name")
    checked = {}
    for name, env in secrets.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"secret name {name!r} is not a parameter name")
        if not isinstance(env, str) or not _ENV_NAME.match(env):
            raise ValueError(f"secret {name!r}: {env!r} is not an environment variable name")
        checked[name] = env
    return checked


def check_secret_parameters(secrets: Mapping[str, str], iface: Any, strict: bool) -> None:
    """Under strict checks, every secret must be a parameter of the notebook's parameters
    cell (``iface``, an :class:`nbexec.kfp.interface.Interface`)."""
    if not strict:
        return
    for secret in secrets:
        if iface.parameter(secret) is None:
            raise ValueError(f"secret {secret!r} is not a parameter of the notebook's "
                             "parameters cell (strict_parameters=False lets it through)")


def secret_run_options(secrets: Mapping[str, str], other_options: Sequence[str]) -> list[str]:
    """The ``nbexec run`` options that pass the secrets: ``--secret NAME=ENV`` each, and
    ``--transport ipc`` (secrets are refused over tcp without encryption) unless the op's
    options choose a transport themselves."""
    if not secrets:
        return []
    options: list[str] = []
    for name, env in secrets.items():
        options += ["--secret", f"{name}={env}"]
    if not any(str(o) == "--transport" or str(o).startswith("--transport=")
               for o in other_options):
        options += ["--transport", "ipc"]
    return options


def use_kubernetes_secret(task: Any, op_secrets: Mapping[str, str], secret_name: str,
                          keys: Mapping[str, str]) -> Any:
    """Fills the op's secret parameters from keys of Kubernetes Secret ``secret_name``:
    ``keys`` maps a secret parameter of the op to the key in the Secret. Calls kfp-kubernetes'
    ``use_secret_as_env`` with the environment variables the op reads; returns the task."""
    try:
        from kfp import kubernetes
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("Kubernetes Secrets need kfp-kubernetes "
                          "(pip install kfp-kubernetes)") from exc
    unknown = sorted(set(keys) - set(op_secrets))
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not a secret of this op (its secrets: "
                         f"{', '.join(sorted(op_secrets)) or 'none'})")
    return kubernetes.use_secret_as_env(
        task, secret_name=secret_name,
        secret_key_to_env={key: op_secrets[name] for name, key in keys.items()})
