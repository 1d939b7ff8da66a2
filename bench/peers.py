"""The Python programs bench/run.py times against nbexec, one process per run.

    peers.py nbclient IN OUT [--kernel NAME]   nbformat.read, NotebookClient.execute, nbformat.write
    peers.py jupyter-client IN [--kernel NAME] a BlockingKernelClient loop: execute_request per
                                               code cell, wait for execute_reply and status idle
    peers.py nbformat-rw IN OUT                nbformat.read + nbformat.validate + nbformat.write
    peers.py nbexec-py-rw IN OUT               the same through nbexec's Python binding (one parse)

Each prints one JSON line on stdout with the seconds of its steps (the harness times the
whole process itself).
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def code_sources(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def run_nbclient(args) -> dict:
    t0 = time.perf_counter()
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(args.input, as_version=4)
    t1 = time.perf_counter()
    kernel = args.kernel or nb.metadata.get("kernelspec", {}).get("name", "python3")
    NotebookClient(nb, kernel_name=kernel).execute()
    t2 = time.perf_counter()
    nbformat.write(nb, args.output)
    t3 = time.perf_counter()
    return {"import_read_s": t1 - t0, "execute_s": t2 - t1, "write_s": t3 - t2}


def run_jupyter_client(args) -> dict:
    t0 = time.perf_counter()
    import nbformat
    from jupyter_client.manager import KernelManager

    nb = nbformat.read(args.input, as_version=4)
    sources = code_sources(nb)
    kernel = args.kernel or nb.metadata.get("kernelspec", {}).get("name", "python3")
    t1 = time.perf_counter()
    km = KernelManager(kernel_name=kernel)
    # As nbclient (and nbexec) start an ipykernel: history in memory, no SQLite file.
    km.start_kernel(extra_arguments=["--HistoryManager.hist_file=:memory:"] if km.ipykernel else [])
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        t2 = time.perf_counter()
        for code in sources:
            msg_id = kc.execute(code, store_history=True)
            replied = idle = False
            while not (replied and idle):
                if not replied:
                    reply = kc.get_shell_msg(timeout=600)
                    if reply["parent_header"].get("msg_id") == msg_id:
                        replied = True
                        if reply["content"].get("status") != "ok":
                            raise SystemExit(f"cell failed: {reply['content']}")
                if not idle:
                    msg = kc.get_iopub_msg(timeout=600)
                    idle = (
                        msg["parent_header"].get("msg_id") == msg_id
                        and msg["msg_type"] == "status"
                        and msg["content"]["execution_state"] == "idle"
                    )
        t3 = time.perf_counter()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    t4 = time.perf_counter()
    return {
        "cells": len(sources),
        "import_read_s": t1 - t0,
        "kernel_ready_s": t2 - t1,
        "cells_s": t3 - t2,
        "shutdown_s": t4 - t3,
    }


def run_nbformat_rw(args) -> dict:
    t0 = time.perf_counter()
    import nbformat

    t1 = time.perf_counter()
    nb = nbformat.read(args.input, as_version=4)
    t2 = time.perf_counter()
    nbformat.validate(nb)
    t3 = time.perf_counter()
    nbformat.write(nb, args.output)
    t4 = time.perf_counter()
    return {"import_s": t1 - t0, "read_s": t2 - t1, "validate_s": t3 - t2, "write_s": t4 - t3}


def run_nbexec_py_rw(args) -> dict:
    t0 = time.perf_counter()
    from nbexec import _core

    t1 = time.perf_counter()
    with open(args.input, encoding="utf-8") as f:
        text = f.read()
    t2 = time.perf_counter()
    # One parse: validate as nbformat.validate, then nbformat.write's text of the same document.
    findings, out = _core.validate_roundtrip_notebook_text(text)
    if findings:
        raise SystemExit(f"not valid: {findings[0]}")
    t3 = time.perf_counter()
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(out)
    t4 = time.perf_counter()
    return {"import_s": t1 - t0, "read_s": t2 - t1, "validate_roundtrip_s": t3 - t2,
            "write_s": t4 - t3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, with_output, with_kernel in (
        ("nbclient", True, True),
        ("jupyter-client", False, True),
        ("nbformat-rw", True, False),
        ("nbexec-py-rw", True, False),
    ):
        p = sub.add_parser(name)
        p.add_argument("input")
        if with_output:
            p.add_argument("output")
        if with_kernel:
            p.add_argument("--kernel")
    args = parser.parse_args()
    handler = {
        "nbclient": run_nbclient,
        "jupyter-client": run_jupyter_client,
        "nbformat-rw": run_nbformat_rw,
        "nbexec-py-rw": run_nbexec_py_rw,
    }[args.command]
    print(json.dumps(handler(args)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
