"""Every adb shell command the Android env sends, and the parsers for what comes back.

One module, used unchanged by the device layer (which formats commands and parses replies
from a real device) and by the ADB server double (which parses the same command strings and
formats replies in the device's own formats). Keeping both directions here is what makes the
double a faithful stand-in: a change to a command string changes both sides at once.
"""

from __future__ import annotations

import re
import shlex
from enum import Enum

from pydantic import BaseModel

DUMP_DIR = "/sdcard"
DUMP_PATH = f"{DUMP_DIR}/window_dump.xml"  # uiautomator's own default: what a person's `adb` dumps to
IDLE_ERROR = "could not get idle state"

# App names an agent may say in open_app(), and their stock packages.
APPS: dict[str, str] = {
    "settings": "com.android.settings",
    "clock": "com.google.android.deskclock",
    "contacts": "com.google.android.contacts",
    "files": "com.google.android.documentsui",
    "chrome": "com.android.chrome",
    "camera": "com.android.camera2",
}

# Android key codes used by the skills.
KEYCODES: dict[str, int] = {"home": 3, "back": 4, "enter": 66, "del": 67, "move_end": 123}

# (settings namespace, key) read to check a toggle, and the shell command that sets it.
TOGGLES: dict[str, tuple[str, str]] = {
    "wifi": ("global", "wifi_on"),
    "bluetooth": ("global", "bluetooth_on"),
    "airplane": ("global", "airplane_mode_on"),
    "dark_theme": ("secure", "ui_night_mode"),
}


class InputKind(str, Enum):
    """The `input` subcommands the skills send."""

    TAP = "tap"
    SWIPE = "swipe"
    TEXT = "text"
    KEYEVENT = "keyevent"


# ---- formatting: host -> device ------------------------------------------------------------
def tap(x: int, y: int) -> str:
    return f"input {InputKind.TAP.value} {int(x)} {int(y)}"


def swipe(x1: int, y1: int, x2: int, y2: int, duration_ms: int = 300) -> str:
    return f"input {InputKind.SWIPE.value} {int(x1)} {int(y1)} {int(x2)} {int(y2)} {int(duration_ms)}"


def long_press(x: int, y: int, duration_ms: int = 800) -> str:
    # `input` has no long press; a swipe that does not move is one.
    return swipe(x, y, x, y, duration_ms)


def text(value: str) -> str:
    # `input text` takes one shell word; spaces are written %s.
    return f"input {InputKind.TEXT.value} " + shlex.quote(value.replace(" ", "%s"))


def keyevent(*names: str) -> str:
    # `input keyevent` presses each code it is given in turn: one shell command for many keys.
    return f"input {InputKind.KEYEVENT.value} " + " ".join(str(KEYCODES[n]) for n in names)


def launch(package: str) -> str:
    return f"monkey -p {shlex.quote(package)} -c android.intent.category.LAUNCHER 1"


def dump_path(owner: str) -> str:
    """The file on the device that the dumps of `owner` (one device connection) go to: its own,
    so that nothing else dumping the window on that device (another env, a person's `adb`)
    overwrites a hierarchy between its dump and its read."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", owner):
        raise ValueError(f"a dump owner is letters, digits, _ and - only, got {owner!r}")
    return f"{DUMP_DIR}/window_dump_{owner}.xml"


def dump_ui(path: str = DUMP_PATH) -> str:
    return f"uiautomator dump {shlex.quote(path)}"


def parse_dump(cmd: str) -> str | None:
    """The file a `uiautomator dump` command writes to; None for any other command."""
    words = shlex.split(cmd)
    if words[:2] != ["uiautomator", "dump"] or len(words) > 3:
        return None
    return words[2] if len(words) == 3 else DUMP_PATH


def cat(path: str) -> str:
    return f"cat {shlex.quote(path)}"


def settings_get(namespace: str, key: str) -> str:
    return f"settings get {namespace} {key}"


def settings_put(namespace: str, key: str, value: str) -> str:
    return f"settings put {namespace} {key} {shlex.quote(value)}"


def content_query(uri: str, projection: list[str] | None = None) -> str:
    cmd = f"content query --uri {uri}"
    return cmd + (f" --projection {':'.join(projection)}" if projection else "")


def set_toggle(toggle: str, on: bool) -> str:
    """The command a user would type to flip a toggle (state set before a task starts)."""
    if toggle == "wifi":
        return f"svc wifi {'enable' if on else 'disable'}"
    if toggle == "bluetooth":
        return f"svc bluetooth {'enable' if on else 'disable'}"
    if toggle == "airplane":
        return f"cmd connectivity airplane-mode {'enable' if on else 'disable'}"
    if toggle == "dark_theme":
        return f"cmd uimode night {'yes' if on else 'no'}"
    raise KeyError(toggle)


def clear_app(package: str) -> str:
    return f"pm clear {shlex.quote(package)}"


def list_packages() -> str:
    """Every package the device has, one `package:<name>` line each."""
    return "pm list packages"


def list_dir(path: str) -> str:
    return f"ls -1 {shlex.quote(path)}"


def mkdir(path: str) -> str:
    return f"mkdir -p {shlex.quote(path)}"


def remove(path: str) -> str:
    return f"rm -rf {shlex.quote(path)}"


def remove_file(path: str) -> str:
    return f"rm -f {shlex.quote(path)}"


# ---- parsing: device -> host ---------------------------------------------------------------
def is_idle_error(output: str) -> bool:
    return IDLE_ERROR in output


def dumped_path(output: str) -> str | None:
    """`UI hierchary dumped to: /sdcard/window_dump.xml` (sic, Android's spelling)."""
    m = re.search(r"dumped to:\s*(\S+)", output)
    return m.group(1) if m else None


def parse_settings_value(output: str) -> str | None:
    v = output.strip()
    return None if v in ("", "null") else v


def parse_packages(output: str) -> set[str]:
    """`package:com.android.settings` lines (`pm list packages`) -> the package names."""
    return {line.strip()[len("package:"):] for line in output.splitlines() if line.strip().startswith("package:")}


def format_packages(packages: list[str]) -> str:
    return "".join(f"package:{p}\n" for p in packages)


def app_names(packages: set[str]) -> list[str]:
    """The names `open_app` takes (APPS' keys) of the apps among `packages`, in APPS' order."""
    return [name for name, package in APPS.items() if package in packages]


class ContentRow(BaseModel):
    """One row of `content query` output: its index and its column values as text."""

    index: int
    values: dict[str, str]


_ROW = re.compile(r"^Row:\s*(\d+)\s*(.*)$")


def parse_content_rows(output: str) -> list[ContentRow]:
    """`Row: 0 display_name=Ada Lovelace, number=555 0100` lines -> rows.

    Values may hold commas, so a field starts only where `, key=` follows."""
    rows = []
    for line in output.splitlines():
        m = _ROW.match(line.strip())
        if not m:
            continue
        values: dict[str, str] = {}
        for part in re.split(r", (?=[A-Za-z_][A-Za-z0-9_]*=)", m.group(2)):
            if "=" in part:
                k, v = part.split("=", 1)
                values[k.strip()] = v
        rows.append(ContentRow(index=int(m.group(1)), values=values))
    return rows


def format_content_rows(rows: list[dict[str, str]]) -> str:
    if not rows:
        return "No result found."
    return "\n".join(
        f"Row: {i} " + ", ".join(f"{k}={v}" for k, v in row.items()) for i, row in enumerate(rows)
    )


def toggle_value_is_on(toggle: str, value: str | None) -> bool:
    if toggle == "dark_theme":
        return value == "2"  # UiModeManager.MODE_NIGHT_YES
    return value == "1"


# ---- parsing: what the double needs to understand a command -------------------------------
class InputCommand(BaseModel):
    """An `input` command line as the double understands it."""

    kind: InputKind
    numbers: list[int] = []  # coordinates, duration or key code
    text: str = ""


def parse_input(cmd: str) -> InputCommand | None:
    """The `input` command in `cmd`; None for anything else, or one with bad arguments."""
    words = shlex.split(cmd)
    if len(words) < 3 or words[0] != "input":
        return None
    try:
        kind = InputKind(words[1])
        if kind is InputKind.TEXT:
            return InputCommand(kind=kind, text=" ".join(words[2:]).replace("%s", " "))
        return InputCommand(kind=kind, numbers=[int(float(w)) for w in words[2:]])
    except ValueError:  # an unknown subcommand, or a coordinate that is not a number
        return None


def unset_toggle_commands() -> dict[str, tuple[str, bool]]:
    """Every `set_toggle` command string -> (toggle, on)."""
    return {set_toggle(t, on): (t, on) for t in TOGGLES for on in (True, False)}
