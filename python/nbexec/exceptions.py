"""Exceptions raised by nbexec.

The C++ core's error classes are re-exported; ExecutionError is defined here because it carries
papermill's fields (PapermillExecutionError) for scripts that read them.
"""

import re
import sys

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


# ansicolors' strip_color, which papermill's message uses: SGR sequences and erase-line.
_COLOR = re.compile(r"\x1b\[(K|.*?m)")


class ExecutionError(Error):
    """A cell raised while the notebook ran; the output notebook holds the error output.

    Attributes match papermill's PapermillExecutionError: ``cell_index``, ``exec_count``,
    ``source``, ``ename``, ``evalue`` and ``traceback`` (a list of lines, ANSI codes kept);
    so do ``args`` (the six of them) and ``str()``: a rule of dashes, ``Exception encountered
    at "In [N]":`` and the traceback without colours.

    When papermill is imported in the process, the error nbexec raises is also an instance of
    ``papermill.exceptions.PapermillExecutionError`` (see :func:`execution_error`).
    """

    def __init__(self, cell_index, exec_count, source, ename, evalue, traceback):
        self.cell_index = cell_index
        self.exec_count = exec_count
        self.source = source
        self.ename = ename
        self.evalue = evalue
        self.traceback = traceback
        super().__init__(cell_index, exec_count, source, ename, evalue, traceback)

    def __str__(self):
        message = f"\n{75 * '-'}\n"
        message += f'Exception encountered at "In [{self.exec_count}]":\n'
        message += _COLOR.sub("", "\n".join(self.traceback))
        return message + "\n"

    def __reduce__(self):
        return (execution_error, (self.cell_index, self.exec_count, self.source, self.ename,
                                  self.evalue, self.traceback))


_papermill_flavours: dict = {}


def execution_error(cell_index, exec_count, source, ename, evalue, traceback) -> ExecutionError:
    """The ExecutionError to raise for a failed cell.

    Code that moved to nbexec may still say ``except papermill.exceptions.
    PapermillExecutionError``. Such code has imported papermill, so when
    ``papermill.exceptions`` is loaded the error is made of a class that derives from both
    nbexec's ExecutionError and papermill's; papermill is never imported here.
    """
    papermill = sys.modules.get("papermill.exceptions")
    base = getattr(papermill, "PapermillExecutionError", None)
    cls = ExecutionError
    if isinstance(base, type) and issubclass(base, BaseException):
        cls = _papermill_flavours.get(base)
        if cls is None:
            cls = type("PapermillExecutionError", (ExecutionError, base),
                       {"__module__": __name__, "__doc__": ExecutionError.__doc__})
            _papermill_flavours[base] = cls
    return cls(cell_index, exec_count, source, ename, evalue, traceback)


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
    "execution_error",
]
