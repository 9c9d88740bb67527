"""`agentloop/toy.switches`: a row of lamps to switch on. Small, deterministic, instant.

It exists to exercise the loop itself: every contract of a built-in env (skills with
preconditions and expected effects, a scene graph, success and progress, action errors) in a
few lines, with knobs to make a toggle slip (`slip`) or the env crash (`crash_at_step`).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agentloop.calls import SkillCall
from agentloop.context import Context
from agentloop.effects import Effect, attr
from agentloop.env import SCRIPTED_PLANNER, Evaluation, SkillEnv
from agentloop.errors import ActionError, ErrorKind
from agentloop.perception import INJECTED
from agentloop.records import Plan
from agentloop.roles.planner import BasePlanner
from agentloop.scene import Node, Relation, SceneGraph
from agentloop.skillset import Executors, NoArgs, Skill, SkillSet, Unmet
from agentloop.spaces import SkillSpace, fit_text, observation_space


class LampArgs(BaseModel):
    """Which lamp."""

    model_config = ConfigDict(extra="forbid")
    lamp: str = Field(description="lamp id, e.g. lamp_2")


def _switchable(scene: SceneGraph, lamp: str, to: bool) -> Unmet | None:
    """Why `lamp` cannot be switched `to` on (True) or off (False), if it cannot."""
    n = scene.node(lamp)
    if n is None:
        return Unmet(f"there is no {lamp}", "a lamp from the scene")
    state = "on" if to else "off"
    if bool(n.get("on")) == to:
        return Unmet(f"{lamp} is already {state}", f"nothing to do for {lamp}: it is {state}; go on with another lamp")
    return None


class SwitchOn(Skill):
    """Switch a lamp on."""

    name = "switch_on"
    Args = LampArgs

    def precondition(self, scene: SceneGraph, args: LampArgs) -> Unmet | None:
        return _switchable(scene, args.lamp, to=True)

    def expected_effect(self, scene: SceneGraph, args: LampArgs) -> list[Effect]:
        return [attr(args.lamp, "on", True)]


class SwitchOff(Skill):
    """Switch a lamp off."""

    name = "switch_off"
    Args = LampArgs

    def precondition(self, scene: SceneGraph, args: LampArgs) -> Unmet | None:
        return _switchable(scene, args.lamp, to=False)

    def expected_effect(self, scene: SceneGraph, args: LampArgs) -> list[Effect]:
        return [attr(args.lamp, "on", False)]


class Wait(Skill):
    """Do nothing for one step."""

    name = "wait"


class BreakAll(Skill):
    """Smash every lamp (cannot be undone)."""

    name = "break_all"
    irreversible = True

    def expected_effect(self, scene: SceneGraph, args: Any) -> list[Effect]:
        return [attr(n.id, "broken", True) for n in scene.nodes]


SKILLS = SkillSet([SwitchOn, SwitchOff, Wait, BreakAll])
H = W = 32


class SwitchesEnv(SkillEnv):
    """A row of lamps; the goal names the ones to switch on (see the module's docstring)."""

    metadata = {
        "render_modes": ["rgb_array"],
        SCRIPTED_PLANNER: "agentloop.testing.switches:SwitchesPlanner",
    }
    skillset = SKILLS

    def __init__(
        self, lamps: int = 5, targets: int = 2, slip: float = 0.0, slip_first: int = 0,
        crash_at_step: int | None = None, crash_on_seed: int | None = None,
        step_delay: float = 0.0, die_on_seed: int | None = None,
        render_mode: str | None = "rgb_array",
    ):
        """`slip`: probability that a switch does nothing; `slip_first`: the first N switches
        of each episode do nothing; `crash_at_step` / `crash_on_seed`: raise from `step()`
        (at that step / in the episode with that seed); `step_delay`: seconds each step takes;
        `die_on_seed`: the whole process dies, as with a segfaulting simulator."""
        super().__init__(render_mode)
        self.n, self.k, self.slip, self.crash_at_step = lamps, targets, slip, crash_at_step
        self.slip_first, self.crash_on_seed, self.step_delay = slip_first, crash_on_seed, step_delay
        self.die_on_seed = die_on_seed
        self._seed: int | None = None
        self._switches = 0
        self._slipped = False
        self.observation_space = observation_space(H, W, max_text=4096)
        self.action_space = SkillSpace(SKILLS, max_length=256)
        self.on = np.zeros(lamps, dtype=bool)
        self.broken = False
        self.targets: list[int] = []

    @property
    def task_name(self) -> str:
        return "switches"

    def _reset_world(self, seed: int | None, options: dict[str, Any]) -> str:
        self._seed = seed
        self._switches = 0
        self.on[:] = False
        self.broken = False
        self.targets = sorted(self.np_random.choice(self.n, size=self.k, replace=False).tolist())
        return "switch on " + " and ".join(f"lamp_{i}" for i in self.targets)

    def _execute(self, call: Any) -> None:
        self._slipped = False
        if self.step_delay:
            time.sleep(self.step_delay)
        if self.die_on_seed is not None and self._seed == self.die_on_seed:
            os._exit(139)
        if (self.crash_at_step is not None and self._steps >= self.crash_at_step) or (
            self.crash_on_seed is not None and self._seed == self.crash_on_seed
        ):
            raise RuntimeError("simulated crash of the environment")
        super()._execute(call)

    def _lamp(self, lamp: str) -> int:
        if not lamp.startswith("lamp_") or not lamp[5:].isdigit() or int(lamp[5:]) >= self.n:
            raise ActionError(ErrorKind.NO_ELEMENT, f"there is no {lamp}; lamps are lamp_0..lamp_{self.n - 1}")
        return int(lamp[5:])

    def _switch(self, lamp: str, on: bool) -> None:
        i = self._lamp(lamp)
        self._switches += 1
        if self._switches <= self.slip_first or self.np_random.random() < self.slip:
            self._slipped = True  # the switch slipped: nothing happens, the validator should notice
            return
        self.on[i] = on

    def _switch_on(self, args: LampArgs) -> None:
        self._switch(args.lamp, True)

    def _switch_off(self, args: LampArgs) -> None:
        self._switch(args.lamp, False)

    def _wait(self, args: NoArgs) -> None:
        return None

    def _break_all(self, args: NoArgs) -> None:
        self.broken = True
        self.on[:] = False

    executors = Executors(SKILLS, {
        SwitchOn: _switch_on, SwitchOff: _switch_off, Wait: _wait, BreakAll: _break_all,
    })

    def _report(self) -> dict[str, Any]:
        return {INJECTED: ["slip"]} if self._slipped else {}

    def _observe(self) -> tuple[dict[str, Any], SceneGraph]:
        frame = np.zeros((H, W, 3), dtype=np.uint8)
        for i in range(self.n):
            if self.on[i]:
                frame[8:24, i * W // self.n:(i + 1) * W // self.n - 1] = (255, 220, 0)
        nodes = [
            Node(id=f"lamp_{i}", kind="lamp", name=f"lamp {i}",
                 attrs={"on": bool(self.on[i]), "broken": self.broken})
            for i in range(self.n)
        ]
        rels = [Relation(src=f"lamp_{i}", rel="left_of", dst=f"lamp_{i + 1}") for i in range(self.n - 1)]
        scene = SceneGraph(nodes=nodes, relations=rels)
        text = fit_text(self.goal + "\n" + scene.to_text(), 4096)
        return {"screenshot": frame, "text": text}, scene

    def _evaluate(self) -> Evaluation:
        hit = sum(bool(self.on[t]) for t in self.targets)
        wrong = sum(bool(self.on[i]) for i in range(self.n) if i not in self.targets)
        success = hit == len(self.targets) and wrong == 0 and not self.broken
        progress = max(0.0, (hit - wrong) / len(self.targets))
        return Evaluation(1.0 if success else 0.0, success, progress, success or self.broken)


class SwitchesPlanner(BasePlanner):
    """Reads the goal and the scene: switches off wrong lamps, then on missing ones."""

    name = "scripted"

    def plan(self, ctx: Context) -> Plan:
        return Plan(subgoals=[ctx.goal], steps=[str(self._next(ctx))], phase="complete")

    def next_action(self, ctx: Context) -> SkillCall:
        return self._next(ctx)

    def _next(self, ctx: Context) -> SkillCall:
        want = {w for w in ctx.goal.replace(" and ", " ").split() if w.startswith("lamp_")}
        scene = ctx.scene or SceneGraph()
        for n in scene.nodes:
            if n.get("on") and n.id not in want:
                return SkillCall(name="switch_off", args={"lamp": n.id})
        for n in scene.nodes:
            if n.id in want and not n.get("on"):
                return SkillCall(name="switch_on", args={"lamp": n.id})
        return SkillCall(name="wait")


def register() -> None:
    from agentloop.registry import register as reg

    reg("agentloop/toy.switches", "agentloop.testing.switches:SwitchesEnv", max_episode_steps=50,
        description="switch on the named lamps (a tiny env for testing the loop)")
