"""Remote paths through fsspec: fsspec's memory filesystem (in this process, as the run is) and
a local S3-compatible server (moto's server mode) reached with s3fs, as a pipeline uses S3."""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import threading
import time

import nbformat
import pytest
from helpers import code_cells, make_notebook, stream_text

import nbexec

fsspec = pytest.importorskip("fsspec")

PARAMETERS = "alpha = 0.5\nlabel = 'daily'"
CELLS = ["print(label, alpha * 2)", "import nbexec\nnbexec.record('score', alpha * 10)"]


@pytest.fixture
def memory():
    """A clean memory:// filesystem with a notebook and a parameters file in it."""
    fs = fsspec.filesystem("memory")
    root = f"memory://remote-test-{time.monotonic_ns()}"
    fs.mkdir(root)
    with fs.open(f"{root}/in/analysis.ipynb", "w") as handle:
        handle.write(nbformat.writes(make_notebook(CELLS, parameters_cell=PARAMETERS)))
    with fs.open(f"{root}/params.yaml", "w") as handle:
        handle.write("alpha: 4\nlabel: remote\n")
    yield fs, root
    fs.rm(root, recursive=True)


def _read(fs, url):
    with fs.open(url, "r") as handle:
        return nbformat.reads(handle.read(), as_version=4)


def test_memory_input_output_and_parameters_file(memory, tmp_path):
    fs, root = memory
    nb = nbexec.execute_notebook(f"{root}/in/analysis.ipynb", f"{root}/out/run-{{label}}.ipynb",
                                 parameters=f"{root}/params.yaml", progress_bar=False)
    assert stream_text(code_cells(nb)[2]) == "remote 8\n"
    written = _read(fs, f"{root}/out/run-remote.ipynb")
    nbformat.validate(written)
    # papermill records the paths as given (filled in), not nbexec's temporary files.
    for notebook in (nb, written):
        assert notebook.metadata.papermill.input_path == f"{root}/in/analysis.ipynb"
        assert notebook.metadata.papermill.output_path == f"{root}/out/run-remote.ipynb"
        assert notebook.metadata.papermill.parameters == {"alpha": 4, "label": "remote"}
    assert written.cells == nb.cells
    assert nbexec.read_scraps(f"{root}/out/run-remote.ipynb") == {"score": 40}
    # Remote notebooks for the kernel-free functions too.
    assert set(nbexec.inspect_notebook(f"{root}/in/analysis.ipynb")) == {"alpha", "label"}
    assert nbexec.merge_parameters(files=[f"{root}/params.yaml"], yaml=["alpha: 1"]) == {
        "alpha": 1, "label": "remote"}
    assert nbexec.check_parameters(f"{root}/in/analysis.ipynb", {"alpha": "x"})[0]["kind"] == \
        "type_mismatch"


def test_remote_input_to_local_output_and_back(memory, tmp_path, monkeypatch):
    fs, root = memory
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    local = tmp_path / "local.ipynb"
    nbexec.execute_notebook(f"{root}/in/analysis.ipynb", local, progress_bar=False)
    saved = nbformat.read(str(local), as_version=4)
    assert saved.metadata.papermill.input_path == f"{root}/in/analysis.ipynb"
    assert saved.metadata.papermill.output_path == str(local)
    nbexec.execute_notebook(local, f"{root}/again.ipynb", parameters={"label": "x"},
                            progress_bar=False)
    again = _read(fs, f"{root}/again.ipynb")
    assert again.metadata.papermill.input_path == str(local)
    assert stream_text(code_cells(again)[2]) == "x 1.0\n"
    # The temporary folders are gone.
    assert list(temp.iterdir()) == []


def test_remote_output_is_uploaded_at_each_save_and_on_failure(memory):
    fs, root = memory
    with fs.open(f"{root}/slow.ipynb", "w") as handle:
        handle.write(nbformat.writes(make_notebook(
            ["print('first')", "import time; time.sleep(3)", "1 / 0", "print('never')"])))
    seen = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            if fs.exists(f"{root}/slow-out.ipynb"):
                nb = _read(fs, f"{root}/slow-out.ipynb")
                cells = code_cells(nb)
                seen.append((stream_text(cells[0]), cells[1].metadata.papermill.status))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with pytest.raises(nbexec.ExecutionError) as info:
            nbexec.execute_notebook(f"{root}/slow.ipynb", f"{root}/slow-out.ipynb",
                                    autosave_cell_every=0.5, progress_bar=False)
    finally:
        stop.set()
        watcher.join()
    assert info.value.ename == "ZeroDivisionError"
    # While the second cell slept, the upload already held the first cell's output.
    assert ("first\n", "running") in seen
    final = _read(fs, f"{root}/slow-out.ipynb")
    assert final.metadata.papermill.exception is True
    assert "papermill-error-cell-tag" in final.cells[0].metadata.tags
    assert final.metadata.papermill.input_path == f"{root}/slow.ipynb"


def test_bad_remote_input_names_the_url(memory, tmp_path):
    fs, root = memory
    with fs.open(f"{root}/broken.ipynb", "w") as handle:
        handle.write("{not json")
    with pytest.raises(nbexec.NotebookError) as info:
        nbexec.execute_notebook(f"{root}/broken.ipynb", tmp_path / "o.ipynb")
    assert f"{root}/broken.ipynb" in str(info.value)
    assert tempfile.gettempdir() not in str(info.value)
    assert not (tmp_path / "o.ipynb").exists()
    with pytest.raises(FileNotFoundError):
        nbexec.execute_notebook(f"{root}/missing.ipynb", tmp_path / "o.ipynb")


def test_missing_fsspec_is_a_clear_error(monkeypatch, tmp_path, write_notebook):
    monkeypatch.setitem(sys.modules, "fsspec", None)  # `import fsspec` now raises ImportError
    with pytest.raises(ImportError, match=r"s3://bucket/in.ipynb.*pip install 'nbexec\[remote\]'"):
        nbexec.execute_notebook("s3://bucket/in.ipynb", tmp_path / "o.ipynb")
    src = write_notebook(["1"])
    with pytest.raises(ImportError, match="fsspec"):
        nbexec.execute_notebook(src, "gs://bucket/out.ipynb")
    with pytest.raises(ImportError, match="fsspec"):
        nbexec.inspect_notebook("https://example.invalid/nb.ipynb")
    # Local paths and file:// URLs never need it.
    nbexec.execute_notebook(f"file://{src}", tmp_path / "o.ipynb", progress_bar=False)


# --- S3 through a local moto server ----------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    pytest.importorskip("s3fs")
    server_module = pytest.importorskip("moto.server")
    port = _free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    """fsspec configured for the local server (as a pipeline configures it for its store)."""
    import s3fs

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    monkeypatch.setitem(fsspec.config.conf, "s3",
                        {"client_kwargs": {"endpoint_url": s3_endpoint}, "anon": False})
    s3fs.S3FileSystem.clear_instance_cache()
    fs = fsspec.filesystem("s3")
    bucket = f"nbexec-{time.monotonic_ns()}"
    fs.mkdir(bucket)
    yield fs, bucket
    s3fs.S3FileSystem.clear_instance_cache()


def test_s3_input_parameters_and_output(s3):
    fs, bucket = s3
    fs.pipe(f"{bucket}/notebooks/analysis.ipynb",
            nbformat.writes(make_notebook(CELLS, parameters_cell=PARAMETERS)).encode())
    fs.pipe(f"{bucket}/params.json", json.dumps({"label": "s3", "alpha": 1.5}).encode())
    nb = nbexec.execute_notebook(f"s3://{bucket}/notebooks/analysis.ipynb",
                                 f"s3://{bucket}/runs/{{label}}/output.ipynb",
                                 parameters=f"s3://{bucket}/params.json", progress_bar=False)
    assert stream_text(code_cells(nb)[2]) == "s3 3.0\n"
    fs.invalidate_cache()
    written = nbformat.reads(fs.cat(f"{bucket}/runs/s3/output.ipynb").decode(), as_version=4)
    nbformat.validate(written)
    assert written.metadata.papermill.output_path == f"s3://{bucket}/runs/s3/output.ipynb"
    assert written.metadata.papermill.input_path == f"s3://{bucket}/notebooks/analysis.ipynb"
    assert nbexec.read_scraps(f"s3://{bucket}/runs/s3/output.ipynb") == {"score": 15.0}
    assert set(nbexec.inspect_notebook(f"s3://{bucket}/notebooks/analysis.ipynb")) == {
        "alpha", "label"}


def test_s3_output_is_written_when_a_cell_fails(s3, write_notebook):
    fs, bucket = s3
    src = write_notebook(["print('before')", "raise ValueError('bad data')"])
    with pytest.raises(nbexec.ExecutionError, match="bad data"):
        nbexec.execute_notebook(src, f"s3://{bucket}/failed.ipynb", progress_bar=False)
    fs.invalidate_cache()
    written = nbformat.reads(fs.cat(f"{bucket}/failed.ipynb").decode(), as_version=4)
    assert written.metadata.papermill.exception is True
    assert stream_text(code_cells(written)[0]) == "before\n"
    with pytest.raises(FileNotFoundError):
        nbexec.execute_notebook(f"s3://{bucket}/nope.ipynb", f"s3://{bucket}/o.ipynb")
