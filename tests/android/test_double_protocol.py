"""adbutils' own client code, end to end, against the ADB server double."""

import sqlite3

import adbutils
import numpy as np
import pytest

from agentloop.envs.android import commands as C
from agentloop.envs.android.device import AndroidDevice, DeviceError
from agentloop.envs.android.double import shell
from agentloop.envs.android.double.phone import Phone, Screen


def test_devices_version_shell_screencap_and_sync_pull(adb_double, tmp_path):
    client = adbutils.AdbClient("127.0.0.1", adb_double.port)
    assert client.server_version() == 41
    assert [d.serial for d in client.list()] == ["emulator-5554"]
    assert client.list(extended=True)[0].tags["model"] == "agentloop_double"
    dev = client.device()
    assert dev.shell(C.settings_get("global", "wifi_on")) == "1"
    assert dev.shell2("settings get global bluetooth_on").returncode == 0
    img = dev.screenshot()
    assert img.size == (540, 960)
    # a SQLite database pulled over sync: after an alarm is saved through taps, it is there
    adb_double.phone.stack = [Screen.HOME, Screen.CLOCK, Screen.ALARM_EDIT]
    adb_double.phone.fields = {"hour": "6", "minute": "5"}
    assert adb_double.phone.save_alarm()
    dst = tmp_path / "alarms.db"
    dev.sync.pull("/data/data/com.google.android.deskclock/databases/alarms.db", str(dst))
    with sqlite3.connect(dst) as db:
        assert list(db.execute("SELECT hour, minutes FROM alarm_templates")) == [(6, 5)]
    assert dev.sync.stat("/data/data/com.google.android.deskclock/databases/alarms.db").size == dst.stat().st_size
    dev.sync.push(b"hello", "/sdcard/Download/note.txt")
    assert dev.sync.read_text("/sdcard/Download/note.txt") == "hello"


def test_unknown_serial_and_no_device_give_one_line_errors(adb_double):
    with pytest.raises(DeviceError, match="not connected"):
        AndroidDevice("emulator-9999", port=adb_double.port)
    adb_double.phone.connected = False
    with pytest.raises(DeviceError, match="no Android device connected") as e:
        AndroidDevice(port=adb_double.port)
    assert "\n" not in str(e.value)


def test_device_layer_taps_change_ui_and_state(adb_double):
    d = AndroidDevice(port=adb_double.port)
    d.launch(C.APPS["settings"])
    assert "Wi-Fi" in d.ui_xml()
    before = d.screenshot()
    d.tap(465, 120 + 50)  # the Wi-Fi switch
    assert d.setting("global", "wifi_on") == "0"
    assert not np.array_equal(before, d.screenshot())
    with pytest.raises(DeviceError, match="cannot launch"):
        d.launch("com.example.absent")


def test_uiautomator_idle_state_is_retried(adb_double):
    adb_double.phone.idle_failures = 2
    d = AndroidDevice(port=adb_double.port, retry_delay=0.01)
    assert "<hierarchy" in d.ui_xml()
    d.close()
    adb_double.phone.idle_failures = 10
    with pytest.raises(DeviceError, match="could not get idle state"):
        AndroidDevice(port=adb_double.port, retry_delay=0.01, dump_retries=3).ui_xml()


def test_content_query_round_trip():
    rows = C.parse_content_rows(C.format_content_rows([{"display_name": "Lovelace, Ada", "number": "555 0100"}]))
    assert rows[0].values == {"display_name": "Lovelace, Ada", "number": "555 0100"}
    assert C.parse_content_rows("No result found.") == []
    assert C.parse_input(C.text("Ada Lovelace")).text == "Ada Lovelace"


def test_every_command_the_device_layer_formats_is_understood_by_the_double():
    phone = Phone()
    cmds = [C.tap(10, 10), C.swipe(1, 2, 3, 4), C.long_press(5, 5), C.text("a b"), C.keyevent("back"),
            C.launch(C.APPS["settings"]), C.dump_ui(), C.cat(C.DUMP_PATH), C.settings_get("global", "wifi_on"),
            C.settings_put("system", "screen_brightness", "7"), C.content_query("content://contacts/phones/", ["number"]),
            C.clear_app(C.APPS["clock"]), C.list_dir("/sdcard/Download"), C.list_packages(),
            C.dump_ui(C.dump_path("own")), C.cat(C.dump_path("own")), C.remove_file(C.dump_path("own"))]
    cmds += list(C.unset_toggle_commands())
    try:
        for cmd in cmds:
            out, rc = shell.run(phone, cmd)
            assert rc == 0, (cmd, out)
        assert phone.settings[("system", "screen_brightness")] == "7"
        listed = C.parse_packages(shell.run(phone, C.list_packages())[0].decode())
        assert C.app_names(listed) == ["settings", "clock", "contacts"]
        assert C.parse_settings_value(shell.run(phone, C.settings_get("global", "nope"))[0].decode()) is None
    finally:
        phone.close()


def test_the_double_answers_what_it_cannot_do_as_a_shell_would():
    phone = Phone()
    try:
        assert shell.run(phone, "reboot") == (b"/system/bin/sh: reboot: not found\n", 127)
        out, rc = shell.run(phone, "input roll 1 2")
        assert rc == 1 and b"not understood" in out
        out, rc = shell.run(phone, "settings get global wifi_on; echo X4EXIT:$?")
        assert (out, rc) == (b"1\nX4EXIT:0\n", 0)  # adbutils' exit-code probe
        assert shell.run(phone, C.launch("com.example.absent"))[1] == 251
    finally:
        phone.close()


def test_a_refused_form_stays_open_and_a_saved_one_closes():
    phone = Phone()
    try:
        phone.open_app("clock")
        phone.tap(270, 860)  # Add alarm
        assert phone.stack[-1] is Screen.ALARM_EDIT
        phone.tap(405, 860)  # Save with no time: the app refuses
        assert phone.stack[-1] is Screen.ALARM_EDIT and phone.alarms() == []
        phone.tap(270, 217)  # the Hour field
        phone.type_text("7")
        phone.tap(270, 347)  # the Minute field
        phone.type_text("30")
        phone.tap(405, 860)
        assert phone.stack[-1] is Screen.CLOCK and phone.alarms() == [(7, 30)]
    finally:
        phone.close()
