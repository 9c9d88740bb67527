"""The simulated phone behind the ADB server double.

A launcher, a settings-like app with four toggles, a clock app that adds alarms (kept in a
real SQLite file) and a contacts app (served through `content query`). Its UI is a widget
tree rendered both as uiautomator XML and as a PNG drawn with Pillow, and it reacts to the
same `input` commands a real phone does; `shell.py` answers the command lines the device
layer sends by acting on it. It is a test double: small, deterministic, honest.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import tempfile
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from xml.sax.saxutils import quoteattr

from PIL import Image, ImageDraw, ImageFont

from agentloop.envs.android import commands as C

W, H = 540, 960
ALARM_DB = "/data/data/com.google.android.deskclock/databases/alarms.db"
CONTACTS_URI = "content://contacts/phones/"
LAUNCHER = "com.google.android.apps.nexuslauncher"


class Screen(str, Enum):
    """The screens the phone can show; the last of `Phone.stack` is the one in front."""

    HOME = "home"
    SETTINGS = "settings"
    CLOCK = "clock"
    ALARM_EDIT = "alarm_edit"
    CONTACTS = "contacts"
    CONTACT_EDIT = "contact_edit"


# Each screen's title bar, and the package uiautomator reports for it.
TITLES: dict[Screen, tuple[str, str]] = {
    Screen.HOME: ("Home", LAUNCHER), Screen.SETTINGS: ("Settings", C.APPS["settings"]),
    Screen.CLOCK: ("Clock", C.APPS["clock"]), Screen.ALARM_EDIT: ("New alarm", C.APPS["clock"]),
    Screen.CONTACTS: ("Contacts", C.APPS["contacts"]), Screen.CONTACT_EDIT: ("Create contact", C.APPS["contacts"]),
}
# The apps installed on the phone (names as in `commands.APPS`) and the screen each opens on.
APP_SCREENS: dict[str, Screen] = {"settings": Screen.SETTINGS, "clock": Screen.CLOCK, "contacts": Screen.CONTACTS}
_SETTINGS_ROWS = [("Wi-Fi", "wifi"), ("Bluetooth", "bluetooth"), ("Airplane mode", "airplane"),
                  ("Dark theme", "dark_theme")]


@dataclass
class Widget:
    """One view of the phone's UI tree: its class, its box `[x, y, w, h]` in pixels, what it
    shows, its uiautomator flags and what tapping it does."""

    cls: str
    box: tuple[int, int, int, int]
    text: str = ""
    rid: str = ""
    desc: str = ""
    clickable: bool = False
    checkable: bool = False
    checked: bool = False
    focusable: bool = False
    focused: bool = False
    scrollable: bool = False
    on_tap: Callable[[], None] | None = None
    children: list[Widget] = field(default_factory=list)


class Phone:
    """State of the simulated device; every method is called under `lock` (the server's
    connections run on threads of their own)."""

    serial = "emulator-5554"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tmp = tempfile.mkdtemp(prefix="adb-double-")
        self.files: dict[str, str] = {}  # device path -> host path of real files
        self.settings: dict[tuple[str, str], str] = {
            ("global", "wifi_on"): "1", ("global", "bluetooth_on"): "0",
            ("global", "airplane_mode_on"): "0", ("secure", "ui_night_mode"): "1",
        }
        self.contacts: list[dict[str, str]] = []
        self.dirs: dict[str, set[str]] = {"/sdcard/Download": set()}
        self.stack: list[Screen] = [Screen.HOME]
        self.fields: dict[str, str] = {}
        self.focus: str | None = None
        self.cursor = 0  # where the focused field's caret is: text typed goes in there
        self.connected = True  # False: the server lists no device, as with none plugged in
        self.idle_failures = 0  # the next N `uiautomator dump` calls fail as on a busy device
        # The last shell commands received, so tests can see what a skill sent; bounded
        # because a double serving a long run would otherwise grow without end.
        self.log: deque[str] = deque(maxlen=1000)
        self.reset_alarm_db()

    def close(self) -> None:
        """Remove the device's files from the host."""
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- data ------------------------------------------------------------------------------
    def reset_alarm_db(self) -> None:
        path = os.path.join(self.tmp, "alarms.db")
        if os.path.exists(path):
            os.remove(path)
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE alarm_templates (_id INTEGER PRIMARY KEY, hour INTEGER,"
                       " minutes INTEGER, enabled INTEGER, label TEXT)")
        self.files[ALARM_DB] = path

    def alarms(self) -> list[tuple[int, int]]:
        with sqlite3.connect(self.files[ALARM_DB]) as db:
            return list(db.execute("SELECT hour, minutes FROM alarm_templates ORDER BY _id"))

    def toggle_is_on(self, toggle: str) -> bool:
        ns, key = C.TOGGLES[toggle]
        return C.toggle_value_is_on(toggle, self.settings.get((ns, key)))

    def set_toggle(self, toggle: str, on: bool) -> None:
        ns, key = C.TOGGLES[toggle]
        self.settings[(ns, key)] = ("2" if on else "1") if toggle == "dark_theme" else ("1" if on else "0")

    # ---- screens ---------------------------------------------------------------------------
    def screen(self) -> Widget:
        top = self.stack[-1]
        root = Widget("android.widget.FrameLayout", (0, 0, W, H))
        root.children.append(Widget("android.widget.TextView", (0, 0, W, 96), text=TITLES[top][0],
                                    rid="android:id/title"))
        scrolls = top in (Screen.SETTINGS, Screen.CONTACTS, Screen.CLOCK)
        root.children.append(Widget("android.widget.LinearLayout", (0, 96, W, H - 96), scrollable=scrolls,
                                    children=self._SCREENS[top](self)))
        return root

    def _home(self) -> list[Widget]:
        return [Widget("android.widget.TextView", (30 + i * 170, 700, 140, 140), text=name, desc=name,
                       clickable=True, on_tap=partial(self.open_app, app))
                for i, (name, app) in enumerate([("Settings", "settings"), ("Clock", "clock"), ("Contacts", "contacts")])]

    def _settings(self) -> list[Widget]:
        out = []
        for i, (label, key) in enumerate(_SETTINGS_ROWS):
            y, on, flip = 120 + i * 110, self.toggle_is_on(key), partial(self._flip, key)
            row = Widget("android.widget.LinearLayout", (0, y, W, 100), clickable=True, on_tap=flip)
            row.children = [
                Widget("android.widget.TextView", (30, y + 25, 350, 50), text=label, rid="android:id/title"),
                Widget("android.widget.Switch", (420, y + 25, 90, 50), rid="android:id/switch_widget",
                       text="ON" if on else "OFF", clickable=True, checkable=True, checked=on, on_tap=flip),
            ]
            out.append(row)
        return out

    def _list(self, items: list[str], rid: str = "") -> list[Widget]:
        return [Widget("android.widget.TextView", (30, 130 + i * 80, 480, 70), text=t, rid=rid)
                for i, t in enumerate(items[:6])]

    def _clock(self) -> list[Widget]:
        out = self._list([f"{h:02d}:{m:02d}" for h, m in self.alarms()], "com.google.android.deskclock:id/digital_clock")
        out.append(Widget("android.widget.Button", (180, 820, 180, 80), text="Add alarm", desc="Add alarm",
                          rid="com.google.android.deskclock:id/fab", clickable=True,
                          on_tap=partial(self._push, Screen.ALARM_EDIT)))
        return out

    def _contacts(self) -> list[Widget]:
        out = self._list([c["display_name"] for c in self.contacts])
        out.append(Widget("android.widget.Button", (180, 820, 180, 80), text="Create contact",
                          desc="Create contact", clickable=True, on_tap=partial(self._push, Screen.CONTACT_EDIT)))
        return out

    def _edit(self, fields: list[tuple[str, str]], save: Callable[[], bool]) -> list[Widget]:
        out = []
        for i, (label, key) in enumerate(fields):
            y = 140 + i * 130
            out.append(Widget("android.widget.TextView", (30, y, 480, 40), text=label))
            out.append(Widget("android.widget.EditText", (30, y + 45, 480, 65), text=self.fields.get(key, ""),
                              rid=f"double:id/{key}", clickable=True, focusable=True, focused=self.focus == key,
                              on_tap=partial(self._focus, key)))
        out.append(Widget("android.widget.Button", (300, 820, 210, 80), text="Save", rid="double:id/save",
                          clickable=True, on_tap=partial(self._saved, save)))
        return out

    def _alarm_edit(self) -> list[Widget]:
        return self._edit([("Hour", "hour"), ("Minute", "minute")], self.save_alarm)

    def _contact_edit(self) -> list[Widget]:
        return self._edit([("Name", "name"), ("Phone", "phone")], self.save_contact)

    _SCREENS: dict[Screen, Callable[[Phone], list[Widget]]] = {
        Screen.HOME: _home, Screen.SETTINGS: _settings, Screen.CLOCK: _clock, Screen.ALARM_EDIT: _alarm_edit,
        Screen.CONTACTS: _contacts, Screen.CONTACT_EDIT: _contact_edit,
    }

    # ---- what taps do ----------------------------------------------------------------------
    def packages(self) -> list[str]:
        """What `pm list packages` lists: the launcher, the installed apps and the contacts
        provider (a package with no screen)."""
        return sorted({LAUNCHER, "com.android.providers.contacts", *(C.APPS[a] for a in APP_SCREENS)})

    def open_app(self, app: str) -> None:
        self.stack, self.fields, self.focus = [Screen.HOME, APP_SCREENS[app]], {}, None

    def _push(self, screen: Screen) -> None:
        self.stack.append(screen)
        self.fields, self.focus = {}, None

    def _flip(self, toggle: str) -> None:
        self.set_toggle(toggle, not self.toggle_is_on(toggle))

    def _focus(self, key: str) -> None:
        self.focus = key

    def _saved(self, save: Callable[[], bool]) -> None:
        if save():  # a form the app refuses stays open, as in the real apps
            self.back()

    def save_alarm(self) -> bool:
        """Store the form's alarm; False when the app would refuse it."""
        try:
            hour, minute = int(self.fields.get("hour", "")), int(self.fields.get("minute", ""))
        except ValueError:
            return False  # the real app refuses an empty or non-numeric time, too
        if not (0 <= hour < 24 and 0 <= minute < 60):
            return False
        with sqlite3.connect(self.files[ALARM_DB]) as db:
            db.execute("INSERT INTO alarm_templates (hour, minutes, enabled, label) VALUES (?,?,1,'')",
                       (hour, minute))
        return True

    def save_contact(self) -> bool:
        """Store the form's contact; False without a name, which the real app requires."""
        if not self.fields.get("name"):
            return False
        self.contacts.append({"display_name": self.fields["name"], "number": self.fields.get("phone", "")})
        return True

    # ---- input -----------------------------------------------------------------------------
    def tap(self, x: int, y: int) -> None:
        hit = _deepest(self.screen(), x, y)
        if hit is not None and hit.on_tap is not None:
            hit.on_tap()
            if hit.cls.endswith("EditText") and self.focus is not None:
                self.cursor = _caret(hit, x)

    def type_text(self, value: str) -> None:
        if self.focus is not None:
            held, at = self.fields.get(self.focus, ""), min(self.cursor, len(self.fields.get(self.focus, "")))
            self.fields[self.focus], self.cursor = held[:at] + value + held[at:], at + len(value)

    def back(self) -> None:
        if len(self.stack) > 1:
            self.stack.pop()
        self.fields, self.focus = {}, None

    def key(self, code: int) -> None:
        if code == C.KEYCODES["home"]:
            self.stack, self.fields, self.focus = [Screen.HOME], {}, None
        elif code == C.KEYCODES["back"]:
            self.back()
        elif code == C.KEYCODES["del"] and self.focus:
            # Delete removes the character before the caret; at the start it does nothing.
            held, at = self.fields.get(self.focus, ""), min(self.cursor, len(self.fields.get(self.focus, "")))
            self.fields[self.focus], self.cursor = held[:max(0, at - 1)] + held[at:], max(0, at - 1)
        elif code == C.KEYCODES["move_end"] and self.focus:
            self.cursor = len(self.fields.get(self.focus, ""))
        elif code == C.KEYCODES["enter"]:
            self.focus = None

    # ---- rendering -------------------------------------------------------------------------
    def xml(self) -> str:
        parts = ["<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"]
        _xml(self.screen(), 0, TITLES[self.stack[-1]][1], parts)
        parts.append("</hierarchy>")
        return "".join(parts)

    def png(self) -> bytes:
        img = Image.new("RGB", (W, H), (250, 250, 250))
        _draw(self.screen(), ImageDraw.Draw(img))
        buf = io.BytesIO()
        img.save(buf, format="PNG", compress_level=1)
        return buf.getvalue()


def _deepest(w: Widget, x: int, y: int) -> Widget | None:
    """The innermost widget at (x, y) that reacts to a tap, as Android dispatches touches."""
    bx, by, bw, bh = w.box
    if not (bx <= x < bx + bw and by <= y < by + bh):
        return None
    for c in reversed(w.children):
        hit = _deepest(c, x, y)
        if hit is not None:
            return hit
    return w if w.on_tap is not None else None


def _caret(w: Widget, x: int) -> int:
    """Where a tap at x puts a field's caret: the character boundary nearest the finger in the
    text as drawn (from 10 px into the box), as Android places it; past the text, at its end."""
    font, start = ImageFont.load_default(), w.box[0] + 10
    return min(range(len(w.text) + 1), key=lambda i: abs(start + font.getlength(w.text[:i]) - x))


def _b(v: bool) -> str:
    return "true" if v else "false"


def _xml(w: Widget, index: int, pkg: str, out: list[str]) -> None:
    x, y, bw, bh = w.box
    out.append(
        f"<node index=\"{index}\" text={quoteattr(w.text)} resource-id={quoteattr(w.rid)} "
        f"class=\"{w.cls}\" package=\"{pkg}\" content-desc={quoteattr(w.desc)} "
        f"checkable=\"{_b(w.checkable)}\" checked=\"{_b(w.checked)}\" clickable=\"{_b(w.clickable)}\" "
        f"enabled=\"true\" focusable=\"{_b(w.focusable)}\" focused=\"{_b(w.focused)}\" "
        f"scrollable=\"{_b(w.scrollable)}\" long-clickable=\"false\" password=\"false\" "
        # uiautomator writes corners: the device's format, not the project's boxes.
        f"selected=\"false\" bounds=\"[{x},{y}][{x + bw},{y + bh}]\">"
    )
    for i, c in enumerate(w.children):
        _xml(c, i, pkg, out)
    out.append("</node>")


def _draw(w: Widget, d: ImageDraw.ImageDraw) -> None:
    x, y, bw, bh = w.box
    x1, y1, x2, y2 = x, y, x + bw, y + bh
    if w.cls.endswith("Switch"):
        d.rounded_rectangle((x1, y1, x2, y2), radius=20, fill=(26, 115, 232) if w.checked else (180, 180, 180))
        cx = x2 - 25 if w.checked else x1 + 25
        d.ellipse((cx - 18, y1 + 7, cx + 18, y2 - 7), fill=(255, 255, 255))
    elif w.cls.endswith("Button"):
        d.rounded_rectangle((x1, y1, x2, y2), radius=12, fill=(26, 115, 232))
        d.text((x1 + 16, y1 + 28), w.text, fill=(255, 255, 255))
    elif w.cls.endswith("EditText"):
        d.rectangle((x1, y1, x2, y2), outline=(26, 115, 232) if w.focused else (120, 120, 120), width=3)
        d.text((x1 + 10, y1 + 25), w.text, fill=(0, 0, 0))
    elif w.cls.endswith("TextView") and w.text:
        if w.rid == "android:id/title" and y1 == 0:
            d.rectangle((x1, y1, x2, y2), fill=(230, 236, 245))
        if w.clickable:
            d.rounded_rectangle((x1, y1, x2, y2), radius=16, fill=(220, 230, 250))
        d.text((x1 + 12, y1 + 14), w.text, fill=(20, 20, 20))
    for c in w.children:
        _draw(c, d)
