"""Remote paths (``s3://``, ``gs://``, ``http(s)://``, ``memory://``, ...) through fsspec.

The C++ core reads and writes local files only. A remote notebook is read into a local
temporary file before the run; a remote output notebook is written locally and uploaded at
every save and on every way a run ends. fsspec (``pip install 'nbexec[remote]'``) and the
filesystem's own package (s3fs for ``s3://``, gcsfs for ``gs://``, aiohttp for ``http://``)
are needed only for such paths.
"""

from __future__ import annotations

import os
import re
from typing import Any

# A URL scheme of two or more letters: "C:\\x" (a Windows drive) stays local.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+)://")


def scheme(path: Any) -> str:
    """The URL scheme of ``path`` (``"s3"``, ``"memory"``), or ``""`` for a local path."""
    if not isinstance(path, str):
        return ""
    found = _SCHEME.match(path)
    return found.group(1).lower() if found else ""


def is_remote(path: Any) -> bool:
    """Whether ``path`` is a URL read through fsspec (``file://`` URLs are local)."""
    return scheme(path) not in ("", "file")


def local_path(path: "str | os.PathLike[str]") -> str:
    """A local path as the core takes it: ``file:///x`` becomes ``/x``."""
    path = os.fspath(path)
    if scheme(path) == "file":
        return path[len("file://"):]
    return path


def _fsspec(url: str):
    try:
        import fsspec
    except ImportError as error:
        raise ImportError(
            f"nbexec: {url!r} is a remote path, which needs fsspec: pip install 'nbexec[remote]' "
            "(and the filesystem's package, e.g. s3fs for s3://, gcsfs for gs://)") from error
    return fsspec


def read_bytes(path: "str | os.PathLike[str]") -> bytes:
    """The bytes of a local file or a remote URL."""
    path = os.fspath(path)
    if not is_remote(path):
        with open(local_path(path), "rb") as handle:
            return handle.read()
    with _fsspec(path).open(path, "rb") as handle:
        return handle.read()


def read_text(path: "str | os.PathLike[str]") -> str:
    """The UTF-8 text of a local file or a remote URL."""
    return read_bytes(path).decode("utf-8")


def write_bytes(path: "str | os.PathLike[str]", data: bytes) -> None:
    """Writes ``data`` to a remote URL (one upload) or, atomically, to a local file."""
    path = os.fspath(path)
    if is_remote(path):
        with _fsspec(path).open(path, "wb") as handle:
            handle.write(data)
        return
    path = local_path(path)
    folder = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(folder, f".{os.path.basename(path)}.nbexec-{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def write_text(path: "str | os.PathLike[str]", text: str) -> None:
    """Writes UTF-8 ``text`` to a remote URL or, atomically, to a local file."""
    write_bytes(path, text.encode("utf-8"))


def download(url: str, folder: str) -> str:
    """Copies ``url`` into ``folder`` under its own base name; returns the local path."""
    name = os.path.basename(url.rstrip("/").split("?", 1)[0]) or "download"
    target = os.path.join(folder, name)
    with open(target, "wb") as handle:
        handle.write(read_bytes(url))
    return target


__all__ = ["download", "is_remote", "local_path", "read_bytes", "read_text", "scheme",
           "write_bytes", "write_text"]
