"""execute_notebook's progress bar: papermill's tqdm bar, driven by the run's events."""

from __future__ import annotations

from typing import Any, Optional, Union

ProgressBarSpec = Union[bool, dict]


def check_spec(progress_bar: Any) -> None:
    """papermill's rule: a truthy progress_bar must be a bool or a dict of tqdm arguments."""
    if progress_bar and not isinstance(progress_bar, (bool, dict)):
        raise TypeError("progress_bar must be instance of bool or dict, but actual type "
                        f"'{type(progress_bar)}'.")


class ProgressBar:
    """A ``tqdm.auto`` bar over the notebook's cells, as papermill shows it: ``total`` is every
    cell, the bar moves as cells end, and ``papermill_description=...`` in a cell's source
    becomes the bar's description while it runs. Without tqdm installed it does nothing."""

    # The run events (docs/events.md) the bar follows.
    EVENTS = ("run_start", "cell_start", "cell_end")

    def __init__(self, spec: ProgressBarSpec):
        check_spec(spec)
        self._options = {"unit": "cell", "desc": "Executing"}
        if isinstance(spec, dict):
            self._options.update(spec)
        self._bar: Optional[Any] = None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self._tqdm = None
        else:
            self._tqdm = tqdm

    @classmethod
    def create(cls, spec: ProgressBarSpec) -> Optional["ProgressBar"]:
        """A bar when ``spec`` is truthy and tqdm is importable, else None."""
        check_spec(spec)
        if not spec:
            return None
        bar = cls(spec)
        return bar if bar._tqdm is not None else None

    def event(self, event: dict) -> None:
        """Follows one run event."""
        kind = event.get("event")
        if kind == "run_start":
            self.close()
            self._bar = self._tqdm(total=int(event.get("cells", 0)), **self._options)
        elif self._bar is None:
            return
        elif kind == "cell_start" and event.get("description"):
            self._bar.set_description(f"Executing {event['description']}")
        elif kind == "cell_end":
            done = int(event.get("cell_index", 0)) + 1
            if done > self._bar.n:
                self._bar.update(done - self._bar.n)

    def close(self, completed: bool = False) -> None:
        """Closes the bar; a completed run fills it (cells after the last code cell)."""
        if self._bar is None:
            return
        if completed and self._bar.total and self._bar.n < self._bar.total:
            self._bar.update(self._bar.total - self._bar.n)
        self._bar.close()
        self._bar = None
