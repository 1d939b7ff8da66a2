"""A misbehaving Jupyter kernel for fault-injection tests, written with pyzmq only.

It speaks the wire protocol (ROUTER shell/control/stdin, XPUB or PUB iopub, ROUTER heartbeat)
and "executes" a cell by reading its first word as a command:

    echo TEXT          stream TEXT to stdout (also the default for any other source)
    env NAME           stream the value of environment variable NAME
    error              reply with an error (ename FakeError)
    wrong_key          publish a stream signed with another key, then "after"
    replay             publish "once", then send the very same frames again
    garbage            send malformed multiparts on iopub and shell, then "survived"
    die                publish "dying", then SIGKILL itself mid-cell
    hang               publish "hanging", then never reply (heartbeat keeps answering)
    hb_hang            publish "hanging", stop answering the heartbeat, never reply
    flood N            publish N stream messages "line i" as fast as it can
    wrong_parent       reply and publish for another request first, then correctly
    other_session      publish "foreign" with our msg_id but another session as parent
    sleep S            wait S seconds (interruptible by SIGINT or interrupt_request)

Start-up behaviour comes from the environment:

    FAKE_KERNEL_START=no_iopub     answer kernel_info but never publish on iopub (a PUB
                                   socket, so no JEP 65 welcome either)
    FAKE_KERNEL_START=silent       never answer anything
    FAKE_KERNEL_START=pub          a classic PUB iopub without iopub_welcome
    FAKE_KERNEL_BIND_FAILURES=FILE die with "Address already in use" while FILE holds a
                                   positive count, decrementing it each time
    FAKE_KERNEL_NO_IPC=1           exit at once when the connection file asks for ipc (a
                                   kernel that only speaks tcp)
    FAKE_KERNEL_RECORD=FILE        append one line per event (pid, signals, control
                                   requests, markers) to FILE
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import sys
import threading
import time
import uuid
from datetime import datetime, timezone

import zmq

DELIM = b"<IDS|MSG>"
RECORD = os.environ.get("FAKE_KERNEL_RECORD")


def record(line: str) -> None:
    if RECORD:
        with open(RECORD, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class Session:
    def __init__(self, key: bytes, scheme: str):
        self.key = key
        self.digest = getattr(hashlib, scheme.split("-", 1)[1])
        self.session = str(uuid.uuid4())

    def sign(self, parts, key=None) -> bytes:
        key = self.key if key is None else key
        if not key:
            return b""
        h = hmac.new(key, digestmod=self.digest)
        for p in parts:
            h.update(p)
        return h.hexdigest().encode()

    def frames(self, msg_type, content, parent, idents=(), key=None, session=None):
        header = {
            "msg_id": str(uuid.uuid4()),
            "msg_type": msg_type,
            "username": "fake",
            "session": session or self.session,
            "date": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
            "version": "5.3",
        }
        dicts = [json.dumps(d).encode() for d in (header, parent or {}, {}, content)]
        return [*idents, DELIM, self.sign(dicts, key), *dicts]


class FakeKernel:
    def __init__(self, connection_file: str):
        with open(connection_file, encoding="utf-8") as f:
            info = json.load(f)
        self.info = info
        self.session = Session(info["key"].encode(), info.get("signature_scheme", "hmac-sha256"))
        self.start_mode = os.environ.get("FAKE_KERNEL_START", "")
        self.ctx = zmq.Context()
        self.hb_alive = True
        self.interrupted = False
        self.execution_count = 0

        if os.environ.get("FAKE_KERNEL_NO_IPC") and info["transport"] == "ipc":
            record("no_ipc")
            sys.stderr.write("fake kernel: the ipc transport is not supported\n")
            sys.exit(1)

        fails = os.environ.get("FAKE_KERNEL_BIND_FAILURES")
        if fails and os.path.exists(fails):
            left = int(open(fails).read() or 0)
            if left > 0:
                open(fails, "w").write(str(left - 1))
                record("bind_failure")
                sys.stderr.write("zmq.error.ZMQError: Address already in use (addr='tcp://...')\n")
                sys.exit(1)

        def endpoint(port):
            if info["transport"] == "ipc":
                return f"ipc://{info['ip']}-{port}"
            return f"tcp://{info['ip']}:{port}"

        self.shell = self._bind(zmq.ROUTER, endpoint(info["shell_port"]))
        self.control = self._bind(zmq.ROUTER, endpoint(info["control_port"]))
        self.stdin = self._bind(zmq.ROUTER, endpoint(info["stdin_port"]))
        iopub_type = zmq.PUB if self.start_mode in ("no_iopub", "pub") else zmq.XPUB
        self.iopub = self._bind(iopub_type, endpoint(info["iopub_port"]))
        self.hb = self._bind(zmq.ROUTER, endpoint(info["hb_port"]))
        threading.Thread(target=self._heartbeat, daemon=True).start()

    def _bind(self, kind, address):
        s = self.ctx.socket(kind)
        s.linger = 0
        if kind == zmq.PUB or kind == zmq.XPUB:
            s.sndhwm = 0
        try:
            s.bind(address)
        except zmq.ZMQError as error:
            # A lost port race: say so as pyzmq does and leave at once (a plain exception
            # could leave the process hanging in zmq context teardown, silent).
            sys.stderr.write(f"zmq.error.ZMQError: {error} (addr='{address}')\n")
            sys.stderr.flush()
            os._exit(1)
        return s

    def _heartbeat(self):
        ctx_poll = zmq.Poller()
        ctx_poll.register(self.hb, zmq.POLLIN)
        while True:
            if dict(ctx_poll.poll(100)).get(self.hb) and self.hb_alive:
                self.hb.send_multipart(self.hb.recv_multipart())

    # -- sending ---------------------------------------------------------------------------
    def publish(self, msg_type, content, parent, **kwargs):
        if self.start_mode == "no_iopub":
            return None
        frames = self.session.frames(msg_type, content, parent, idents=[b"kernel.fake"], **kwargs)
        self.iopub.send_multipart(frames)
        return frames

    def reply(self, socket, idents, msg_type, content, parent):
        socket.send_multipart(self.session.frames(msg_type, content, parent, idents=idents))

    def stream(self, text, parent):
        return self.publish("stream", {"name": "stdout", "text": text}, parent)

    def status(self, state, parent):
        self.publish("status", {"execution_state": state}, parent)

    # -- receiving -------------------------------------------------------------------------
    @staticmethod
    def parse(frames):
        i = frames.index(DELIM)
        header, parent, metadata, content = (json.loads(f) for f in frames[i + 2 : i + 6])
        return frames[:i], header, content

    def serve(self):
        record(f"pid {os.getpid()}")
        if self.start_mode == "silent":
            while True:
                time.sleep(1)
        poller = zmq.Poller()
        for s in (self.shell, self.control, self.iopub):
            poller.register(s, zmq.POLLIN)
        while True:
            ready = dict(poller.poll())
            if self.iopub in ready:
                event = self.iopub.recv()
                # JEP 65: an XPUB sees each subscription and greets the new subscriber.
                if event[:1] == b"\x01":
                    self.publish("iopub_welcome", {"subscription": event[1:].decode()}, {})
            if self.control in ready:
                self.on_control(*self.parse(self.control.recv_multipart()))
            if self.shell in ready:
                self.on_shell(*self.parse(self.shell.recv_multipart()))

    def on_control(self, idents, header, content):
        kind = header["msg_type"]
        record(f"control {kind}")
        if kind == "shutdown_request":
            self.reply(self.control, idents, "shutdown_reply", {"status": "ok", "restart": False}, header)
            time.sleep(0.05)
            os._exit(0)
        if kind == "interrupt_request":
            self.interrupted = True
            self.reply(self.control, idents, "interrupt_reply", {"status": "ok"}, header)

    def on_shell(self, idents, header, content):
        kind = header["msg_type"]
        self.status("busy", header)
        if kind == "kernel_info_request":
            self.reply(self.shell, idents, "kernel_info_reply", {
                "status": "ok", "protocol_version": "5.3", "implementation": "fake",
                "implementation_version": "1.0", "banner": "fake kernel",
                "language_info": {"name": "python", "version": "3", "mimetype": "text/x-python",
                                  "file_extension": ".py"},
            }, header)
        elif kind == "execute_request":
            self.execute(idents, header, content)
        self.status("idle", header)

    def execute(self, idents, header, content):
        self.execution_count += 1
        code = content.get("code", "")
        word, _, rest = code.strip().partition(" ")
        self.publish("execute_input", {"code": code, "execution_count": self.execution_count}, header)
        reply = {"status": "ok", "execution_count": self.execution_count,
                 "user_expressions": {}, "payload": []}
        handler = getattr(self, "cmd_" + word, None)
        if handler is None:
            self.stream(code + "\n", header)
        else:
            result = handler(rest, header, idents)
            if result:
                reply = {**result, "execution_count": self.execution_count}
        if reply["status"] == "error":
            self.publish("error", {k: reply[k] for k in ("ename", "evalue", "traceback")}, header)
        self.reply(self.shell, idents, "execute_reply", reply, header)

    # -- cell commands ---------------------------------------------------------------------
    def cmd_echo(self, rest, parent, idents):
        self.stream(rest + "\n", parent)

    def cmd_env(self, rest, parent, idents):
        self.stream(os.environ.get(rest, "<unset>") + "\n", parent)

    def cmd_error(self, rest, parent, idents):
        return {"status": "error", "ename": "FakeError", "evalue": "as asked", "traceback": ["FakeError: as asked"]}

    def cmd_wrong_key(self, rest, parent, idents):
        self.publish("stream", {"name": "stdout", "text": "FORGED\n"}, parent, key=b"not-the-key")
        self.stream("after\n", parent)

    def cmd_replay(self, rest, parent, idents):
        frames = self.stream("once\n", parent)
        time.sleep(0.05)
        self.iopub.send_multipart(frames)

    def cmd_garbage(self, rest, parent, idents):
        good = self.session.frames("stream", {"name": "stdout", "text": "GARBAGE\n"}, parent)
        bad_utf8 = [b"\xff\xfe" if i == 5 else f for i, f in enumerate(good)]
        bad_utf8[1] = self.session.sign(bad_utf8[2:6])
        not_json = good[:5] + [b"{not json"]
        not_json[1] = self.session.sign(not_json[2:6])
        variants = [
            [b"no delimiter", b"at all"],
            good[:4],                                # truncated: too few frames
            [DELIM, b"abc"] + good[2:],              # signature too short
            [DELIM, b"Z" * 64] + good[2:],           # right length, not hex
            [DELIM, good[1][:-1] + (b"0" if good[1][-1:] != b"0" else b"1")] + good[2:],
            [DELIM, b""] + good[2:],                 # unsigned on a signed connection
            bad_utf8,                                # signed, but content is not UTF-8
            not_json,                                # signed, but content is not JSON
            [DELIM, b"0" * 64, b"x" * (100 << 10)] + good[3:],  # oversized header
        ]
        for frames in variants:
            self.iopub.send_multipart([b"kernel.fake"] + frames)
            self.shell.send_multipart(list(idents) + frames)
        self.stream("survived\n", parent)

    def cmd_wrong_types(self, rest, parent, idents):
        # Signed and well framed, but the content fields hold the wrong JSON types.
        for msg_type, content in [
            ("status", {"execution_state": 5}),
            ("stream", {"name": 3, "text": "BADNAME\n"}),
            ("stream", {"name": "stdout", "text": {"x": 1}}),
            ("display_data", {"data": "not a bundle", "metadata": {}}),
            ("execute_result", {"data": {}, "metadata": {}, "execution_count": "three"}),
            ("error", {"ename": [], "evalue": "v", "traceback": "not a list"}),
            ("clear_output", {"wait": "yes"}),
            ("execute_input", {"code": 1, "execution_count": {"n": 1}}),
        ]:
            self.publish(msg_type, content, parent)
        self.stream("survived\n", parent)
        return {"status": 7, "ename": {}, "traceback": 1}

    def cmd_die(self, rest, parent, idents):
        self.stream("dying\n", parent)
        time.sleep(0.3)
        record(f"killed {time.time()}")
        os.kill(os.getpid(), signal.SIGKILL)

    def cmd_hang(self, rest, parent, idents):
        self.stream("hanging\n", parent)
        while True:
            time.sleep(1)

    def cmd_hb_hang(self, rest, parent, idents):
        self.stream("hanging\n", parent)
        time.sleep(0.3)
        self.hb_alive = False
        record(f"hb_stopped {time.time()}")
        while True:
            time.sleep(1)

    def cmd_flood(self, rest, parent, idents):
        for i in range(int(rest)):
            self.stream(f"line {i}\n", parent)

    def cmd_wrong_parent(self, rest, parent, idents):
        other = {**parent, "msg_id": str(uuid.uuid4())}
        self.stream("stray\n", other)
        self.reply(self.shell, idents, "execute_reply", {"status": "error", "ename": "Stray", "evalue": "", "traceback": []}, other)
        self.status("idle", other)
        time.sleep(0.1)
        self.stream("mine\n", parent)

    def cmd_other_session(self, rest, parent, idents):
        foreign = {**parent, "session": str(uuid.uuid4())}
        self.stream("foreign\n", foreign)
        self.status("idle", foreign)
        time.sleep(0.1)
        self.stream("mine\n", parent)

    def cmd_sleep(self, rest, parent, idents):
        deadline = time.monotonic() + float(rest)
        try:
            while time.monotonic() < deadline:
                # Serve control while "busy", as a real kernel's control thread would.
                if self.control.poll(50):
                    self.on_control(*self.parse(self.control.recv_multipart()))
                if self.interrupted:
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            self.interrupted = False
            return {"status": "error", "ename": "KeyboardInterrupt", "evalue": "", "traceback": []}
        self.stream("slept\n", parent)


def main():
    connection_file = sys.argv[sys.argv.index("-f") + 1]

    def on_sigint(signum, frame):
        # Interrupts only the running "sleep" cell, like a kernel's KeyboardInterrupt.
        record("SIGINT")
        kernel.interrupted = True

    def on_sigterm(signum, frame):
        record("SIGTERM")
        sys.exit(0)

    kernel = FakeKernel(connection_file)
    signal.signal(signal.SIGINT, on_sigint)
    signal.signal(signal.SIGTERM, on_sigterm)
    kernel.serve()


if __name__ == "__main__":
    main()
