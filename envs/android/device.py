"""The device layer: one Android device reached through an adb server, via `adbutils`.

Every command string and every parser comes from `commands`, the module the ADB server
double shares, so what the tests exercise is exactly what a phone receives.

One env drives a device at a time. Two envs on one phone (threads of a run, its worker
processes, sessions of `agentloop serve`) would interleave their taps, reset the phone under
each other's episodes and score each other's work, silently. So an `AndroidDevice` claims its
device, by an exclusive lock on a file named after the adb server and the serial, held until
`close()` (or until its process ends): a second connection to the same device on this host
fails at once with `DeviceBusy`, naming the holder. It refuses rather than queues: a queued
env would wait out another's whole episode (or serve session) with no bound, and an episode's
outcome would still depend on the one before it. Each connection also dumps the window to a
file of its own on the device, so nothing else dumping there (a person's `adb`, a tool on
another host) overwrites a hierarchy between its dump and its read.
"""

from __future__ import annotations

import datetime
import fcntl
import io
import os
import re
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image

from agentloop.envs.android import commands as C
from agentloop.errors import AgentLoopError


class DeviceError(AgentLoopError):
    """The device could not be reached or did not do what was asked."""


class DeviceBusy(DeviceError):
    """Another env on this host drives the device already."""


def claim(host: str, port: int, serial: str) -> IO[str]:
    """The lock that makes this connection the device's only driver on this host (released
    when the returned file is closed, or the process ends); `DeviceBusy` if it is taken."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{host}-{port}-{serial}")
    f = open(Path(tempfile.gettempdir()) / f"agentloop-android-{name}.lock", "a+", encoding="utf-8")  # noqa: SIM115
    try:
        # flock, not fcntl's record locks: each open file is locked apart, so two envs of one
        # process (threads, served sessions) exclude each other as two processes do.
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        holder = f.read().strip() or "another env"
        f.close()
        raise DeviceBusy(
            f"device {serial} (adb server {host}:{port}) is driven by {holder}; one env drives a device at a "
            "time: give each env its own device (serial=..., ANDROID_SERIAL) or run one episode at a time "
            "(--concurrency 1, --workers 1)") from None
    f.truncate(0)
    f.write(f"process {os.getpid()}, thread {threading.current_thread().name}, since "
            f"{datetime.datetime.now(datetime.timezone.utc):%H:%M:%S} UTC")
    f.flush()
    return f


class AndroidDevice:
    """Connect by serial (or to the only device) on the adb server at host:port.

    Defaults follow adb's own environment: `ANDROID_ADB_SERVER_HOST`,
    `ANDROID_ADB_SERVER_PORT` (5037) and `ANDROID_SERIAL`. As with the `adb` command, when no
    server listens adbutils runs `adb start-server` (its bundled binary) before giving up."""

    def __init__(self, serial: str | None = None, host: str | None = None, port: int | None = None,
                 dump_retries: int = 5, retry_delay: float = 0.3, use_uiautomator2: bool = False):
        import adbutils  # imported here so registering the env does not need adbutils

        self.host = host or os.environ.get("ANDROID_ADB_SERVER_HOST", "127.0.0.1")
        self.port = int(port or os.environ.get("ANDROID_ADB_SERVER_PORT") or 5037)
        serial = serial or os.environ.get("ANDROID_SERIAL") or None
        self.dump_retries, self.retry_delay = dump_retries, retry_delay
        self._client = adbutils.AdbClient(host=self.host, port=self.port, socket_timeout=30)
        try:
            devices = [d.serial for d in self._client.list() if d.state == "device"]
        except Exception as e:
            raise DeviceError(f"no adb server at {self.host}:{self.port} ({e}); run `adb start-server`, "
                              "or start the double: python -m agentloop.envs.android.double") from e
        if not devices:
            raise DeviceError(f"no Android device connected to the adb server at {self.host}:{self.port}; "
                              "start an emulator or plug a phone in (check `adb devices`)")
        if serial is None:
            if len(devices) > 1:
                raise DeviceError(f"several devices connected ({', '.join(devices)}); set ANDROID_SERIAL")
            serial = devices[0]
        elif serial not in devices:
            raise DeviceError(f"device {serial!r} is not connected (connected: {', '.join(devices)})")
        self.serial = serial
        self._claim: IO[str] | None = claim(self.host, self.port, serial)
        self.dump_path = C.dump_path(uuid.uuid4().hex[:12])  # this connection's own dump file
        self._dev = self._client.device(serial)
        self._u2 = None
        if use_uiautomator2:
            try:  # optional faster hierarchy dumps through the uiautomator2 agent
                import uiautomator2

                self._u2 = uiautomator2.connect(serial)
            except Exception:
                self._u2 = None

    def close(self) -> None:
        """Remove this connection's dump file from the device and give the device up."""
        if self._claim is None:
            return
        try:
            self.shell(C.remove_file(self.dump_path))
        except DeviceError:
            pass  # the device went away: nothing left to tidy there
        finally:
            self._claim.close()
            self._claim = None

    # ---- raw -------------------------------------------------------------------------------
    def shell(self, cmd: str) -> str:
        try:
            return self._dev.shell(cmd)
        except Exception as e:
            raise DeviceError(f"adb shell {cmd!r} failed on {self.serial}: {e}") from e

    def shell_status(self, cmd: str) -> tuple[str, int]:
        try:
            r = self._dev.shell2(cmd)
        except Exception as e:
            raise DeviceError(f"adb shell {cmd!r} failed on {self.serial}: {e}") from e
        return r.output, r.returncode

    # ---- perception ------------------------------------------------------------------------
    def screenshot(self) -> np.ndarray:
        try:
            png = self._dev.shell(["screencap", "-p"], encoding=None)
            return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
        except Exception as e:
            raise DeviceError(f"screencap failed on {self.serial}: {e}") from e

    def ui_xml(self) -> str:
        """The window hierarchy; retries while uiautomator cannot get an idle state
        (animations, a busy UI thread), which is normal on a real device."""
        if self._u2 is not None:
            return self._u2.dump_hierarchy()
        last = ""
        for attempt in range(self.dump_retries):
            out = self.shell(C.dump_ui(self.dump_path))
            path = C.dumped_path(out)
            if path is not None:
                return self.shell(C.cat(path))
            last = out.strip()
            if not C.is_idle_error(out):
                break
            time.sleep(self.retry_delay * (attempt + 1))
        raise DeviceError(f"uiautomator dump failed on {self.serial}: {last or 'no output'}")

    # ---- acting ----------------------------------------------------------------------------
    def tap(self, x: int, y: int) -> None:
        self.shell(C.tap(x, y))

    def long_press(self, x: int, y: int, duration_ms: int = 800) -> None:
        self.shell(C.long_press(x, y, duration_ms))

    def swipe(self, x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> None:
        self.shell(C.swipe(x1, y1, x2, y2, duration_ms))

    def text(self, value: str) -> None:
        self.shell(C.text(value))

    def key(self, *names: str) -> None:
        """Press these keys in turn (`KEYCODES`' names), in one shell command."""
        self.shell(C.keyevent(*names))

    def launch(self, package: str) -> None:
        out, rc = self.shell_status(C.launch(package))
        if rc != 0 or "No activities found" in out:
            raise DeviceError(f"cannot launch {package}: {out.strip()}")

    # ---- device state ----------------------------------------------------------------------
    def packages(self) -> set[str]:
        """The packages installed on the device (`pm list packages`)."""
        return C.parse_packages(self.shell(C.list_packages()))

    def setting(self, namespace: str, key: str) -> str | None:
        return C.parse_settings_value(self.shell(C.settings_get(namespace, key)))

    def content_query(self, uri: str, projection: list[str] | None = None) -> list[C.ContentRow]:
        return C.parse_content_rows(self.shell(C.content_query(uri, projection)))

    def pull(self, device_path: str, local: str | Path) -> Path:
        """Copy a file (e.g. an app's SQLite database) to the host through adb sync."""
        try:
            self._dev.sync.pull(device_path, str(local))
        except Exception as e:
            raise DeviceError(f"cannot pull {device_path} from {self.serial}: {e}") from e
        return Path(local)
