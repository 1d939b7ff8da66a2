"""The Python programs bench/run.py times against nbexec, one process per run.

    peers.py nbclient IN OUT [--kernel NAME]   nbformat.read, NotebookClient.execute, nbformat.write
    peers.py jupyter-client IN [--kernel NAME] a BlockingKernelClient loop: execute_request per
                                               code cell, wait for execute_reply and status idle
    peers.py nbformat-rw IN OUT                nbformat.read + nbformat.validate + nbformat.write
    peers.py nbexec-py-rw IN OUT               the same through nbexec's Python binding (one parse)

The launchers of case 8 (a sweep: one notebook, many parameter sets), as a user would write
them; RUNS is a JSON file holding a list of parameter mappings, TEMPLATE an output path filled
per run with str.format (`out/{alpha}-{seed}.ipynb`):

    peers.py papermill-loop IN TEMPLATE RUNS [--jobs N]
        one Python process calling papermill.execute_notebook once per run, in a loop; with
        --jobs N, N such processes at once, each looping over every N-th run
    peers.py nbexec-run-loop NBEXEC IN TEMPLATE RUNS [--jobs N]
        `NBEXEC run IN OUT -p NAME VALUE ...` once per run, one process after the other; with
        --jobs N, N at a time (a queue, as `xargs -P N`)

Each prints one JSON line on stdout with the seconds of its steps (the harness times the
whole process itself).
"""

from __future__ import annotations

import argparse
import json
import queue
import subprocess
import sys
import threading
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


def load_runs(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def run_papermill_loop(args) -> dict:
    runs = load_runs(args.runs)
    t0 = time.perf_counter()
    if args.jobs > 1:
        # N launcher processes at once, each a loop over its share, as N terminals would be.
        argv = [sys.executable, __file__, "papermill-loop", args.input, args.template, args.runs]
        procs = [subprocess.Popen([*argv, "--slice", f"{i}/{args.jobs}"], stdout=subprocess.PIPE)
                 for i in range(args.jobs)]
        outs = [p.communicate()[0].decode(errors="replace").strip().splitlines() for p in procs]
        results = [json.loads(out[-1]) if out and out[-1].startswith("{") else {} for out in outs]
        if any(p.returncode != 0 for p in procs):
            raise SystemExit(f"a papermill loop failed: exit codes {[p.returncode for p in procs]}")
        return {"runs": sum(r.get("runs", 0) for r in results), "jobs": args.jobs,
                "span_s": time.perf_counter() - t0,
                "import_s": max(r.get("import_s", 0.0) for r in results)}
    index, count = (int(x) for x in (args.slice or "0/1").split("/"))
    import papermill

    t1 = time.perf_counter()
    mine = runs[index::count]
    for params in mine:
        papermill.execute_notebook(args.input, args.template.format(**params),
                                   parameters=params, progress_bar=False)
    return {"runs": len(mine), "import_s": t1 - t0, "loop_s": time.perf_counter() - t1}


def run_nbexec_run_loop(args) -> dict:
    runs = load_runs(args.runs)
    work: queue.Queue = queue.Queue()
    for params in runs:
        work.put(params)
    failed: list[str] = []

    def worker() -> None:
        while True:
            try:
                params = work.get_nowait()
            except queue.Empty:
                return
            argv = [args.nbexec, "run", args.input, args.template.format(**params)]
            for name, value in params.items():
                argv += ["-p", name, str(value)]
            done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if done.returncode != 0:
                failed.append(f"{params}: exit {done.returncode}: "
                              f"{done.stderr.decode(errors='replace')[-500:]}")

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(max(1, args.jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        raise SystemExit(f"{len(failed)} of {len(runs)} runs failed; first: {failed[0]}")
    return {"runs": len(runs), "jobs": args.jobs, "span_s": time.perf_counter() - t0}


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
    p = sub.add_parser("papermill-loop")
    p.add_argument("input")
    p.add_argument("template")
    p.add_argument("runs")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--slice", help="I/K: only runs I, I+K, I+2K, ... (one of --jobs' loops)")
    p = sub.add_parser("nbexec-run-loop")
    p.add_argument("nbexec")
    p.add_argument("input")
    p.add_argument("template")
    p.add_argument("runs")
    p.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    handler = {
        "papermill-loop": run_papermill_loop,
        "nbexec-run-loop": run_nbexec_run_loop,
        "nbclient": run_nbclient,
        "jupyter-client": run_jupyter_client,
        "nbformat-rw": run_nbformat_rw,
        "nbexec-py-rw": run_nbexec_py_rw,
    }[args.command]
    print(json.dumps(handler(args)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
