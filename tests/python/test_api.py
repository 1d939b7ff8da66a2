"""`import nbexec`: papermill's execute_notebook, run in-process by the C++ core."""

from __future__ import annotations

import logging
import threading
import time

import nbformat
import pytest
from helpers import code_cells, read_valid, stream_text

import nbexec


def test_version():
    assert isinstance(nbexec.__version__, str) and nbexec.__version__.count(".") == 2


def test_execute_notebook_returns_a_notebooknode_and_writes_output(write_notebook, tmp_path):
    src = write_notebook(["print(greeting * 2)", "{'k': [1, 2]}"], parameters_cell="greeting = 'x'")
    out = tmp_path / "out.ipynb"
    nb = nbexec.execute_notebook(src, out, parameters={"greeting": "hi"}, kernel_name="python3")
    assert isinstance(nb, nbformat.NotebookNode)
    assert stream_text(code_cells(nb)[2]) == "hihi\n"
    assert code_cells(nb)[3].outputs[0].data["text/plain"] == "{'k': [1, 2]}"
    on_disk = read_valid(out)
    assert on_disk == nb


def test_parameters_keep_python_types(write_notebook, tmp_path):
    src = write_notebook(["print(type(f).__name__, type(b).__name__, n, s, l, d)"],
                         parameters_cell="f = b = n = s = l = d = None")
    nb = nbexec.execute_notebook(
        src, tmp_path / "o.ipynb",
        parameters={"f": 1.0, "b": False, "n": None, "s": "é\n", "l": [1, "a"], "d": {"k": 2}})
    assert stream_text(code_cells(nb)[2]) == "float bool None é\n [1, 'a'] {'k': 2}\n"


def test_cell_error_raises_execution_error_with_papermill_fields(write_notebook, tmp_path):
    src = write_notebook(["a = 1", "1 / 0", "b = 2"])
    out = tmp_path / "out.ipynb"
    with pytest.raises(nbexec.ExecutionError) as info:
        nbexec.execute_notebook(src, out)
    err = info.value
    assert err.cell_index == 1
    assert err.exec_count == 2
    assert err.ename == "ZeroDivisionError"
    assert "division by zero" in err.evalue
    assert err.source == "1 / 0"
    assert any("ZeroDivisionError" in line for line in err.traceback)
    saved = read_valid(out)
    assert any(o.output_type == "error" for o in code_cells(saved)[1].outputs)


def test_bad_input_raises_typed_errors(tmp_path, write_notebook):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    with pytest.raises(nbexec.NotebookError, match="bad.ipynb"):
        nbexec.execute_notebook(bad, tmp_path / "o.ipynb")
    src = write_notebook(["1"])
    with pytest.raises(nbexec.KernelNotFoundError, match="nope"):
        nbexec.execute_notebook(src, tmp_path / "o.ipynb", kernel_name="nope")
    with pytest.raises(TypeError):
        nbexec.execute_notebook(src, tmp_path / "o.ipynb", parameters={"x": object()})
    assert issubclass(nbexec.KernelNotFoundError, nbexec.Error)


def test_gil_is_released_while_the_kernel_runs(write_notebook, tmp_path):
    src = write_notebook(["import time; time.sleep(1.5)"])
    ticks = 0
    done = threading.Event()

    def spin():
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        nbexec.execute_notebook(src, tmp_path / "o.ipynb")
    finally:
        done.set()
        thread.join()
    # Holding the GIL for the whole run would leave the thread a handful of ticks at most.
    assert ticks > 200


def test_log_output_goes_to_the_nbexec_logger(write_notebook, tmp_path, caplog):
    src = write_notebook(["print('to the log')"])
    with caplog.at_level("INFO", logger="nbexec"):
        nbexec.execute_notebook(src, tmp_path / "o.ipynb", log_output=True)
    assert any("to the log" in r.getMessage() for r in caplog.records)


def test_list_kernelspecs_finds_ipykernel():
    names = [k["name"] for k in nbexec.list_kernelspecs()]
    assert "python3" in names


def test_keyboard_interrupt_stops_a_silent_cell_and_saves(write_notebook, tmp_path):
    import os
    import signal

    src = write_notebook(["print('first')", "import time; time.sleep(60)", "print('never')"])
    out = tmp_path / "out.ipynb"
    fired = []

    def interrupt():
        fired.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.5, interrupt)

    # The interrupt comes once the silent cell runs, however long the kernel took to start.
    class StartTimerOnSecondCell(logging.Handler):
        def emit(self, record):
            if record.getMessage() == "Executing cell 1":
                timer.start()

    handler = StartTimerOnSecondCell()
    logger = logging.getLogger("nbexec")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # A shell that starts a job in the background makes it ignore SIGINT, and Python then keeps
    # it ignored; install Python's own handler, as an interactive session has it.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            nbexec.execute_notebook(src, out)
        stopped = time.monotonic()
    finally:
        timer.cancel()
        logger.removeHandler(handler)
        signal.signal(signal.SIGINT, previous)
    assert fired and stopped - fired[0] < 5
    saved = read_valid(out)
    assert stream_text(code_cells(saved)[0]) == "first\n"
    assert code_cells(saved)[2].outputs == []


def test_interrupt_on_timeout_goes_on_then_raises_timeout(write_notebook, tmp_path):
    src = write_notebook(["import time; time.sleep(60)", "print('after')"])
    out = tmp_path / "out.ipynb"
    with pytest.raises(nbexec.TimeoutError, match="interrupted"):
        nbexec.execute_notebook(src, out, execution_timeout=1, interrupt_on_timeout=True)
    cells = nbformat.read(out, as_version=4).cells
    assert cells[0].outputs[-1].ename == "KeyboardInterrupt"
    assert cells[1].outputs[0].text == "after\n"


def test_save_options_are_checked_and_accepted(write_notebook, tmp_path):
    src = write_notebook(["x = 1"])
    out = tmp_path / "out.ipynb"
    nb = nbexec.execute_notebook(src, out, request_save_on_cell_execute=False,
                                 autosave_cell_every=0)
    assert nb.metadata.papermill.exception is None
    with pytest.raises(ValueError, match="autosave_cell_every"):
        nbexec.execute_notebook(src, out, autosave_cell_every=-1)
