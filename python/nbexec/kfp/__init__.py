"""Kubeflow Pipelines (v2) components that run notebooks with nbexec, typed from the notebook.

    from nbexec.kfp import notebook_component

    train = notebook_component("train.ipynb", image="registry/nbexec-runner:1",
                               scraps={"accuracy": float}, metrics=True)

The builder needs kfp (``pip install "kfp>=2.15"``); the step's runtime inside the image
(``python3 -m nbexec.kfp.entrypoint``) does not, so this package imports kfp only when a
builder is used. See docs/kfp.md.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "notebook_component": "nbexec.kfp.component",
    "NotebookComponent": "nbexec.kfp.component",
    "NotebookPythonComponent": "nbexec.kfp.component",
    "read_interface": "nbexec.kfp.interface",
    "find_scraps": "nbexec.kfp.discovery",
    "compile_pipeline": "nbexec.kfp.compiling",
    "container_form": "nbexec.kfp.compiling",
    "notebook_sweep": "nbexec.kfp.sweep",
    "NotebookSweep": "nbexec.kfp.sweep",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbexec.kfp' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
