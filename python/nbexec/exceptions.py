"""Exceptions raised by nbexec.

The C++ core's error classes are re-exported; ExecutionError is defined here because it carries
papermill's fields (PapermillExecutionError) for scripts that read them.
"""

from nbexec._core import (
    Error,
    KernelDiedError,
    KernelError,
    KernelNotFoundError,
    NotebookError,
    ParameterError,
    ProtocolError,
    TimeoutError,
    UsageError,
)


class ExecutionError(Error):
    """A cell raised while the notebook ran; the output notebook holds the error output.

    Attributes match papermill's PapermillExecutionError: ``cell_index``, ``exec_count``,
    ``source``, ``ename``, ``evalue`` and ``traceback`` (a list of lines, ANSI codes kept).
    """

    def __init__(self, cell_index, exec_count, source, ename, evalue, traceback):
        self.cell_index = cell_index
        self.exec_count = exec_count
        self.source = source
        self.ename = ename
        self.evalue = evalue
        self.traceback = traceback
        where = f"In [{exec_count}]" if exec_count is not None else f"cell {cell_index}"
        super().__init__(f"An error occurred while executing {where}: {ename}: {evalue}")

    def __reduce__(self):
        return (
            type(self),
            (self.cell_index, self.exec_count, self.source, self.ename, self.evalue,
             self.traceback),
        )


# papermill's names, so that ``import nbexec as pm`` keeps ``except pm.PapermillExecutionError``
# working.
PapermillExecutionError = ExecutionError
PapermillException = Error

__all__ = [
    "Error",
    "ExecutionError",
    "KernelDiedError",
    "KernelError",
    "KernelNotFoundError",
    "NotebookError",
    "PapermillException",
    "PapermillExecutionError",
    "ParameterError",
    "ProtocolError",
    "TimeoutError",
    "UsageError",
]
