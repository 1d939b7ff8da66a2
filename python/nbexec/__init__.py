"""nbexec: run Jupyter notebooks as pipeline steps, with a C++ engine.

The API follows papermill's, so existing scripts work after changing the import::

    import nbexec
    nb = nbexec.execute_notebook("in.ipynb", "out.ipynb", parameters={"alpha": 0.5})
"""

from nbexec._core import __version__
from nbexec.exceptions import (
    Error,
    ExecutionError,
    KernelDiedError,
    KernelError,
    KernelNotFoundError,
    NotebookError,
    PapermillException,
    PapermillExecutionError,
    ParameterError,
    ProtocolError,
    TimeoutError,
    UsageError,
)
from nbexec.execute import execute_notebook, list_kernelspecs
from nbexec.pool import KernelPool
from nbexec.render import render
from nbexec.sweeps import SweepRecord, sweep
from nbexec.scraps import read_scraps, record
from nbexec.translators import (
    Translator,
    register_translator,
    render_parameters,
    translator_names,
)
from nbexec.parameters import (
    check_parameters,
    inspect_notebook,
    merge_parameters,
    notebook_parameters,
    parameters_schema,
    validate_parameters,
)

__all__ = [
    "__version__",
    "Error",
    "ExecutionError",
    "KernelDiedError",
    "KernelError",
    "KernelNotFoundError",
    "KernelPool",
    "NotebookError",
    "PapermillException",
    "PapermillExecutionError",
    "ParameterError",
    "ProtocolError",
    "SweepRecord",
    "TimeoutError",
    "Translator",
    "UsageError",
    "check_parameters",
    "execute_notebook",
    "inspect_notebook",
    "list_kernelspecs",
    "merge_parameters",
    "notebook_parameters",
    "parameters_schema",
    "read_scraps",
    "record",
    "register_translator",
    "render",
    "render_parameters",
    "sweep",
    "translator_names",
    "validate_parameters",
]
