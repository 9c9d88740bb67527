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

import os
import socketserver
import stat
import struct
import threading
import time

from agentloop.envs.android.double.phone import Phone

VERSION = 41  # adb 1.0.41: clients then use host:tport:serial
TRANSPORT_ID = 1


class _Closed(Exception):
    pass


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
        try:
            self._serve()
        except (_Closed, ConnectionError, OSError):
            pass

    def _serve(self) -> None:
        phone = self.server.phone
        serial = phone.serial
        on_device = False
        while True:
            req = self._read(int(self._read(4), 16)).decode()
            if not on_device:
                if req == "host:version":
                    self._okay(self._block(f"{VERSION:04x}"))
                    return
                if req == "host:kill":
                    self._okay()
                    return
                if req in ("host:devices", "host:devices-l"):
                    line = f"{serial}\tdevice"
                    if req.endswith("-l"):
                        line = (f"{serial}          device product:sdk_phone model:agentloop_double "
                                f"device:double transport_id:{TRANSPORT_ID}")
                    self._okay(self._block(line + "\n" if phone.connected else ""))
                    return
                if req == "host:features" or req == f"host-serial:{serial}:features":
                    self._okay(self._block("cmd,stat_v2"))
                    return
                if req == f"host-serial:{serial}:get-state":
                    self._okay(self._block("device"))
                    return
                if req == f"host-serial:{serial}:get-serialno":
                    self._okay(self._block(serial))
                    return
                if req == f"host:tport:serial:{serial}" or req == "host:tport:any":
                    self._okay(struct.pack("<Q", TRANSPORT_ID))
                    on_device = True
                    continue
                if req in (f"host:transport:{serial}", "host:transport-any", f"host:transport-id:{TRANSPORT_ID}"):
                    self._okay()
                    on_device = True
                    continue
                if req.startswith(("host:transport", "host:tport", "host-serial:")):
                    self._fail(f"device '{req.rsplit(':', 1)[-1]}' not found")
                    return
                self._fail(f"unknown host service: {req}")
                return
            # ---- on the device transport ----
            if req.startswith(("shell:", "exec:")):
                out, _ = phone.shell(req.split(":", 1)[1])
                self._okay()
                self.request.sendall(out)
                return
            if req == "sync:":
                self._okay()
                self._sync()
                return
            self._fail(f"closed: unsupported service {req.split(':', 1)[0]}")
            return

    def _sync(self) -> None:
        phone = self.server.phone
        while True:
            cmd = self._read(4)
            n = struct.unpack("<I", self._read(4))[0]
            if cmd == b"QUIT":
                return
            path = self._read(n).decode()
            with phone.lock:
                host_path = phone.files.get(path)
                if cmd == b"STAT":
                    if host_path and os.path.exists(host_path):
                        st = os.stat(host_path)
                        self.request.sendall(b"STAT" + struct.pack("<III", stat.S_IFREG | 0o660, st.st_size, int(st.st_mtime)))
                    elif path.rstrip("/") in phone.dirs or any(p.startswith(path.rstrip("/") + "/") for p in phone.files):
                        self.request.sendall(b"STAT" + struct.pack("<III", stat.S_IFDIR | 0o771, 4096, int(time.time())))
                    else:
                        self.request.sendall(b"STAT" + struct.pack("<III", 0, 0, 0))
                elif cmd == b"LIST":
                    prefix = path.rstrip("/") + "/"
                    for p, hp in sorted(phone.files.items()):
                        if p.startswith(prefix) and "/" not in p[len(prefix):]:
                            name = p[len(prefix):].encode()
                            st = os.stat(hp)
                            self.request.sendall(b"DENT" + struct.pack("<IIII", stat.S_IFREG | 0o660, st.st_size, int(st.st_mtime), len(name)) + name)
                    self.request.sendall(b"DONE" + struct.pack("<IIII", 0, 0, 0, 0))
                elif cmd == b"RECV":
                    if not host_path or not os.path.exists(host_path):
                        msg = b"No such file or directory"
                        self.request.sendall(b"FAIL" + struct.pack("<I", len(msg)) + msg)
                        return
                    with open(host_path, "rb") as f:
                        while chunk := f.read(64 * 1024):
                            self.request.sendall(b"DATA" + struct.pack("<I", len(chunk)) + chunk)
                    self.request.sendall(b"DONE" + struct.pack("<I", 0))
                elif cmd == b"SEND":
                    dev_path = path.rsplit(",", 1)[0]
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
                else:
                    msg = f"unknown sync command {cmd!r}".encode()
                    self.request.sendall(b"FAIL" + struct.pack("<I", len(msg)) + msg)
                    return


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
