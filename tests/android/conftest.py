import pytest

from agentloop.envs.android.double import AdbServerDouble


@pytest.fixture
def adb_double():
    """A fresh ADB server double (with a fresh simulated phone) on a free loopback port."""
    with AdbServerDouble(0) as srv:
        yield srv
