"""The simulated phone behind the ADB server double.

A launcher, a settings-like app with four toggles, a clock app that adds alarms (kept in a
real SQLite file) and a contacts app (served through `content query`). Its UI is a widget
tree rendered both as uiautomator XML and as a PNG drawn with Pillow, and it reacts to the
same `input` commands a real phone does. It is a test double: small, deterministic, honest.
"""

from __future__ import annotations

import io
import os
import shlex
import shutil
import sqlite3
import tempfile
import threading
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from PIL import Image, ImageDraw

from agentloop.envs.android import commands as C

W, H = 540, 960
ALARM_DB = "/data/data/com.google.android.deskclock/databases/alarms.db"
CONTACTS_URI = "content://contacts/phones/"


@dataclass
class Widget:
    cls: str
    bounds: tuple[int, int, int, int]
    text: str = ""
    rid: str = ""
    desc: str = ""
    clickable: bool = False
    checkable: bool = False
    checked: bool = False
    focusable: bool = False
    focused: bool = False
    scrollable: bool = False
    action: str = ""  # what a tap does, e.g. "toggle:wifi", "open:settings"
    children: list[Widget] = field(default_factory=list)


class Phone:
    """State of the simulated device; every method is called under `lock`."""

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
        self.stack: list[str] = ["home"]
        self.fields: dict[str, str] = {}
        self.focus: str | None = None
        self.connected = True  # False: the server lists no device, as with none plugged in
        self.idle_failures = 0  # the next N `uiautomator dump` calls fail as on a busy device
        self._reset_alarm_db()

    def close(self) -> None:
        """Remove the device's files from the host."""
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- data ------------------------------------------------------------------------------
    def _reset_alarm_db(self) -> None:
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

    # ---- screens ---------------------------------------------------------------------------
    def screen(self) -> Widget:
        top = self.stack[-1]
        pkg_title = {"home": "Home", "settings": "Settings", "clock": "Clock",
                     "alarm_edit": "New alarm", "contacts": "Contacts", "contact_edit": "Create contact"}
        root = Widget("android.widget.FrameLayout", (0, 0, W, H))
        root.children.append(Widget("android.widget.TextView", (0, 0, W, 96), text=pkg_title[top],
                                    rid="android:id/title"))
        body = getattr(self, f"_screen_{top}")()
        root.children.append(Widget("android.widget.LinearLayout", (0, 96, W, H),
                                    scrollable=top in ("settings", "contacts", "clock"), children=body))
        return root

    def _screen_home(self) -> list[Widget]:
        out = []
        for i, (name, app) in enumerate([("Settings", "settings"), ("Clock", "clock"), ("Contacts", "contacts")]):
            x = 30 + i * 170
            out.append(Widget("android.widget.TextView", (x, 700, x + 140, 840), text=name, desc=name,
                              clickable=True, action=f"open:{app}"))
        return out

    def _screen_settings(self) -> list[Widget]:
        rows = [("Wi-Fi", "wifi"), ("Bluetooth", "bluetooth"), ("Airplane mode", "airplane"),
                ("Dark theme", "dark_theme")]
        out = []
        for i, (label, key) in enumerate(rows):
            y = 120 + i * 110
            ns, k = C.TOGGLES[key]
            on = C.toggle_value_is_on(key, self.settings.get((ns, k)))
            row = Widget("android.widget.LinearLayout", (0, y, W, y + 100), clickable=True,
                         action=f"toggle:{key}")
            row.children = [
                Widget("android.widget.TextView", (30, y + 25, 380, y + 75), text=label,
                       rid="android:id/title"),
                Widget("android.widget.Switch", (420, y + 25, 510, y + 75), rid="android:id/switch_widget",
                       text="ON" if on else "OFF", clickable=True, checkable=True, checked=on,
                       action=f"toggle:{key}"),
            ]
            out.append(row)
        return out

    def _screen_clock(self) -> list[Widget]:
        out = [Widget("android.widget.TextView", (30, 130 + i * 80, 510, 200 + i * 80),
                      text=f"{h:02d}:{m:02d}", rid="com.google.android.deskclock:id/digital_clock")
               for i, (h, m) in enumerate(self.alarms()[:6])]
        out.append(Widget("android.widget.Button", (180, 820, 360, 900), text="Add alarm",
                          desc="Add alarm", rid="com.google.android.deskclock:id/fab",
                          clickable=True, action="push:alarm_edit"))
        return out

    def _edit(self, fields: list[tuple[str, str]], save: str) -> list[Widget]:
        out = []
        for i, (label, key) in enumerate(fields):
            y = 140 + i * 130
            out.append(Widget("android.widget.TextView", (30, y, 510, y + 40), text=label))
            out.append(Widget("android.widget.EditText", (30, y + 45, 510, y + 110),
                              text=self.fields.get(key, ""), rid=f"double:id/{key}", clickable=True,
                              focusable=True, focused=self.focus == key, action=f"focus:{key}"))
        out.append(Widget("android.widget.Button", (300, 820, 510, 900), text="Save",
                          rid="double:id/save", clickable=True, action=save))
        return out

    def _screen_alarm_edit(self) -> list[Widget]:
        return self._edit([("Hour", "hour"), ("Minute", "minute")], "save:alarm")

    def _screen_contacts(self) -> list[Widget]:
        out = [Widget("android.widget.TextView", (30, 130 + i * 80, 510, 200 + i * 80),
                      text=c["display_name"]) for i, c in enumerate(self.contacts[:6])]
        out.append(Widget("android.widget.Button", (180, 820, 360, 900), text="Create contact",
                          desc="Create contact", clickable=True, action="push:contact_edit"))
        return out

    def _screen_contact_edit(self) -> list[Widget]:
        return self._edit([("Name", "name"), ("Phone", "phone")], "save:contact")

    # ---- input -----------------------------------------------------------------------------
    def tap(self, x: int, y: int) -> None:
        hit = _deepest(self.screen(), x, y)
        if hit is None or not hit.action:
            return
        verb, arg = hit.action.split(":", 1)
        if verb == "open":
            self.stack = ["home", arg]
        elif verb == "push":
            self.stack.append(arg)
            self.fields, self.focus = {}, None
        elif verb == "toggle":
            ns, k = C.TOGGLES[arg]
            on = C.toggle_value_is_on(arg, self.settings.get((ns, k)))
            self._set_toggle(arg, not on)
        elif verb == "focus":
            self.focus = arg
        elif verb == "save":
            self._save(arg)

    def _set_toggle(self, toggle: str, on: bool) -> None:
        ns, k = C.TOGGLES[toggle]
        self.settings[(ns, k)] = ("2" if on else "1") if toggle == "dark_theme" else ("1" if on else "0")

    def _save(self, what: str) -> None:
        f = self.fields
        if what == "alarm":
            try:
                hour, minute = int(f.get("hour", "")), int(f.get("minute", ""))
            except ValueError:
                return  # the real app refuses an empty or non-numeric time, too
            if not (0 <= hour < 24 and 0 <= minute < 60):
                return
            with sqlite3.connect(self.files[ALARM_DB]) as db:
                db.execute("INSERT INTO alarm_templates (hour, minutes, enabled, label) VALUES (?,?,1,'')",
                           (hour, minute))
        elif what == "contact":
            if not f.get("name"):
                return
            self.contacts.append({"display_name": f["name"], "number": f.get("phone", "")})
        self.back()

    def type_text(self, value: str) -> None:
        if self.focus is not None:
            self.fields[self.focus] = self.fields.get(self.focus, "") + value

    def back(self) -> None:
        if len(self.stack) > 1:
            self.stack.pop()
        self.fields, self.focus = {}, None

    def key(self, code: int) -> None:
        if code == C.KEYCODES["home"]:
            self.stack, self.fields, self.focus = ["home"], {}, None
        elif code == C.KEYCODES["back"]:
            self.back()
        elif code == C.KEYCODES["del"] and self.focus:
            self.fields[self.focus] = self.fields.get(self.focus, "")[:-1]
        elif code == C.KEYCODES["enter"]:
            self.focus = None

    # ---- rendering -------------------------------------------------------------------------
    def xml(self) -> str:
        pkg = {"home": "com.google.android.apps.nexuslauncher", "settings": C.APPS["settings"],
               "clock": C.APPS["clock"], "alarm_edit": C.APPS["clock"], "contacts": C.APPS["contacts"],
               "contact_edit": C.APPS["contacts"]}[self.stack[-1]]
        parts = ["<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"]
        _xml(self.screen(), 0, pkg, parts)
        parts.append("</hierarchy>")
        return "".join(parts)

    def png(self) -> bytes:
        img = Image.new("RGB", (W, H), (250, 250, 250))
        d = ImageDraw.Draw(img)
        _draw(self.screen(), d)
        buf = io.BytesIO()
        img.save(buf, format="PNG", compress_level=1)
        return buf.getvalue()

    # ---- shell -----------------------------------------------------------------------------
    def shell(self, cmd: str) -> tuple[bytes, int]:
        """Run one shell command line; returns (output, exit status)."""
        with self.lock:
            outs, rc = [], 0
            for part in cmd.split(";"):
                part = part.strip()
                if part.startswith("echo X4EXIT:"):  # adbutils' exit-code probe (shell2 v1)
                    outs.append(f"X4EXIT:{rc}\n".encode())
                    continue
                out, rc = self._one(part)
                outs.append(out)
            return b"".join(outs), rc

    def _one(self, cmd: str) -> tuple[bytes, int]:
        if not cmd:
            return b"", 0
        toggles = C.unset_toggle_commands()
        if cmd in toggles:
            self._set_toggle(*toggles[cmd])
            return b"", 0
        inp = C.parse_input(cmd)
        if inp is not None:
            n = inp.numbers
            if inp.kind == "tap" and len(n) == 2:
                self.tap(*n)
            elif inp.kind == "swipe" and len(n) >= 4:
                if abs(n[0] - n[2]) < 10 and abs(n[1] - n[3]) < 10:
                    self.tap(n[0], n[1])  # a long press acts on the element like a tap here
            elif inp.kind == "text":
                self.type_text(inp.text)
            elif inp.kind == "keyevent" and n:
                self.key(n[0])
            else:
                return f"input: bad arguments: {cmd}\n".encode(), 1
            return b"", 0
        w = shlex.split(cmd)
        if w[:2] == ["screencap", "-p"]:
            return self.png(), 0
        if cmd == C.dump_ui():
            if self.idle_failures > 0:
                self.idle_failures -= 1
                return f"ERROR: {C.IDLE_ERROR}.\n".encode(), 1
            path = os.path.join(self.tmp, "window_dump.xml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.xml())
            self.files[C.DUMP_PATH] = path
            return f"UI hierchary dumped to: {C.DUMP_PATH}\n".encode(), 0
        if w[0] == "cat" and len(w) == 2:
            if w[1] not in self.files:
                return f"cat: {w[1]}: No such file or directory\n".encode(), 1
            with open(self.files[w[1]], "rb") as f:
                return f.read(), 0
        if w[0] == "settings" and len(w) >= 4:
            if w[1] == "get":
                return (self.settings.get((w[2], w[3]), "null") + "\n").encode(), 0
            if w[1] == "put" and len(w) == 5:
                self.settings[(w[2], w[3])] = w[4]
                return b"", 0
        if w[:2] == ["content", "query"] and "--uri" in w:
            uri = w[w.index("--uri") + 1]
            if uri != CONTACTS_URI:
                return f"Error while accessing provider:{uri}\n".encode(), 1
            proj = w[w.index("--projection") + 1].split(":") if "--projection" in w else None
            rows = [{k: v for k, v in c.items() if proj is None or k in proj} for c in self.contacts]
            return (C.format_content_rows(rows) + "\n").encode(), 0
        if w[0] == "monkey" and "-p" in w:
            pkg = w[w.index("-p") + 1]
            app = next((a for a, p in C.APPS.items() if p == pkg and a in ("settings", "clock", "contacts")), None)
            if app is None:
                return b"** No activities found to run, monkey aborted.\n", 251
            self.stack, self.fields, self.focus = ["home", app], {}, None
            return b"Events injected: 1\n", 0
        if w[:2] == ["pm", "clear"] and len(w) == 3:
            if w[2] == C.APPS["clock"]:
                self._reset_alarm_db()
            elif w[2] in (C.APPS["contacts"], "com.android.providers.contacts"):
                self.contacts = []
            return b"Success\n", 0
        if w[:2] == ["ls", "-1"] and len(w) == 3:
            if w[2] not in self.dirs:
                return f"ls: {w[2]}: No such file or directory\n".encode(), 1
            return "".join(n + "\n" for n in sorted(self.dirs[w[2]])).encode(), 0
        if w[:2] == ["getprop", "ro.product.model"]:
            return b"agentloop ADB double\n", 0
        if w[:2] == ["wm", "size"]:
            return f"Physical size: {W}x{H}\n".encode(), 0
        return f"/system/bin/sh: {w[0]}: not found\n".encode(), 127


def _deepest(w: Widget, x: int, y: int) -> Widget | None:
    x1, y1, x2, y2 = w.bounds
    if not (x1 <= x < x2 and y1 <= y < y2):
        return None
    for c in reversed(w.children):
        hit = _deepest(c, x, y)
        if hit is not None and hit.action:
            return hit
    return w if w.action else None


def _b(v: bool) -> str:
    return "true" if v else "false"


def _xml(w: Widget, index: int, pkg: str, out: list[str]) -> None:
    x1, y1, x2, y2 = w.bounds
    out.append(
        f"<node index=\"{index}\" text={quoteattr(w.text)} resource-id={quoteattr(w.rid)} "
        f"class=\"{w.cls}\" package=\"{pkg}\" content-desc={quoteattr(w.desc)} "
        f"checkable=\"{_b(w.checkable)}\" checked=\"{_b(w.checked)}\" clickable=\"{_b(w.clickable)}\" "
        f"enabled=\"true\" focusable=\"{_b(w.focusable)}\" focused=\"{_b(w.focused)}\" "
        f"scrollable=\"{_b(w.scrollable)}\" long-clickable=\"false\" password=\"false\" "
        f"selected=\"false\" bounds=\"[{x1},{y1}][{x2},{y2}]\">"
    )
    for i, c in enumerate(w.children):
        _xml(c, i, pkg, out)
    out.append("</node>")


def _draw(w: Widget, d: ImageDraw.ImageDraw) -> None:
    x1, y1, x2, y2 = w.bounds
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
