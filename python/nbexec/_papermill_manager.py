"""papermill's NotebookExecutionManager with its per-cell saves paced (imports papermill).

papermill's manager rewrites the whole output notebook in ``cell_start`` and again in
``cell_complete``: for n cells that is 2n serializations of a notebook that grows with every
cell, O(n^2) bytes. Here the two cell hooks save only once the notebook has grown to twice the
bytes written so far (the rule of nbexec's own ProgressiveSaver, src/run/progressive_saver.hpp),
so the sizes saved grow geometrically and their sum stays below about 1.5x the final size.
Everything else saves as papermill's does: ``notebook_start``, ``notebook_complete`` (the final
save), ``autosave_cell`` (papermill's time-based save, with its back-off) and, at once, the
``cell_complete`` of a cell that raised.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from papermill.engines import NotebookExecutionManager

# papermill's metadata for one cell grows by its timestamps and duration when the cell runs.
_CELL_METADATA_GROWTH = 128


def estimated_size(value: Any) -> int:
    """A cheap estimate of the bytes ``value`` takes in a notebook file (string and key lengths
    plus a little punctuation per value), the one nbexec's C++ saver paces on."""
    if isinstance(value, str):
        return len(value) + 4
    if isinstance(value, dict):
        return 4 + sum(len(key) + 6 + estimated_size(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return 4 + sum(2 + estimated_size(item) for item in value)
    return 8


class PacedExecutionManager(NotebookExecutionManager):
    """Saves in ``cell_start``/``cell_complete`` only when the notebook has doubled against
    everything written so far; ``saves`` and ``bytes_estimated`` count what was written."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.saves = 0
        self.bytes_estimated = 0  # estimated bytes of all saves so far
        self._size = 0            # estimated bytes of the notebook now
        self._pacing = False      # inside a cell hook: save only when due
        self._failed = False      # the cell being completed raised: save it at once

    def note_growth(self, value: Any) -> None:
        """Counts what the notebook gained (an output appended to a cell)."""
        self._size += estimated_size(value)

    def save(self, **kwargs):
        if self._pacing and self._size < 2 * self.bytes_estimated:
            return
        super().save(**kwargs)
        if self.output_path:
            self.saves += 1
            self.bytes_estimated += self._size

    @contextmanager
    def _paced(self):
        self._pacing = not self._failed
        try:
            yield
        finally:
            self._pacing = False
            self._failed = False

    def notebook_start(self, **kwargs):
        # The start save writes the notebook as it is after papermill reset it: measure it once.
        self._size = estimated_size(kwargs.get("nb") or self.nb)
        super().notebook_start(**kwargs)

    def cell_start(self, cell, cell_index=None, **kwargs):
        with self._paced():
            super().cell_start(cell, cell_index, **kwargs)

    def cell_exception(self, cell, cell_index=None, **kwargs):
        super().cell_exception(cell, cell_index, **kwargs)
        self._failed = True

    def cell_complete(self, cell, cell_index=None, **kwargs):
        self._size += _CELL_METADATA_GROWTH
        with self._paced():
            super().cell_complete(cell, cell_index, **kwargs)
