"""The ADB server double: a TCP server on loopback speaking the adb host protocol.

It stands where `adb start-server` would listen (default port 5037) and serves one simulated
device (`phone.Phone`). Requests are framed as the real server frames them: four hex digits of
length, then the service name; replies start with `OKAY` or `FAIL` + a length-prefixed message.
Services: `host:version`, `host:devices`, `host:devices-l`, `host:features`,
`host:transport:<serial>`, `host:transport-any`, `host:tport:serial:<serial>` (replies OKAY
plus the 8-byte transport id), `host-serial:<serial>:<cmd>`, then on the device transport
`shell:<cmd>`, `exec:<cmd>`, and `sync:` with STAT/LIST/RECV/SEND/DATA/DONE/QUIT framing.
"""

from __future__ import annotations

import contextlib
import os
import socketserver
import stat
import struct
import threading
import time

from agentloop.envs.android.double import shell
from agentloop.envs.android.double.phone import Phone

VERSION = 41  # adb 1.0.41: clients then use host:tport:serial
TRANSPORT_ID = 1


class _Closed(Exception):
    """The client hung up mid-request."""


class _Handler(socketserver.BaseRequestHandler):
    server: AdbServerDouble

    def _read(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                raise _Closed()
            buf += chunk
        return buf

    def _okay(self, payload: bytes = b"") -> None:
        self.request.sendall(b"OKAY" + payload)

    def _fail(self, msg: str) -> None:
        data = msg.encode()
        self.request.sendall(b"FAIL" + f"{len(data):04x}".encode() + data)

    @staticmethod
    def _block(text: str) -> bytes:
        data = text.encode()
        return f"{len(data):04x}".encode() + data

    def handle(self) -> None:
        # A client that hangs up ends its connection, never the server.
        with contextlib.suppress(_Closed, ConnectionError, OSError):
            self._serve()

    def _request(self) -> str:
        return self._read(int(self._read(4), 16)).decode()

    def _serve(self) -> None:
        # One host service per connection, except that a transport switch is followed by
        # one service on the device, as the real server does it.
        if self._host(self._request()):
            self._device(self._request())

    def _host(self, req: str) -> bool:
        """Answer a host service; True when it switched this connection to the device."""
        phone = self.server.phone
        serial = phone.serial
        if req in (f"host:tport:serial:{serial}", "host:tport:any"):
            self._okay(struct.pack("<Q", TRANSPORT_ID))
            return True
        if req in (f"host:transport:{serial}", "host:transport-any", f"host:transport-id:{TRANSPORT_ID}"):
            self._okay()
            return True
        if req == "host:kill":
            self._okay()
            return False
        devices = {
            "host:devices": f"{serial}\tdevice\n",
            "host:devices-l": (f"{serial}          device product:sdk_phone model:agentloop_double "
                               f"device:double transport_id:{TRANSPORT_ID}\n"),
        }
        replies = {
            "host:version": f"{VERSION:04x}", "host:features": "cmd,stat_v2",
            f"host-serial:{serial}:features": "cmd,stat_v2", f"host-serial:{serial}:get-state": "device",
            f"host-serial:{serial}:get-serialno": serial,
            # An unplugged phone: the server answers, with an empty device list.
            **{k: v if phone.connected else "" for k, v in devices.items()},
        }
        if req in replies:
            self._okay(self._block(replies[req]))
        elif req.startswith(("host:transport", "host:tport", "host-serial:")):
            self._fail(f"device '{req.rsplit(':', 1)[-1]}' not found")
        else:
            self._fail(f"unknown host service: {req}")
        return False

    def _device(self, req: str) -> None:
        """Answer one service on the device's transport."""
        if req.startswith(("shell:", "exec:")):
            out, _ = shell.run(self.server.phone, req.split(":", 1)[1])
            self._okay()
            self.request.sendall(out)
        elif req == "sync:":
            self._okay()
            self._sync()
        else:
            self._fail(f"closed: unsupported service {req.split(':', 1)[0]}")

    def _sync(self) -> None:
        """Serve sync requests until QUIT, or until one fails (the client then hangs up)."""
        verbs = {b"STAT": self._stat, b"LIST": self._list, b"RECV": self._recv, b"SEND": self._send}
        while True:
            cmd = self._read(4)
            n = struct.unpack("<I", self._read(4))[0]
            if cmd == b"QUIT":
                return
            path = self._read(n).decode()
            verb = verbs.get(cmd)
            if verb is None:
                msg = f"unknown sync command {cmd!r}".encode()
                self.request.sendall(b"FAIL" + struct.pack("<I", len(msg)) + msg)
                return
            with self.server.phone.lock:
                if not verb(path):
                    return

    def _stat(self, path: str) -> bool:
        phone = self.server.phone
        host_path = phone.files.get(path)
        folder = path.rstrip("/")
        if host_path and os.path.exists(host_path):
            st = os.stat(host_path)
            mode, size, mtime = stat.S_IFREG | 0o660, st.st_size, int(st.st_mtime)
        elif folder in phone.dirs or any(p.startswith(folder + "/") for p in phone.files):
            mode, size, mtime = stat.S_IFDIR | 0o771, 4096, int(time.time())
        else:
            mode = size = mtime = 0  # adb's answer for a path that does not exist
        self.request.sendall(b"STAT" + struct.pack("<III", mode, size, mtime))
        return True

    def _list(self, path: str) -> bool:
        prefix = path.rstrip("/") + "/"
        for p, hp in sorted(self.server.phone.files.items()):
            if p.startswith(prefix) and "/" not in p[len(prefix):]:
                name = p[len(prefix):].encode()
                st = os.stat(hp)
                head = struct.pack("<IIII", stat.S_IFREG | 0o660, st.st_size, int(st.st_mtime), len(name))
                self.request.sendall(b"DENT" + head + name)
        self.request.sendall(b"DONE" + struct.pack("<IIII", 0, 0, 0, 0))
        return True

    def _recv(self, path: str) -> bool:
        host_path = self.server.phone.files.get(path)
        if not host_path or not os.path.exists(host_path):
            msg = b"No such file or directory"
            self.request.sendall(b"FAIL" + struct.pack("<I", len(msg)) + msg)
            return False
        with open(host_path, "rb") as f:
            while chunk := f.read(64 * 1024):
                self.request.sendall(b"DATA" + struct.pack("<I", len(chunk)) + chunk)
        self.request.sendall(b"DONE" + struct.pack("<I", 0))
        return True

    def _send(self, path: str) -> bool:
        phone = self.server.phone
        dev_path = path.rsplit(",", 1)[0]  # SEND names the path and the mode: "path,0644"
        data = b""
        while True:
            kind = self._read(4)
            size = struct.unpack("<I", self._read(4))[0]
            if kind == b"DONE":
                break
            data += self._read(size)
        target = os.path.join(phone.tmp, "pushed_" + dev_path.strip("/").replace("/", "_"))
        with open(target, "wb") as f:
            f.write(data)
        phone.files[dev_path] = target
        self.request.sendall(b"OKAY" + struct.pack("<I", 0))
        return True


class AdbServerDouble(socketserver.ThreadingTCPServer):
    """Serve a simulated phone on 127.0.0.1:`port` (0 picks a free port)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0, phone: Phone | None = None):
        self.phone = phone or Phone()
        super().__init__(("127.0.0.1", port), _Handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> AdbServerDouble:
        self._thread = threading.Thread(target=self.serve_forever, name="adb-double", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.phone.close()

    def __enter__(self) -> AdbServerDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
