"""Staging for paths the C++ core cannot use directly.

The core reads and writes local files. A remote input or output (``s3://``, ``memory://``, ...)
or an input given as a notebook object is staged through a temporary folder: the input is
written or downloaded there, the output is written there and published to its real place at
every save and at the end, with ``metadata.papermill.input_path``/``output_path`` naming the
real paths, as papermill records them.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from typing import Any, Optional

from nbexec import _core, remote

logger = logging.getLogger("nbexec")


class Staging:
    """Where the core reads and writes when a path is not a plain local file: a remote input
    or output, or an input given as a notebook object. The core works on local files in a
    temporary folder; every save of the output is published to its real place, with
    ``metadata.papermill.input_path``/``output_path`` naming the real paths, as papermill
    records them."""

    def __init__(self):
        self.folder: Optional[str] = None
        self.local_input: Optional[str] = None
        self.local_output: Optional[str] = None
        self.recorded_input: Optional[str] = None
        self.recorded_output: Optional[str] = None
        self.target: Optional[str] = None
        self._published: Optional[tuple[int, int, int]] = None

    def temp_folder(self) -> str:
        if self.folder is None:
            self.folder = tempfile.mkdtemp(prefix="nbexec-")
        return self.folder

    @property
    def active(self) -> bool:
        return self.folder is not None

    def patch_notebook(self, nb: dict) -> dict:
        """The notebook (a dict) with the real paths in metadata.papermill, changed in place."""
        papermill = nb.get("metadata", {}).get("papermill")
        if isinstance(papermill, dict):
            papermill["input_path"] = self.recorded_input
            papermill["output_path"] = self.recorded_output
        return nb

    def patch(self, text: str) -> str:
        """The notebook text with the real paths in metadata.papermill."""
        nb = json.loads(text)
        if not isinstance(nb.get("metadata", {}).get("papermill"), dict):
            return text
        nb = self.patch_notebook(nb)
        return _core.roundtrip_notebook_text(json.dumps(nb, ensure_ascii=False))

    def publish(self) -> None:
        """Copies the local output to its target if it changed since the last copy."""
        if not self.target or not self.local_output or not os.path.exists(self.local_output):
            return
        stat = os.stat(self.local_output)
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if key == self._published:
            return
        with open(self.local_output, encoding="utf-8") as handle:
            text = self.patch(handle.read())
        remote.write_text(self.target, text)
        self._published = key

    def publish_on_save(self) -> None:
        """Called on every save of the run: a failed upload is retried at the next save and at
        the end, where a failure raises."""
        try:
            self.publish()
        except Exception as error:  # noqa: BLE001 - logged, retried at the end
            logger.warning("could not write %s (retried at the next save): %s", self.target, error)

    def unstage_message(self, message: str) -> str:
        """An error message naming the real paths instead of the temporary ones."""
        for local, real in ((self.local_input, self.recorded_input),
                            (self.local_output, self.recorded_output)):
            if local and real:
                message = message.replace(local, real)
        return message

    def cleanup(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def fill(path: str, parameters: Optional[Mapping[str, Any]], what: str) -> str:
    return _core.parameterize_path(path, dict(parameters or {}), what)


def stage_input(stage: Staging, input_path, parameters) -> None:
    if isinstance(input_path, Mapping):
        stage.local_input = os.path.join(stage.temp_folder(), "input.ipynb")
        with open(stage.local_input, "w", encoding="utf-8") as handle:
            json.dump(input_path, handle, ensure_ascii=False)
        stage.recorded_input = None  # papermill records the object itself; nbexec writes null
        return
    url = fill(input_path, parameters, "input path")
    stage.recorded_input = url
    stage.local_input = remote.download(url, stage.temp_folder())


def stage_paths(input_path, output_path, parameters) -> tuple[Staging, str, str]:
    """The staging for a run and the local input and output paths the core gets."""
    stage = Staging()
    if isinstance(input_path, Mapping) or remote.is_remote(input_path):
        stage_input(stage, input_path, parameters)
        core_input = stage.local_input
    else:
        core_input = remote.local_path(input_path)
    out = os.fspath(output_path) if output_path else ""
    stage.recorded_output = out or None
    if out and out != "-" and (stage.active or remote.is_remote(out)):
        filled = fill(out, parameters, "output path")
        stage.target = filled if remote.is_remote(filled) else remote.local_path(filled)
        stage.recorded_output = filled
        name = os.path.basename(filled.rstrip("/")) or "output.ipynb"
        stage.local_output = os.path.join(stage.temp_folder(), "out", name)
        os.makedirs(os.path.dirname(stage.local_output))
        if stage.recorded_input is None and not isinstance(input_path, Mapping):
            stage.recorded_input = fill(os.fspath(input_path), parameters, "input path")
        core_output = stage.local_output
    else:
        core_output = remote.local_path(out) if out else ""
    return stage, core_input, core_output
