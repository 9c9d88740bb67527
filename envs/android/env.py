"""`AndroidEnv`: an Android device over ADB as a skill env.

Observation: the screenshot (resized to a fixed size, optionally with set-of-marks boxes and
element numbers drawn on it) and a text view (goal + one line per UI element). The
perception in `info["agentloop"]` carries the UI element graph from uiautomator, with boxes
`[x, y, w, h]` in device pixels. Success comes from the task's device-state check.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import numpy as np
from gymnasium.error import ResetNeeded
from PIL import Image, ImageDraw

from agentloop.calls import SkillSpec
from agentloop.env import SCRIPTED_PLANNER, Evaluation, SkillEnv
from agentloop.envs.android import commands as C
from agentloop.envs.android import hierarchy
from agentloop.envs.android.device import AndroidDevice, DeviceError
from agentloop.envs.android.tasks import get_task
from agentloop.errors import ActionError, ErrorKind
from agentloop.perception import INFO_KEY, ActionFailure
from agentloop.records import Claim
from agentloop.scene import Legend, Node, PixelSpace, SceneGraph
from agentloop.skills.android import (
    SKILLS,
    ClearText,
    ClearTextArgs,
    Click,
    ClickArgs,
    InputText,
    InputTextArgs,
    KeyboardEnter,
    LongPress,
    NavigateBack,
    NavigateHome,
    OpenApp,
    OpenAppArgs,
    Scroll,
    ScrollArgs,
    Swipe,
    SwipeArgs,
    Wait,
    WaitArgs,
    target_field,
)
from agentloop.skillset import BoundCall, Executors, NoArgs
from agentloop.spaces import SkillSpace, fit_text, observation_space

POINT_SKILLS = "click, long_press and swipe"  # what takes a point of the screen

MAX_TEXT = 16384
# Scrolling down shows what lies below, so the finger moves up: (dx, dy) as thirds of the box.
_SCROLL = {"down": (0, -1), "up": (0, 1), "right": (-1, 0), "left": (1, 0)}


class AndroidEnv(SkillEnv):
    """One Android task on a phone or emulator reached through an adb server (or the ADB
    server double): AndroidWorld's actions in, screenshot and element graph out."""

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
        self.action_space = SkillSpace(SKILLS, max_length=512)
        self.device: AndroidDevice | None = None
        self.apps: list[str] = []  # the names open_app takes: the apps the device has, read on reset
        self._skills: list[SkillSpec] = SKILLS.specs()
        self._scene = SceneGraph()
        self._screen_size = (0, 0)  # the device's own width and height, from the last screenshot

    @property
    def task_name(self) -> str:
        return self.task.name

    @property
    def _dev(self) -> AndroidDevice:
        if self.device is None:
            raise ResetNeeded("call reset() before step(): the device is connected on reset")
        return self.device

    # ---- SkillEnv ---------------------------------------------------------------------------
    def _reset_world(self, seed: int | None, options: dict[str, Any]) -> str:
        if self.device is None:
            self.device = AndroidDevice(self.serial, self.adb_host, self.adb_port, use_uiautomator2=self.use_u2)
        # Read on every reset: an app may be installed or removed between episodes.
        self.apps = C.app_names(self.device.packages())
        self._skills = [OpenApp.for_apps(self.apps) if s.name == OpenApp.name else s for s in SKILLS.specs()]
        self.device.key("home")
        self.task.initialise(self.device)
        return self.task.goal

    def _execute(self, call: BoundCall) -> None:
        super()._execute(call)
        # Waiting leaves the screen alone; anything else may start an animation that has to
        # end before the next hierarchy dump shows the new state.
        if self.settle_s and not isinstance(call.skill, Wait):
            t0 = time.perf_counter()
            time.sleep(self.settle_s)
            self.timings["settle"] = time.perf_counter() - t0

    # ---- grounding --------------------------------------------------------------------------
    def _node(self, index: int) -> Node:
        n = self._scene.node(str(index))
        if n is None:
            shown = f"elements 0..{len(self._scene.nodes) - 1}" if self._scene.nodes else "no elements"
            raise ActionError(ErrorKind.NO_ELEMENT, f"there is no element {index} on screen (the screen shows {shown})")
        return n

    def _point(self, args: ClickArgs) -> tuple[int, int]:
        if args.element is not None:
            return hierarchy.center(self._node(args.element))
        assert args.x is not None and args.y is not None  # ClickArgs' validator guarantees one or the other
        return args.x, args.y

    # ---- executors, one per skill -----------------------------------------------------------
    def _click(self, args: ClickArgs) -> None:
        self._dev.tap(*self._point(args))

    def _long_press(self, args: ClickArgs) -> None:
        self._dev.long_press(*self._point(args))

    def _input_text(self, args: InputTextArgs) -> None:
        if args.element is not None:
            self._dev.tap(*hierarchy.center(self._node(args.element)))
        self._dev.text(args.text)

    def _clear_text(self, args: ClearTextArgs) -> None:
        field = target_field(self._scene, args.element)
        if args.element is not None:
            self._dev.tap(*hierarchy.center(self._node(args.element)))
        # A tap leaves the caret where the finger landed, maybe inside the text: move it to the
        # end, then delete backwards once per character the field holds (what the dump shows).
        held = str(field.get("text", "")) if field is not None else ""
        self._dev.key("move_end", *["del"] * len(held))

    def _scroll(self, args: ScrollArgs) -> None:
        if args.element is not None:
            x, y, w, h = self._node(args.element).attrs["bbox"]
        else:
            x, y, (w, h) = 0, 0, self._screen_size
        cx, cy = x + w // 2, y + h // 2
        ux, uy = _SCROLL[args.direction]
        dx, dy = ux * (w // 3), uy * (h // 3)
        self._dev.swipe(cx - dx, cy - dy, cx + dx, cy + dy)

    def _swipe(self, args: SwipeArgs) -> None:
        self._dev.swipe(args.x1, args.y1, args.x2, args.y2, args.duration_ms)

    def _navigate_back(self, args: NoArgs) -> None:
        self._dev.key("back")

    def _navigate_home(self, args: NoArgs) -> None:
        self._dev.key("home")

    def _keyboard_enter(self, args: NoArgs) -> None:
        self._dev.key("enter")

    def _open_app(self, args: OpenAppArgs) -> None:
        name = args.app_name.strip()
        # A name the device's package list lacks is refused before launching; with no list
        # read (an empty one), a stock name is tried and fails to launch where it is missing.
        known = name.lower() in (self.apps or C.APPS)
        package = C.APPS[name.lower()] if known else (name if "." in name else None)
        if package is None:
            raise ActionError(ErrorKind.NO_APP, f"the device has no app {args.app_name!r}; it has: "
                                                f"{', '.join(self.apps) or 'none known'} (or give a package name)")
        try:
            self._dev.launch(package)
        except DeviceError as e:
            raise ActionError(ErrorKind.NO_APP, str(e)) from e

    def _wait(self, args: WaitArgs) -> None:
        time.sleep(args.seconds)

    executors = Executors(SKILLS, {
        Click: _click, LongPress: _long_press, InputText: _input_text, ClearText: _clear_text, Scroll: _scroll, Swipe: _swipe,
        NavigateBack: _navigate_back, NavigateHome: _navigate_home, KeyboardEnter: _keyboard_enter,
        OpenApp: _open_app, Wait: _wait,
    })

    # ---- perception -------------------------------------------------------------------------
    def _observe(self) -> tuple[dict[str, Any], SceneGraph]:
        t0 = time.perf_counter()
        self._scene = hierarchy.parse(self._dev.ui_xml())
        t1 = time.perf_counter()
        shot = self._dev.screenshot()
        self.timings.update(dump=t1 - t0, screencap=time.perf_counter() - t1)
        self._screen_size = (shot.shape[1], shot.shape[0])
        # Boxes in the screen's pixels, the space `click` and `swipe` take; the frame may be scaled from it.
        self._scene.legend = Legend(pixels=PixelSpace(width=shot.shape[1], height=shot.shape[0], skills=POINT_SKILLS,
                                                      image=(self.obs_w, self.obs_h)))
        text = fit_text(f"Goal: {self.goal}\n" + hierarchy.to_text(self._scene), MAX_TEXT)
        return {"screenshot": self._frame(shot), "text": text}, self._scene

    def _frame(self, shot: np.ndarray) -> np.ndarray:
        img = Image.fromarray(shot)
        sx, sy = self.obs_w / img.width, self.obs_h / img.height
        if img.size != (self.obs_w, self.obs_h):
            img = img.resize((self.obs_w, self.obs_h), Image.Resampling.BILINEAR)
        if self.set_of_marks:
            draw = ImageDraw.Draw(img)
            for n in self._scene.nodes:
                x, y, w, h = n.attrs["bbox"]
                # PIL's rectangle includes its far corner, hence the - 1 (and never inverted).
                box = (x * sx, y * sy, max(x * sx, (x + w) * sx - 1), max(y * sy, (y + h) * sy - 1))
                draw.rectangle(box, outline=(255, 0, 0), width=2)
                draw.rectangle((box[0], box[1], box[0] + 8 + 7 * len(n.id), box[1] + 14), fill=(255, 0, 0))
                draw.text((box[0] + 3, box[1] + 1), n.id, fill=(255, 255, 255))
        return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()

    def _evaluate(self) -> Evaluation:
        score = float(self.task.is_successful(self._dev))
        success = score >= 1.0
        return Evaluation(1.0 if success else 0.0, success, score, success)

    def judge_claim(self, claim: Claim) -> Evaluation | None:
        """The task's verdict on the planner's `finish` claim, read from the device, where the
        task asks a question; None for a task whose device-state check alone decides."""
        score = self.task.judge_claim(claim, self._dev)
        if score is None:
            return None
        success = score >= 1.0
        return Evaluation(1.0 if success else 0.0, success, score, True)

    def _report(self) -> dict[str, Any]:
        """The app in front (its package) and the screen's size in pixels (the space of every
        box and of `click`'s and `swipe`'s x and y; the screenshot may be scaled from it)."""
        facts: dict[str, Any] = {"screen_size": list(self._screen_size)}
        if self._scene.nodes:
            facts["package"] = self._scene.nodes[0].get("package", "")
        return facts

    def _info(self, scene: SceneGraph | None, ev: Evaluation, failure: ActionFailure | None) -> dict[str, Any]:
        # The skills as this device offers them: open_app lists the apps it has.
        info = super()._info(scene, ev, failure)
        info[INFO_KEY].skills = list(self._skills)
        return info

    def close(self) -> None:
        if self.device is not None:
            with contextlib.suppress(DeviceError):  # the device went away; nothing left to tidy
                self.task.tear_down(self.device)
            self.device.close()  # the device is free for another env
            self.device = None
        super().close()
