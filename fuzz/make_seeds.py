#!/usr/bin/env python3
"""Writes the seed corpus in fuzz/corpus/<target>/ (committed; rerun after changing it).

Seeds are small, hand-picked inputs in each target's input format (see the header comment of
fuzz/fuzz_<target>.cpp). Notebooks are written by nbformat and wire frames by a real
jupyter_client Session, so the fuzzers start from what nbexec meets in practice.

    .venv/bin/python fuzz/make_seeds.py
"""

import base64
import json
import os
import pathlib
import shutil
import struct
import tempfile

import nbformat
from jupyter_client.connect import write_connection_file
from jupyter_client.session import Session

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
# Must match fixed_key in fuzz_wire.cpp: seeds signed with it verify on the raw path.
WIRE_KEY = b"fuzz-key-3f2a9c"

PNG_1X1 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def write(target, name, data):
    path = CORPUS / target / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


# ---- notebook -----------------------------------------------------------------------------


def rich_notebook(minor):
    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python", "version": "3.11.2"},
        "papermill": {"parameters": {"alpha": 0.5}},
    }
    params = v4.new_code_cell("alpha = 0.1  # learning rate\nname: str = 'x'\n")
    params.metadata["tags"] = ["parameters"]
    code = v4.new_code_cell("print('héllo')\n1 + 1", execution_count=3)
    code.outputs = [
        v4.new_output("stream", name="stdout", text="héllo\nwörld\n"),
        v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=3),
        v4.new_output(
            "display_data",
            data={"image/png": PNG_1X1, "text/plain": "<Figure>", "application/json": {"a": [1, 2]}},
            metadata={"image/png": {"width": 1}},
        ),
        v4.new_output("error", ename="ValueError", evalue="bad", traceback=["\x1b[31mValueError\x1b[0m"]),
    ]
    md = v4.new_markdown_cell("# Title\n![x](attachment:x.png)")
    md.attachments = {"x.png": {"image/png": PNG_1X1}}
    raw = v4.new_raw_cell("raw\ntext", metadata={"format": "text/plain"})
    nb.cells = [params, code, md, raw]
    nb.nbformat_minor = minor
    if minor < 5:
        for cell in nb.cells:
            cell.pop("id", None)
    return nb


def notebook_seeds():
    for minor in range(6):
        nb = rich_notebook(minor)
        if minor < 4:
            # attachments arrived in 4.1 and the raw format metadata matters little
            if minor == 0:
                nb.cells[2].pop("attachments")
        write("notebook", f"v4_{minor}_outputs.ipynb", nbformat.writes(nb, version=4))
    empty = nbformat.v4.new_notebook()
    write("notebook", "v4_5_empty.ipynb", nbformat.writes(empty))
    # As stored by some tools: one-string sources, NaN and Infinity, transient fields, BOM.
    doc = json.loads(nbformat.writes(rich_notebook(5)))
    doc["cells"][1]["source"] = "a = float('nan')\n"
    doc["cells"][1]["metadata"]["trusted"] = True
    doc["metadata"]["signature"] = "sha256:00"
    doc["metadata"]["orig_nbformat"] = 3
    doc["metadata"]["scores"] = [float("nan"), float("inf"), -0.0, 1e300, 12345678901234567890]
    write("notebook", "nan_transient_bom.ipynb", "\ufeff" + json.dumps(doc, indent=1))
    # Invalid per the schema, but well-formed JSON: a duplicate id, a bad output type.
    bad = json.loads(nbformat.writes(rich_notebook(5)))
    bad["cells"][1]["id"] = bad["cells"][0]["id"]
    bad["cells"][1]["outputs"][0]["output_type"] = "strem"
    write("notebook", "invalid_schema.ipynb", json.dumps(bad))
    write("notebook", "nbformat3.ipynb", json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": []}))
    write("notebook", "truncated.ipynb", nbformat.writes(rich_notebook(4))[:300])


# ---- wire ---------------------------------------------------------------------------------


def frames_input(flags, frames):
    out = bytes([flags])
    for frame in frames:
        out += struct.pack("<I", len(frame)) + frame
    return out


def wire_seeds():
    session = Session(key=WIRE_KEY, signature_scheme="hmac-sha256", username="fuzz")
    parent = session.msg("execute_request", {"code": "1 + 1", "silent": False})
    messages = {
        "execute_request": parent,
        "status_busy": session.msg("status", {"execution_state": "busy"}, parent=parent),
        "stream": session.msg("stream", {"name": "stdout", "text": "héllo\n"}, parent=parent),
        "execute_result": session.msg(
            "execute_result",
            {"data": {"text/plain": "2", "image/png": PNG_1X1}, "metadata": {}, "execution_count": 1},
            parent=parent,
        ),
        "error": session.msg(
            "error", {"ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": ["tb"]},
            parent=parent,
        ),
        "execute_reply": session.msg(
            "execute_reply", {"status": "ok", "execution_count": 1, "user_expressions": {}}, parent=parent
        ),
        "kernel_info_reply": session.msg(
            "kernel_info_reply",
            {"protocol_version": "5.3", "implementation": "ipykernel", "language_info": {"name": "python"}},
        ),
    }
    for name, msg in messages.items():
        frames = session.serialize(msg, ident=[b"kernel.1234.shell"])
        write("wire", f"{name}.bin", frames_input(0, frames))
    # Buffers after the content, and no identities.
    msg = session.msg("comm_msg", {"comm_id": "c1", "data": {"x": 1}})
    frames = session.serialize(msg)
    write("wire", "comm_msg_buffers.bin", frames_input(0, frames + [b"\x00\x01binary", b""]))
    # Self-signed by the target (flag bit 0) with other schemes, signature frame left empty.
    for scheme_index in (0, 5, 10):
        f = list(session.serialize(messages["stream"]))
        f[1] = b""
        write("wire", f"self_signed_scheme{scheme_index}.bin", frames_input(1 | (scheme_index << 2), f))
    # An unsigned connection (flag bit 1), and a replay-guard workout (bits 6-7).
    unsigned = Session(key=b"", username="fuzz")
    write("wire", "unsigned.bin", frames_input(2, unsigned.serialize(messages["status_busy"])))
    write("wire", "replay_guard.bin", frames_input(0xC0, [b"abcabcabd", b"abcxyzabc", b"abc"] * 3))
    # Hostile shapes: tampered content, no delimiter, too few frames.
    tampered = session.serialize(messages["stream"])
    tampered[-1] = tampered[-1].replace(b"stdout", b"stderr")
    write("wire", "tampered.bin", frames_input(0, tampered))
    write("wire", "no_delimiter.bin", frames_input(0, [b"a", b"b"]))
    write("wire", "short.bin", frames_input(1, [b"<IDS|MSG>", b"", b"{}"]))


# ---- connection_file ----------------------------------------------------------------------


def connection_seeds():
    tmp = pathlib.Path(tempfile.mkdtemp())
    try:
        for name, kwargs in {
            "tcp": dict(transport="tcp", ip="127.0.0.1", key=b"a0b1c2d3", kernel_name="python3"),
            "ipc": dict(transport="ipc", ip=str(tmp / "kernel-ipc"), key=b"k", signature_scheme="hmac-sha512"),
            "unsigned": dict(transport="tcp", ip="::1", key=b""),
        }.items():
            fname, _ = write_connection_file(str(tmp / f"{name}.json"), shell_port=50001, iopub_port=50002,
                                             stdin_port=50003, control_port=50004, hb_port=50005, **kwargs)
            text = pathlib.Path(fname).read_text()
            write("connection_file", f"{name}.json", text.replace(str(tmp), "/run/user/1000/jupyter"))
    finally:
        shutil.rmtree(tmp)
    base = {"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 65535,
            "ip": "127.0.0.1", "key": "", "transport": "tcp"}
    write("connection_file", "extra_fields.json", json.dumps({**base, "signature_scheme": "hmac-blake2s",
                                                              "kernel_name": "ir", "curve": None}))
    write("connection_file", "bad_port.json", json.dumps({**base, "hb_port": 65536}))
    write("connection_file", "float_port.json", json.dumps({**base, "shell_port": 1.0}))
    write("connection_file", "bad_scheme.json", json.dumps({**base, "signature_scheme": "hmac-sha257"}))
    write("connection_file", "not_object.json", "[1, 2, 3]")
    write("connection_file", "python_nan.json", '{"ip": "x", "shell_port": NaN}')


# ---- parameters ---------------------------------------------------------------------------

YAML_SEEDS = {
    "scalars": "alpha: 0.5\nepochs: 10\nname: héllo\nflag: yes\nnothing: ~\nbig: 9223372036854775808\n"
    "hex: 0x1F\noctal: 0o17\nold_octal: 017\nsexagesimal: 1:30\ninf: .inf\nnan: .NaN\nneg: -.5e3\n",
    "anchors": "base: &b {lr: 0.1, layers: [64, 32]}\nmodel:\n  <<: *b\n  lr: 0.01\ncopy: *b\n"
    "merged:\n  <<: [*b, {extra: true}]\n",
    "tags": "blob: !!binary aGVsbG8=\nwhen: 2024-01-02\nstamp: 2024-01-02T03:04:05Z\nset: !!set {a, b}\n"
    "pairs: !!omap [a: 1, b: 2]\nstr: !!str 12\nfloat: !!float 1\n",
    "nested": "a:\n  - [1, [2, [3, {b: [4]}]]]\n  - {c: 'quoted', d: \"esc\\t\\u00e9\"}\nlit: |\n  line 1\n  line 2\n"
    "fold: >\n  folded\n  text\n",
    "keys": "1: one\ntrue: yes\n3.5: x\nnull: y\n? [a, b]\n: complex\n",
    "json": '{"alpha": 1, "beta": [true, null, "x"], "gamma": {"d": 1e-3}}',
    "multi_doc": "a: 1\n---\nb: 2\n",
    "bad_indent": "a:\n  b: 1\n c: 2\n",
    "custom_tag": "x: !python/object:os.system ls\n",
    "empty": "",
}


def parameters_seeds():
    for name, text in YAML_SEEDS.items():
        write("parameters", f"yaml_{name}.bin", b"\x00" + text.encode())
    for name in ("scalars", "anchors", "tags"):
        encoded = base64.b64encode(YAML_SEEDS[name].encode())
        write("parameters", f"b64_{name}.bin", b"\x01" + encoded)
    utf16 = base64.b64encode(YAML_SEEDS["scalars"].encode("utf-16"))
    write("parameters", "b64_utf16.bin", b"\x01" + utf16)
    write("parameters", "b64_junk.bin", b"\x01YWxwaGE6\n IDE=\x00!!==")
    pairs = [
        ("alpha", "0.5"), ("n", "1_000"), ("h", "0x1F"), ("o", "0o17"), ("b", "0b101"),
        ("e", "1e5"), ("inf", "-inf"), ("nan", "nan"), ("t", "True"), ("f", "false"),
        ("none", "None"), ("s", " 12 "), ("arabic", "\u0661\u0662"), ("big", "99999999999999999999"),
        ("text", "hello world"), ("uni", "héllo"), ("j", "1j"), ("under", "1__0"),
    ]
    write("parameters", "p_pairs.bin", b"\x02" + b"\x00".join(f"{k}\x00{v}".encode() for k, v in pairs))
    mixed = [YAML_SEEDS["anchors"].encode(), base64.b64encode(b"alpha: 2\n"), b"alpha", b"3", b"raw", b"0.5"]
    write("parameters", "mixed.bin", b"\x03" + b"\x00".join(mixed))
    write("parameters", "bad_name.bin", b"\x02" + b"1abc\x005")


# ---- inspect ------------------------------------------------------------------------------

PYTHON_CELLS = {
    "python_basic": "# Parameters\nalpha = 0.1  # learning rate\nepochs = 10\nname = 'run'\nflag = True\nnothing = None\n",
    "python_typed": "from typing import Optional, List\nalpha: float = 0.5\nlayers: List[int] = [64, 32]\n"
    "tag: Optional[str] = None\nmode: 'str' = \"a\"\nx = 3  # type: int\ny: int | None = None\n",
    "python_multiline": "config = {\n    'a': 1,\n    'b': [1, 2,\n          3],\n}\ns = ('abc'\n     'def')\n"
    "t = \"\"\"multi\nline\"\"\"\nb = b'bytes'\nf = f'{x}'\nneg = -1.5e-3\nh = 0x1f\nc = 1_000\n",
    "python_odd": "import os\ndef f():\n    pass\nif True:\n    z = 1\na = b = 2\nx, y = 1, 2\nr = os.getcwd()\n"
    "u = '\\N{GREEK SMALL LETTER ALPHA}'\nv = \\\n  5\nw = [\n",
}
R_CELLS = {
    "r_basic": "# Parameters\nalpha <- 0.1  # learning rate\nepochs = 10L\nname <- \"run\"\nflag <- TRUE\n"
    "nothing <- NULL\nv <- c(1, 2, 3)\nl <- list(a = 1, b = \"x\")\nraw <- r\"(C:\\path)\"\nna <- NA\n",
    "r_odd": "x <- function(a) a\n10 -> y\ns <- 'single \\'q\\''\ninf <- Inf\nn <- -5\nh <- 0x10L\n",
}
JULIA_CELLS = {
    "julia_basic": "# Parameters\nalpha = 0.1  # learning rate\nepochs::Int64 = 10\nname = \"run\"\nflag = true\n"
    "nothing_ = nothing\nv = [1, 2, 3]\nd = Dict(\"a\" => 1)\nt::Union{Nothing, String} = nothing\n",
    "julia_odd": "const c = 5\nraw = raw\"C:\\path\"\nch = 'c'\nf(x) = x\ns = \"interp $(x)\"\nbig = 1_000_000\n"
    "fl = 1e-3\nm = [1 2; 3 4]\n",
}


def inspect_seeds():
    for name, source in PYTHON_CELLS.items():
        write("inspect", f"{name}.bin", b"\x00" + source.encode())
    write("inspect", "pyspark_basic.bin", b"\x03" + PYTHON_CELLS["python_basic"].encode())
    for name, source in R_CELLS.items():
        write("inspect", f"{name}.bin", b"\x01" + source.encode())
    write("inspect", "sparkr_basic.bin", b"\x04" + R_CELLS["r_basic"].encode())
    for name, source in JULIA_CELLS.items():
        write("inspect", f"{name}.bin", b"\x02" + source.encode())


def main():
    for target in ("notebook", "wire", "connection_file", "parameters", "inspect"):
        folder = CORPUS / target
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    notebook_seeds()
    wire_seeds()
    connection_seeds()
    parameters_seeds()
    inspect_seeds()
    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    count = sum(1 for p in CORPUS.rglob("*") if p.is_file())
    print(f"make_seeds: {count} files, {total} bytes in {CORPUS}")


if __name__ == "__main__":
    os.umask(0o022)
    main()
