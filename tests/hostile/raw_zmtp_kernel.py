"""A hostile "kernel" that speaks ZMTP 3.0 on raw TCP sockets, for the transport cases.

It binds the five ports of its connection file, completes the ZMTP greeting and NULL handshake
itself, and then, per HOSTILE_MODE:

  shell-2g    every shell connection gets a frame header claiming 2^31 bytes, followed by as
              many zero bytes as the socket takes (at most HOSTILE_STREAM_MAX bytes);
  shell-2e62  the same with a claim of 2^62 bytes;
  iopub-2g    shell answers kernel_info_request properly (signed), heartbeats are echoed, and
              every iopub connection gets the 2^31 claim and the stream of zeros;
  iopub-midcell-2g
              a kernel that works until a cell runs: iopub greets each subscriber with a
              signed iopub_welcome, shell answers kernel_info_request; an execute_request
              gets a signed execute_reply, then every iopub connection gets the 2^31 claim
              (so the cell's idle status never comes) while the process lives on.

Each hostile connection appends "<channel> claim=<n> streamed=<bytes> dropped=<0|1>" to
HOSTILE_RECORD when it ends, so a test can check that the client hung up early. Not pyzmq:
a real ZeroMQ peer cannot send a frame header that lies about its size.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import threading
import time
import uuid

MODE = os.environ.get("HOSTILE_MODE", "shell-2g")
RECORD = os.environ.get("HOSTILE_RECORD")
STREAM_MAX = int(os.environ.get("HOSTILE_STREAM_MAX", str(3 << 30)))
STREAM_SECONDS = 20.0
DELIM = b"<IDS|MSG>"
SOCKET_TYPES = {"shell": b"ROUTER", "control": b"ROUTER", "stdin": b"ROUTER",
                "iopub": b"PUB", "hb": b"REP"}
record_lock = threading.Lock()
MIDCELL = MODE == "iopub-midcell-2g"


def record(line: str) -> None:
    if RECORD:
        with record_lock, open(RECORD, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def recv_exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("peer closed")
        data += chunk
    return data


def read_frame(conn: socket.socket) -> tuple[int, bytes]:
    flags = recv_exactly(conn, 1)[0]
    if flags & 0x02:
        (size,) = struct.unpack(">Q", recv_exactly(conn, 8))
    else:
        size = recv_exactly(conn, 1)[0]
    return flags, recv_exactly(conn, size)


def read_message(conn: socket.socket) -> list[bytes]:
    frames = []
    while True:
        flags, body = read_frame(conn)
        if flags & 0x04:  # a command (e.g. SUBSCRIBE in ZMTP 3.1): not part of a message
            continue
        frames.append(body)
        if not flags & 0x01:
            return frames


def frame(body: bytes, more: bool) -> bytes:
    flags = 0x01 if more else 0x00
    if len(body) > 255:
        return bytes([flags | 0x02]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


def send_message(conn: socket.socket, frames: list[bytes]) -> None:
    conn.sendall(b"".join(frame(f, i + 1 < len(frames)) for i, f in enumerate(frames)))


def handshake(conn: socket.socket, socket_type: bytes) -> None:
    greeting = b"\xff" + b"\x00" * 8 + b"\x7f" + bytes([3, 0]) + b"NULL".ljust(20, b"\x00")
    conn.sendall(greeting + b"\x00" + b"\x00" * 31)
    recv_exactly(conn, 64)
    body = b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", len(socket_type)) + socket_type
    conn.sendall(bytes([0x04, len(body)]) + body)
    read_frame(conn)  # the client's READY


class Kernel:
    def __init__(self, connection_file: str):
        with open(connection_file, encoding="utf-8") as f:
            self.info = json.load(f)
        self.key = self.info["key"].encode()
        self.session = uuid.uuid4().hex
        self.iopub: list[socket.socket] = []  # iopub-midcell-2g: subscribers to bomb
        self.iopub_lock = threading.Lock()

    def sign(self, parts: list[bytes]) -> bytes:
        if not self.key:
            return b""
        mac = hmac.new(self.key, digestmod=hashlib.sha256)
        for part in parts:
            mac.update(part)
        return mac.hexdigest().encode()

    def message(self, msg_type: str, content: dict, parent: dict) -> list[bytes]:
        header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": self.session,
                  "username": "hostile", "version": "5.3",
                  "date": datetime.datetime.now(datetime.timezone.utc).isoformat()}
        parts = [json.dumps(d).encode() for d in (header, parent, {}, content)]
        return [DELIM, self.sign(parts), *parts]

    def serve(self) -> None:
        for channel in SOCKET_TYPES:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.info.get("ip", "127.0.0.1"), self.info[channel + "_port"]))
            listener.listen(8)
            threading.Thread(target=self.accept_loop, args=(channel, listener), daemon=True).start()
        while True:
            time.sleep(1)

    def accept_loop(self, channel: str, listener: socket.socket) -> None:
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=self.connection, args=(channel, conn), daemon=True).start()

    def connection(self, channel: str, conn: socket.socket) -> None:
        try:
            handshake(conn, SOCKET_TYPES[channel])
            hostile = (channel == "shell" and MODE.startswith("shell")) or (
                channel == "iopub" and MODE.startswith("iopub") and not MIDCELL)
            if channel == "iopub" and MIDCELL:
                read_message(conn)  # the subscription
                send_message(conn, [b"iopub_welcome", *self.message("iopub_welcome", {}, {})])
                with self.iopub_lock:
                    self.iopub.append(conn)
                while True:  # the connection is bombed from the shell thread
                    time.sleep(1)
            elif hostile:
                self.bomb(channel, conn, 1 << 62 if MODE.endswith("2e62") else 1 << 31)
            elif channel == "hb":
                while True:
                    send_message(conn, read_message(conn))
            elif channel in ("shell", "control"):
                self.answer(channel, conn)
            else:
                while True:
                    read_message(conn)
        except (ConnectionError, OSError):
            pass
        finally:
            conn.close()

    def bomb(self, channel: str, conn: socket.socket, claim: int) -> None:
        streamed = 0
        dropped = False
        zeros = b"\x00" * (1 << 20)
        deadline = time.monotonic() + STREAM_SECONDS
        try:
            conn.sendall(bytes([0x02]) + struct.pack(">Q", claim))
            conn.settimeout(1.0)
            while streamed < min(claim, STREAM_MAX) and time.monotonic() < deadline:
                try:
                    conn.sendall(zeros)
                except socket.timeout:
                    continue
                streamed += len(zeros)
        except OSError:
            dropped = True
        if not dropped:
            # Stopped streaming: did the client hang up meanwhile?
            conn.settimeout(2.0)
            try:
                while conn.recv(65536):
                    pass
                dropped = True
            except socket.timeout:
                pass
            except OSError:
                dropped = True
        record(f"{channel} claim={claim} streamed={streamed} dropped={int(dropped)}")

    def answer(self, channel: str, conn: socket.socket) -> None:
        while True:
            frames = read_message(conn)
            if DELIM not in frames:
                continue
            body = frames[frames.index(DELIM) + 1:]
            header = json.loads(body[1])
            msg_type = header.get("msg_type", "")
            if msg_type == "kernel_info_request":
                send_message(conn, self.message("kernel_info_reply", {
                    "status": "ok", "protocol_version": "5.3", "implementation": "hostile",
                    "implementation_version": "0", "banner": "",
                    "language_info": {"name": "python", "version": "3", "mimetype": "text/x-python",
                                      "file_extension": ".py"}}, header))
            elif msg_type == "execute_request" and MIDCELL:
                send_message(conn, self.message("execute_reply", {
                    "status": "ok", "execution_count": 1, "user_expressions": {}}, header))
                with self.iopub_lock:
                    subscribers, self.iopub = self.iopub, []
                for subscriber in subscribers:
                    threading.Thread(target=self.bomb, args=("iopub", subscriber, 1 << 31),
                                     daemon=True).start()
            elif msg_type == "shutdown_request":
                send_message(conn, self.message("shutdown_reply",
                                                {"status": "ok", "restart": False}, header))
                time.sleep(0.1)
                os._exit(0)


def main() -> None:
    Kernel(sys.argv[sys.argv.index("-f") + 1]).serve()


if __name__ == "__main__":
    main()
