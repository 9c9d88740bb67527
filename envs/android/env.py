"""`AndroidEnv`: an Android device over ADB as a skill env.

Observation: the screenshot (resized to a fixed size, optionally with set-of-marks boxes and
element numbers drawn on it) and a text view (goal + one line per UI element). `info` carries
the UI element graph from uiautomator. Success comes from the task's device-state check.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from agentloop.env import SCRIPTED_PLANNER, SkillEnv
from agentloop.envs.android import commands as C
from agentloop.envs.android import hierarchy
from agentloop.envs.android.device import AndroidDevice, DeviceError
from agentloop.envs.android.tasks import get_task
from agentloop.envs.android.vocabulary import SKILLS
from agentloop.errors import ActionError
from agentloop.scene import SceneGraph
from agentloop.skills import BoundCall
from agentloop.spaces import fit_text, observation_space, text_space

MAX_TEXT = 16384


class AndroidEnv(SkillEnv):
    metadata = {"render_modes": ["rgb_array"], SCRIPTED_PLANNER: "agentloop.envs.android.planner:AndroidPlanner"}
    skillset = SKILLS

    def __init__(
        self,
        task: str = "wifi_on",
        serial: str | None = None,  # device serial; default ANDROID_SERIAL, else the only device
        adb_host: str | None = None,  # adb server host; default ANDROID_ADB_SERVER_HOST or 127.0.0.1
        adb_port: int | None = None,  # adb server port; default ANDROID_ADB_SERVER_PORT or 5037
        set_of_marks: bool = False,  # draw element boxes and numbers on the screenshot
        obs_height: int = 960,  # screenshots are resized to this size so the space is fixed
        obs_width: int = 540,
        settle_s: float = 0.5,  # pause after an action so animations end before the next dump
        use_uiautomator2: bool = False,  # faster hierarchy dumps when uiautomator2 is installed
        render_mode: str | None = "rgb_array",
    ):
        super().__init__(render_mode)
        self.task = get_task(task)
        self.serial, self.adb_host, self.adb_port = serial, adb_host, adb_port
        self.set_of_marks, self.settle_s, self.use_u2 = set_of_marks, settle_s, use_uiautomator2
        self.obs_h, self.obs_w = obs_height, obs_width
        self.observation_space = observation_space(obs_height, obs_width, max_text=MAX_TEXT)
        self.action_space = text_space(512)
        self.device: AndroidDevice | None = None
        self.answer: str | None = None
        self._scene = SceneGraph()

    # ---- SkillEnv ---------------------------------------------------------------------------
    def _reset_world(self, seed: int | None, options: dict[str, Any]) -> str:
        if self.device is None:
            self.device = AndroidDevice(self.serial, self.adb_host, self.adb_port, use_uiautomator2=self.use_u2)
        self.answer = None
        self.device.key("home")
        self.task.initialise(self.device)
        return self.task.goal

    def _node(self, index: int) -> tuple[int, int]:
        n = self._scene.node(str(index))
        if n is None:
            raise ActionError("no_element", f"there is no element {index} on screen "
                                            f"(elements 0..{len(self._scene.nodes) - 1})")
        return hierarchy.center(n)

    def _point(self, args: Any) -> tuple[int, int]:
        return self._node(args.element) if args.element is not None else (args.x, args.y)

    def _execute(self, call: BoundCall) -> None:
        d, a, name = self.device, call.args, call.call.name
        assert d is not None
        if name == "click":
            d.tap(*self._point(a))
        elif name == "long_press":
            d.long_press(*self._point(a))
        elif name == "input_text":
            if a.element is not None:
                d.tap(*self._node(a.element))
            d.text(a.text)
        elif name == "scroll":
            x1, y1, x2, y2 = (self._scene.node(str(a.element)).attrs["bbox"]  # type: ignore[union-attr]
                              if a.element is not None and str(a.element) in self._scene
                              else [0, 0, self._size[0], self._size[1]])
            if a.element is not None:
                self._node(a.element)
            cx, cy, dx, dy = (x1 + x2) // 2, (y1 + y2) // 2, (x2 - x1) // 3, (y2 - y1) // 3
            # Scrolling down shows what lies below: the finger moves up.
            vec = {"down": (0, -dy), "up": (0, dy), "right": (-dx, 0), "left": (dx, 0)}[a.direction]
            d.swipe(cx - vec[0], cy - vec[1], cx + vec[0], cy + vec[1])
        elif name == "swipe":
            d.swipe(a.x1, a.y1, a.x2, a.y2, a.duration_ms)
        elif name == "navigate_back":
            d.key("back")
        elif name == "navigate_home":
            d.key("home")
        elif name == "keyboard_enter":
            d.key("enter")
        elif name == "open_app":
            pkg = C.APPS.get(a.app_name.strip().lower()) or (a.app_name if "." in a.app_name else None)
            if pkg is None:
                raise ActionError("no_app", f"unknown app {a.app_name!r}; known: {', '.join(C.APPS)} "
                                            "or give a package name")
            try:
                d.launch(pkg)
            except DeviceError as e:
                raise ActionError("no_app", str(e)) from None
        elif name == "wait":
            time.sleep(a.seconds)
            return
        elif name == "answer":
            self.answer = a.text
            return
        if self.settle_s:
            time.sleep(self.settle_s)

    def _observe(self):
        assert self.device is not None
        self._scene = hierarchy.parse(self.device.ui_xml())
        shot = self.device.screenshot()
        self._size = (shot.shape[1], shot.shape[0])
        frame = self._frame(shot)
        text = fit_text(f"Goal: {self.goal}\n" + hierarchy.to_text(self._scene), MAX_TEXT)
        return {"screenshot": frame, "text": text}, self._scene, {"task": self.task.name}

    def _frame(self, shot: np.ndarray) -> np.ndarray:
        img = Image.fromarray(shot)
        sx, sy = self.obs_w / img.width, self.obs_h / img.height
        if img.size != (self.obs_w, self.obs_h):
            img = img.resize((self.obs_w, self.obs_h), Image.BILINEAR)
        if self.set_of_marks:
            draw = ImageDraw.Draw(img)
            for n in self._scene.nodes:
                x1, y1, x2, y2 = n.attrs["bbox"]
                box = (x1 * sx, y1 * sy, max(x1 * sx, x2 * sx - 1), max(y1 * sy, y2 * sy - 1))
                draw.rectangle(box, outline=(255, 0, 0), width=2)
                draw.rectangle((box[0], box[1], box[0] + 8 + 7 * len(n.id), box[1] + 14), fill=(255, 0, 0))
                draw.text((box[0] + 3, box[1] + 1), n.id, fill=(255, 255, 255))
        return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()

    def _evaluate(self):
        assert self.device is not None
        score = float(self.task.is_successful(self.device))
        success = score >= 1.0
        return (1.0 if success else 0.0), success, score, success

    def close(self) -> None:
        if self.device is not None:
            try:
                self.task.tear_down(self.device)
            except DeviceError:
                pass  # the device went away; nothing left to tidy
            self.device = None
        super().close()
