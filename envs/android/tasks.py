"""Android tasks: set the device up, say what to do, and check the device's own state.

A task is a small object with `initialise(device)`, `is_successful(device) -> float` in [0, 1]
read from device state (settings, content providers, an app's SQLite database, the file
system; never from the screen), and `tear_down(device)`. A task that asks a question also has
`judge_claim(claim, device) -> float`: the planner answers with the loop's `finish(status=
"done", answer=...)`, and the env hands that claim to the task, which checks it on device state. To add one, subclass `AndroidTask`
(or reuse a class below), pass an instance to `add_task()`, and register an env id for it:

    add_task(ToggleTask("wifi_off_again", toggle="wifi", label="Wi-Fi", want=False))
    agentloop.registry.register("agentloop/android.wifi_off_again",
        "agentloop.envs.android.env:AndroidEnv", max_episode_steps=10, task="wifi_off_again")
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from agentloop.envs.android import commands as C
from agentloop.skillset import FinishStatus

if TYPE_CHECKING:  # the device layer (adbutils, Pillow) is not needed to list tasks
    from agentloop.envs.android.device import AndroidDevice
    from agentloop.records import Claim


class AndroidTask:
    """One task: how to set the device up, the goal, and how to check it on device state."""

    name: str
    goal: str
    apps: ClassVar[tuple[str, ...]] = ()  # stock apps the task needs on the device
    on_double: ClassVar[bool] = True  # whether the ADB server double's phone can host it
    max_steps: ClassVar[int] = 15

    def initialise(self, device: AndroidDevice) -> None:
        """Put the device in the task's starting state (called on every reset)."""

    def is_successful(self, device: AndroidDevice) -> float:
        """How far the task is done, in [0, 1], read from device state."""
        raise NotImplementedError

    def judge_claim(self, claim: Claim, device: AndroidDevice) -> float | None:
        """How right the planner's `finish` claim is, in [0, 1], read from device state; None
        where the task asks nothing of a claim (its device-state check alone decides)."""
        return None

    def tear_down(self, device: AndroidDevice) -> None:
        """Undo what the task left on the device (called when the env closes)."""


class ToggleTask(AndroidTask):
    """Turn a quick setting on or off in the Settings app."""

    apps = ("settings",)
    max_steps = 8

    def __init__(self, name: str, toggle: str, label: str, want: bool):
        self.name, self.toggle, self.label, self.want = name, toggle, label, want
        self.goal = f"Turn {label} {'on' if want else 'off'} in Settings."

    def initialise(self, device: AndroidDevice) -> None:
        device.shell(C.set_toggle(self.toggle, not self.want))

    def is_successful(self, device: AndroidDevice) -> float:
        ns, key = C.TOGGLES[self.toggle]
        return float(C.toggle_value_is_on(self.toggle, device.setting(ns, key)) == self.want)


class ToggleQuestionTask(AndroidTask):
    """Ask whether a quick setting is on: the answer, given with `finish(status="done",
    answer=...)`, is judged against the setting on the device. Nothing on the device is to
    change, so the claim alone decides success."""

    apps = ("settings",)
    max_steps = 6

    def __init__(self, name: str, toggle: str, label: str, state: bool):
        self.name, self.toggle, self.label, self.state = name, toggle, label, state
        self.goal = f"Is {label} on or off? Look in Settings and answer 'on' or 'off'."

    def initialise(self, device: AndroidDevice) -> None:
        device.shell(C.set_toggle(self.toggle, self.state))

    def is_successful(self, device: AndroidDevice) -> float:
        return 0.0  # a question: only the answer can succeed

    def judge_claim(self, claim: Claim, device: AndroidDevice) -> float:
        if claim.status is not FinishStatus.DONE:
            return 0.0
        ns, key = C.TOGGLES[self.toggle]
        right = "on" if C.toggle_value_is_on(self.toggle, device.setting(ns, key)) else "off"
        said = set(re.findall(r"[a-z]+", claim.answer.lower())) & {"on", "off"}
        return float(said == {right})  # one of the two words, the right one


class FormTask(AndroidTask):
    """Fill a form behind an app's add button; `fields` maps a field's label to its value."""

    button: str
    fields: dict[str, str]


ALARM_DB = "/data/data/com.google.android.deskclock/databases/alarms.db"


class AlarmTask(FormTask):
    """Add an alarm in Clock; checked in the app's SQLite database (needs a rooted or emulator
    image for the pull on a real device)."""

    apps = ("clock",)
    button = "Add alarm"

    def __init__(self, name: str, hour: int, minute: int):
        self.name, self.hour, self.minute = name, hour, minute
        self.fields = {"Hour": str(hour), "Minute": f"{minute:02d}"}
        self.goal = f"Create an alarm at {hour:02d}:{minute:02d} in the Clock app."

    def initialise(self, device: AndroidDevice) -> None:
        device.shell(C.clear_app(C.APPS["clock"]))

    def is_successful(self, device: AndroidDevice) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            local = device.pull(ALARM_DB, Path(tmp) / "alarms.db")
            with sqlite3.connect(local) as db:
                rows = list(db.execute("SELECT hour, minutes FROM alarm_templates"))
        return float((self.hour, self.minute) in rows)

    def tear_down(self, device: AndroidDevice) -> None:
        device.shell(C.clear_app(C.APPS["clock"]))


CONTACTS_URI = "content://contacts/phones/"


class ContactTask(FormTask):
    """Create a contact; checked through the contacts content provider."""

    apps = ("contacts",)
    button = "Create contact"

    def __init__(self, name: str, person: str, phone: str):
        self.name, self.person, self.phone = name, person, phone
        self.fields = {"Name": person, "Phone": phone}
        self.goal = f"Create a contact named {person} with phone number {phone}."

    def initialise(self, device: AndroidDevice) -> None:
        device.shell(C.clear_app("com.android.providers.contacts"))

    def is_successful(self, device: AndroidDevice) -> float:
        digits = re.sub(r"\D", "", self.phone)
        best = 0.0
        for row in device.content_query(CONTACTS_URI, ["display_name", "number"]):
            if row.values.get("display_name") == self.person:
                best = max(best, 1.0 if re.sub(r"\D", "", row.values.get("number", "")) == digits else 0.5)
        return best

    def tear_down(self, device: AndroidDevice) -> None:
        device.shell(C.clear_app("com.android.providers.contacts"))


class FolderTask(AndroidTask):
    """Create a folder in Downloads with the Files app; checked with `ls`."""

    apps = ("files",)
    on_double = False  # the double's phone has no Files app

    def __init__(self, name: str, folder: str, parent: str = "/sdcard/Download"):
        self.name, self.folder, self.parent = name, folder, parent
        self.goal = f"Create a folder named {folder} in Downloads using the Files app."

    def initialise(self, device: AndroidDevice) -> None:
        device.shell(C.remove(f"{self.parent}/{self.folder}"))

    def is_successful(self, device: AndroidDevice) -> float:
        return float(self.folder in device.shell(C.list_dir(self.parent)).split())

    def tear_down(self, device: AndroidDevice) -> None:
        self.initialise(device)


TASKS: dict[str, AndroidTask] = {}


def add_task(task: AndroidTask) -> AndroidTask:
    TASKS[task.name] = task
    return task


def get_task(name: str) -> AndroidTask:
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"unknown Android task {name!r} (known: {', '.join(TASKS)})") from None


for _t in (
    ToggleTask("wifi_on", "wifi", "Wi-Fi", True),
    ToggleTask("wifi_off", "wifi", "Wi-Fi", False),
    ToggleTask("bluetooth_on", "bluetooth", "Bluetooth", True),
    ToggleTask("airplane_mode_on", "airplane", "Airplane mode", True),
    ToggleTask("dark_theme_on", "dark_theme", "Dark theme", True),
    ToggleQuestionTask("wifi_state", "wifi", "Wi-Fi", False),
    AlarmTask("alarm_create", 7, 30),
    ContactTask("contact_add", "Ada Lovelace", "555 0100"),
    FolderTask("files_create_folder", "Reports"),
):
    add_task(_t)
