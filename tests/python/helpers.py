"""Re-exports of conftest helpers for test modules (conftest itself is not importable by name)."""

from conftest import (  # noqa: F401
    CORPUS,
    EXAMPLE_DIR,
    REPO,
    clean_env,
    code_cells,
    make_notebook,
    read_valid,
    stream_text,
)

__all__ = ["CORPUS", "EXAMPLE_DIR", "REPO", "clean_env", "code_cells", "make_notebook",
           "read_valid", "stream_text"]
