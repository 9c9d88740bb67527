"""The simulated phone's shell: the command lines the device layer sends, answered in the
formats a real device answers them (parsed with the same `commands` module that formats them).

One handler per program (`input`, `screencap`, `uiautomator`, `cat`, `settings`, `content`,
`monkey`, `pm`, `ls`, `getprop`, `wm`, `rm`); a program the phone does not have gets the shell's
`not found` and exit status 127, as on a device.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable

from agentloop.envs.android import commands as C
from agentloop.envs.android.commands import InputKind
from agentloop.envs.android.double.phone import APP_SCREENS, CONTACTS_URI, H, Phone, W

Reply = tuple[bytes, int]  # (output, exit status)
# The commands tasks send to set a toggle before they start (`svc wifi enable`, ...).
_TOGGLE_COMMANDS = C.unset_toggle_commands()


def run(phone: Phone, line: str) -> Reply:
    """Run a command line (commands joined by `;`); the status is the last command's."""
    with phone.lock:
        return _line(phone, line)


def _line(phone: Phone, line: str) -> Reply:
    outs, rc = [], 0
    for part in line.split(";"):
        part = part.strip()
        if part.startswith("echo X4EXIT:"):  # adbutils' exit-code probe (shell2 v1)
            outs.append(f"X4EXIT:{rc}\n".encode())
            continue
        out, rc = _one(phone, part)
        outs.append(out)
    return b"".join(outs), rc


def _one(phone: Phone, cmd: str) -> Reply:
    if not cmd:
        return b"", 0
    phone.log.append(cmd)
    if cmd in _TOGGLE_COMMANDS:
        phone.set_toggle(*_TOGGLE_COMMANDS[cmd])
        return b"", 0
    words = shlex.split(cmd)
    handler = _PROGRAMS.get(words[0])
    if handler is None:
        return f"/system/bin/sh: {words[0]}: not found\n".encode(), 127
    return handler(phone, words)


def _usage(words: list[str]) -> Reply:
    # The double knows each program only as far as the device layer uses it.
    return f"{words[0]}: arguments not understood by the ADB double: {shlex.join(words[1:])}\n".encode(), 1


def _input(phone: Phone, words: list[str]) -> Reply:
    inp = C.parse_input(shlex.join(words))
    if inp is None:
        return _usage(words)
    n = inp.numbers
    if inp.kind is InputKind.TAP and len(n) == 2:
        phone.tap(*n)
    elif inp.kind is InputKind.SWIPE and len(n) >= 4:
        if abs(n[0] - n[2]) < 10 and abs(n[1] - n[3]) < 10:
            phone.tap(n[0], n[1])  # a long press acts on the element like a tap here
    elif inp.kind is InputKind.TEXT:
        phone.type_text(inp.text)
    elif inp.kind is InputKind.KEYEVENT and n:
        for code in n:  # `input keyevent` presses every code it is given, in turn
            phone.key(code)
    else:
        return _usage(words)
    return b"", 0


def _screencap(phone: Phone, words: list[str]) -> Reply:
    return (phone.png(), 0) if words[1:] == ["-p"] else _usage(words)


def _uiautomator(phone: Phone, words: list[str]) -> Reply:
    target = C.parse_dump(shlex.join(words))
    if target is None:
        return _usage(words)
    if phone.idle_failures > 0:
        phone.idle_failures -= 1
        return f"ERROR: {C.IDLE_ERROR}.\n".encode(), 1
    path = os.path.join(phone.tmp, os.path.basename(target))
    with open(path, "w", encoding="utf-8") as f:
        f.write(phone.xml())
    phone.files[target] = path
    return f"UI hierchary dumped to: {target}\n".encode(), 0


def _cat(phone: Phone, words: list[str]) -> Reply:
    if len(words) != 2:
        return _usage(words)
    if words[1] not in phone.files:
        return f"cat: {words[1]}: No such file or directory\n".encode(), 1
    with open(phone.files[words[1]], "rb") as f:
        return f.read(), 0


def _settings(phone: Phone, words: list[str]) -> Reply:
    if len(words) == 4 and words[1] == "get":
        return (phone.settings.get((words[2], words[3]), "null") + "\n").encode(), 0
    if len(words) == 5 and words[1] == "put":
        phone.settings[(words[2], words[3])] = words[4]
        return b"", 0
    return _usage(words)


def _content(phone: Phone, words: list[str]) -> Reply:
    if words[1:2] != ["query"] or "--uri" not in words:
        return _usage(words)
    uri = words[words.index("--uri") + 1]
    if uri != CONTACTS_URI:
        return f"Error while accessing provider:{uri}\n".encode(), 1
    proj = words[words.index("--projection") + 1].split(":") if "--projection" in words else None
    rows = [{k: v for k, v in c.items() if proj is None or k in proj} for c in phone.contacts]
    return (C.format_content_rows(rows) + "\n").encode(), 0


def _monkey(phone: Phone, words: list[str]) -> Reply:
    if "-p" not in words:
        return _usage(words)
    package = words[words.index("-p") + 1]
    app = next((a for a, p in C.APPS.items() if p == package and a in APP_SCREENS), None)
    if app is None:
        return b"** No activities found to run, monkey aborted.\n", 251
    phone.open_app(app)
    return b"Events injected: 1\n", 0


def _pm(phone: Phone, words: list[str]) -> Reply:
    if words[1:] == ["list", "packages"]:
        return C.format_packages(phone.packages()).encode(), 0
    if words[1:2] != ["clear"] or len(words) != 3:
        return _usage(words)
    if words[2] == C.APPS["clock"]:
        phone.reset_alarm_db()
    elif words[2] in (C.APPS["contacts"], "com.android.providers.contacts"):
        phone.contacts = []
    return b"Success\n", 0


def _ls(phone: Phone, words: list[str]) -> Reply:
    if words[1:2] != ["-1"] or len(words) != 3:
        return _usage(words)
    if words[2] not in phone.dirs:
        return f"ls: {words[2]}: No such file or directory\n".encode(), 1
    return "".join(n + "\n" for n in sorted(phone.dirs[words[2]])).encode(), 0


def _getprop(phone: Phone, words: list[str]) -> Reply:
    return (b"agentloop ADB double\n", 0) if words[1:] == ["ro.product.model"] else _usage(words)


def _wm(phone: Phone, words: list[str]) -> Reply:
    return (f"Physical size: {W}x{H}\n".encode(), 0) if words[1:] == ["size"] else _usage(words)


def _rm(phone: Phone, words: list[str]) -> Reply:
    if len(words) != 3 or words[1] not in ("-f", "-rf"):
        return _usage(words)
    host = phone.files.pop(words[2], None)
    if host is not None:
        os.remove(host)
    phone.dirs.pop(words[2], None)
    return b"", 0


_PROGRAMS: dict[str, Callable[[Phone, list[str]], Reply]] = {
    "input": _input, "screencap": _screencap, "uiautomator": _uiautomator, "cat": _cat,
    "settings": _settings, "content": _content, "monkey": _monkey, "pm": _pm, "ls": _ls,
    "getprop": _getprop, "wm": _wm, "rm": _rm,
}
