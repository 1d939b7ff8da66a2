"""A papermill engine that runs the cells on nbexec's C++ engine.

Installing nbexec registers it through papermill's ``papermill.engine`` entry point, so
papermill's own front picks it by name::

    papermill in.ipynb out.ipynb -p alpha 0.5 --engine nbexec
    papermill.execute_notebook("in.ipynb", "out.ipynb", engine_name="nbexec")

papermill still reads, parameterizes, records its metadata and writes the notebook; only the
execution moves to nbexec (docs/papermill-engine.md).

This module does not import papermill until ``NBExecEngine`` is asked for, so ``import nbexec``
stays free of papermill, and the engine resolves whichever of nbexec and papermill is imported
first: papermill loads its entry points while ``papermill.engines`` is still being imported,
and a class body that imported papermill at module level would then find itself half-built.
"""

from __future__ import annotations

import importlib
from typing import Any


def __dir__() -> list[str]:
    return ["NBExecEngine"]


def __getattr__(name: str) -> Any:
    if name != "NBExecEngine":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # papermill.engines first: when it is not imported yet, importing it loads this very
    # entry point again, which must then find papermill's Engine class already defined.
    importlib.import_module("papermill.engines")
    return importlib.import_module("nbexec._papermill_engine").NBExecEngine
