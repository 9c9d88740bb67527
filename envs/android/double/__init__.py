"""A test double for the edge this machine cannot reach: an adb server with a phone behind it.

`AdbServerDouble` speaks the real adb host protocol on loopback, so adbutils' own client code
runs unchanged against it. Start one from the command line with
`python -m agentloop.envs.android.double --port 5038`.
"""

from agentloop.envs.android.double.phone import Phone
from agentloop.envs.android.double.server import AdbServerDouble

__all__ = ["AdbServerDouble", "Phone"]
