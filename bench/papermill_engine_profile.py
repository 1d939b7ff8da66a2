#!/usr/bin/env python3
"""Where a `papermill --engine nbexec` run spends its time (docs/benchmarks.md, case 9).

    .venv/bin/python bench/papermill_engine_profile.py [--cells 1000] [--engine nbexec|default]

Runs papermill.execute_notebook in this process on a notebook of trivial cells (`x = i`, as
case 9) and times, with wrappers around papermill's functions: the imports, papermill's read,
the notebook manager's hooks (and, within them, its saves: nbformat.writes and the file
write), the engine's run (nbexec's `_core.run`, which calls the hooks from its callbacks, or
nbclient), and papermill's final write; and counts the bytes papermill writes to the output.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import time
from collections import defaultdict

TIMES: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)


def timed(owner, name: str, label: str) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[label] += time.perf_counter() - started
            CALLS[label] += 1

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--engine", choices=["nbexec", "default"], default="nbexec")
    args = parser.parse_args()

    t0 = time.perf_counter()
    import nbformat
    import papermill
    import papermill.engines
    import papermill.execute
    import papermill.iorw
    from nbformat.v4 import new_code_cell, new_notebook

    from nbexec import _core
    from nbexec.papermill_engine import NBExecEngine
    TIMES["imports"] = time.perf_counter() - t0

    manager = papermill.engines.NotebookExecutionManager
    if args.engine == "nbexec":
        from nbexec import _papermill_engine
        from nbexec._papermill_manager import PacedExecutionManager as manager  # noqa: N813
        timed(_core, "run", "engine run (nbexec _core.run, hooks inside)")
        timed(_papermill_engine, "_copy_kernel_results", "copy kernel results")
        timed(_papermill_engine._CellHooks, "on_event", "event callbacks (hooks included)")
        timed(_papermill_engine._CellHooks, "on_output", "output callbacks")
        timed(_papermill_engine, "_log", "log callbacks")
    else:
        from papermill.clientwrap import PapermillNotebookClient
        timed(PapermillNotebookClient, "execute", "engine run (nbclient, hooks inside)")
    for hook in ("notebook_start", "cell_start", "cell_complete", "notebook_complete",
                 "autosave_cell"):
        timed(manager, hook, f"hook {hook} (saves included)")
    timed(papermill.engines, "write_ipynb", "manager saves (nbformat.writes + write)")
    timed(nbformat, "writes", "nbformat.writes (all)")
    timed(papermill.execute, "load_notebook_node", "papermill read")
    timed(papermill.execute, "write_ipynb", "papermill final write")

    # Every write of the output notebook goes through papermill's I/O object.
    written = {"bytes": 0, "writes": 0}
    io_write = papermill.iorw.papermill_io.write

    def counting_write(buf, path, *args, **kwargs):
        written["bytes"] += len(buf.encode("utf-8"))
        written["writes"] += 1
        return io_write(buf, path, *args, **kwargs)

    papermill.iorw.papermill_io.write = counting_write

    folder = tempfile.mkdtemp(prefix="nbexec-pm-profile-")
    source = os.path.join(folder, "in.ipynb")
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "python3",
                                               "language": "python"}})
    nb.cells = [new_code_cell(f"x = {i}") for i in range(args.cells)]
    nbformat.write(nb, source)
    out = os.path.join(folder, "out.ipynb")
    t1 = time.perf_counter()
    papermill.execute_notebook(source, out, progress_bar=False,
                               engine_name="nbexec" if args.engine == "nbexec" else None)
    TIMES["execute_notebook (total)"] = time.perf_counter() - t1
    assert NBExecEngine is papermill.engines.papermill_engines.get_engine("nbexec")
    print(json.dumps({"engine": args.engine, "cells": args.cells,
                      "final_bytes": os.path.getsize(out), **{f"output_{k}": v
                                                              for k, v in written.items()},
                      "seconds": {k: round(v, 3) for k, v in TIMES.items()},
                      "calls": dict(CALLS)}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
