"""Android skills in AndroidWorld's action vocabulary.

Elements are named by their number in the UI element graph (the number drawn on the
set-of-marks screenshot). Preconditions and expected effects read that graph, whose nodes
carry `bbox` (`[x, y, w, h]` in the device's screen pixels, origin top-left: the space of every
x and y below; the env reports the screen's size as `screen_size`) and, where they differ from
their defaults (`hierarchy.DEFAULTS`: read them with `node.get(key, default)`), `clickable`,
`checkable`, `checked`, `focused`, `enabled`, ... A text field (`editable`) is named by its label
(`hint`, description or resource id) and holds its value in `text`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentloop.calls import SkillSpec
from agentloop.effects import Effect, attr, changed
from agentloop.scene import Node, SceneGraph
from agentloop.skillset import Skill, SkillSet, Unmet


class _Args(BaseModel):
    # A misspelt argument is an error the model can read, not an argument silently dropped.
    model_config = ConfigDict(extra="forbid")


def _element(scene: SceneGraph, index: int | None) -> Unmet | None:
    if index is None:
        return None
    n = scene.node(str(index))
    if n is None:
        return Unmet(f"there is no element {index} on screen", "an element number from the current screen")
    if n.get("enabled") is False:
        return Unmet(f"element {index} is disabled", f"element {index} enabled (fill what it waits for), or another")
    return None


class ClickArgs(_Args):
    """Where to tap: an element by number, or a point in screen pixels."""

    element: int | None = Field(None, ge=0, description="element number; or give x and y")
    x: int | None = Field(None, ge=0, description="screen x in the device's pixels, from the left (as bbox)")
    y: int | None = Field(None, ge=0, description="screen y in the device's pixels, from the top (as bbox)")

    @model_validator(mode="after")
    def _target(self) -> ClickArgs:
        if self.element is None and (self.x is None or self.y is None):
            raise ValueError("give element, or both x and y")
        return self


def _press_effects(scene: SceneGraph, args: ClickArgs) -> list[Effect]:
    n = scene.node(str(args.element)) if args.element is not None else None
    if n is not None and n.get("checkable"):
        return [attr(n.id, "checked", not n.get("checked"))]
    if n is not None and n.kind == "edittext":
        return [attr(n.id, "focused", True)]
    return [changed()]


class Click(Skill):
    """Tap an element (by number: the middle of its box) or a point (x, y) in the device's screen pixels."""

    name = "click"
    Args = ClickArgs

    def precondition(self, scene: SceneGraph, args: ClickArgs) -> Unmet | None:
        return _element(scene, args.element)

    def expected_effect(self, scene: SceneGraph, args: ClickArgs) -> list[Effect]:
        return _press_effects(scene, args)


class LongPress(Skill):
    """Touch and hold (0.8 s) an element (by number) or a point (x, y) in the device's screen pixels."""

    name = "long_press"
    Args = ClickArgs

    def precondition(self, scene: SceneGraph, args: ClickArgs) -> Unmet | None:
        return _element(scene, args.element)


class InputTextArgs(_Args):
    """The text to type, and optionally the field to tap first."""

    text: str = Field(description="text to type; added to what the field holds, never replacing it")
    element: int | None = Field(None, ge=0, description="text field to tap first; default: the focused one")


def _field(scene: SceneGraph, element: int | None) -> Unmet | None:
    """A text field to type into or clear: the element named, or else the focused one."""
    if element is not None:
        problem = _element(scene, element)
        node = scene.node(str(element))
        if problem is None and node is not None and not node.get("editable"):
            problem = Unmet(f"element {element} is not a text field", "a text field (edittext) as element")
        return problem
    if not any(n.get("focused") for n in scene.nodes):
        return Unmet("no text field has focus", "a text field named as element, or one focused by a click")
    return None


def target_field(scene: SceneGraph, element: int | None) -> Node | None:
    """The field a text skill acts on: the element named, else the focused one."""
    if element is not None:
        return scene.node(str(element))
    return next((n for n in scene.nodes if n.get("focused")), None)


class InputText(Skill):
    """Type text into a text field (tapping it first when an element is given): it is added after what the field holds, at the cursor; nothing is cleared (clear_text first to replace it)."""

    name = "input_text"
    Args = InputTextArgs

    def precondition(self, scene: SceneGraph, args: InputTextArgs) -> Unmet | None:
        return _field(scene, args.element)

    def expected_effect(self, scene: SceneGraph, args: InputTextArgs) -> list[Effect]:
        target = target_field(scene, args.element)
        if target is None or not args.text:
            return []
        return [attr(target.id, "text", str(target.get("text", "")) + args.text)]


class ClearTextArgs(_Args):
    """The field to empty: by number, or the focused one."""

    element: int | None = Field(None, ge=0, description="text field to tap first; default: the focused one")


class ClearText(Skill):
    """Empty a text field (tapping it first when an element is given, else the focused one): the cursor goes to its end (key MOVE_END), then one Delete key per character of its value; input_text after it replaces the value."""

    name = "clear_text"
    Args = ClearTextArgs

    def precondition(self, scene: SceneGraph, args: ClearTextArgs) -> Unmet | None:
        return _field(scene, args.element)

    def expected_effect(self, scene: SceneGraph, args: ClearTextArgs) -> list[Effect]:
        target = target_field(scene, args.element)
        return [] if target is None else [attr(target.id, "text", "")]


class ScrollArgs(_Args):
    """Which way the content moves, and optionally which element scrolls."""

    direction: Literal["up", "down", "left", "right"] = Field(
        description="which way to look: down shows what lies below (the finger moves up), and so on")
    element: int | None = Field(None, ge=0, description="scrollable element; default: the screen")


class Scroll(Skill):
    """Scroll the screen or a scrollable element by about two thirds of its height (up, down) or width (left, right): one swipe across its middle."""

    name = "scroll"
    Args = ScrollArgs

    def precondition(self, scene: SceneGraph, args: ScrollArgs) -> Unmet | None:
        return _element(scene, args.element)


class SwipeArgs(_Args):
    """A finger's path from one screen point to another, in pixels."""

    x1: int = Field(ge=0, description="start x in pixels")
    y1: int = Field(ge=0, description="start y in pixels")
    x2: int = Field(ge=0, description="end x in pixels")
    y2: int = Field(ge=0, description="end y in pixels")
    duration_ms: int = Field(300, ge=1, le=10000, description="how long the swipe takes, in milliseconds")


class Swipe(Skill):
    """Swipe a finger from (x1, y1) to (x2, y2), in the device's screen pixels, over duration_ms."""

    name = "swipe"
    Args = SwipeArgs


class NavigateBack(Skill):
    """Press the Back button."""

    name = "navigate_back"


class NavigateHome(Skill):
    """Press the Home button."""

    name = "navigate_home"


class KeyboardEnter(Skill):
    """Press Enter on the keyboard."""

    name = "keyboard_enter"


class OpenAppArgs(_Args):
    """The app to open."""

    app_name: str = Field(min_length=1, description="the app's name, one of those the device has")


class OpenApp(Skill):
    """Open one of the device's apps by its name.

    Its spec for an episode (`for_apps`) lists the names of the apps the device has, so the
    skill's signature shows them and a grounded schema takes no other; the executor also
    takes a package name, for a script that knows one."""

    name = "open_app"
    Args = OpenAppArgs

    @classmethod
    def for_apps(cls, apps: Sequence[str]) -> SkillSpec:
        """The spec whose `app_name` is one of `apps` (the plain spec where none is known)."""
        spec = cls.spec()
        if not apps:
            return spec
        params = copy.deepcopy(spec.parameters)
        params["properties"]["app_name"]["enum"] = list(apps)
        return spec.model_copy(update={"parameters": params})

    def expected_effect(self, scene: SceneGraph, args: OpenAppArgs) -> list[Effect]:
        return [changed()]


class WaitArgs(_Args):
    """How long to wait."""

    seconds: float = Field(1.0, ge=0, le=30, description="seconds to wait (at most 30)")


class Wait(Skill):
    """Wait for the screen to update."""

    name = "wait"
    Args = WaitArgs


# A question is answered with the loop's own `finish(status="done", answer=...)`, which the env
# judges (`AndroidEnv.judge_claim`): the vocabulary has no answer skill of its own.
SKILLS = SkillSet([Click, LongPress, InputText, ClearText, Scroll, Swipe, NavigateBack, NavigateHome,
                   KeyboardEnter, OpenApp, Wait])
