"""`python -m agentloop.envs.android.double --port 5038`: serve the ADB server double."""

from __future__ import annotations

import argparse
import signal
import sys

from agentloop.envs.android.double.server import AdbServerDouble


def main() -> None:
    p = argparse.ArgumentParser(description="ADB server double with a simulated phone (for tests and demos)")
    p.add_argument("--port", type=int, default=5038, help="loopback port to listen on (real adb uses 5037)")
    a = p.parse_args()
    srv = AdbServerDouble(a.port)
    print(f"ADB server double on 127.0.0.1:{srv.port}, device {srv.phone.serial}; "
          f"use ANDROID_ADB_SERVER_PORT={srv.port}", flush=True)
    # SIGTERM (how test harnesses and service managers stop it) ends it like Ctrl-C, so the
    # simulated device's files are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()
        srv.phone.close()


if __name__ == "__main__":
    main()
