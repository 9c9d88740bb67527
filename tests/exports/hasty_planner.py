"""Planners whose first proposal at every step is wrong, so the rule critic rejects it before
the correct call: real critic rejections for the preference-pair export.

`HastyPlanner` (toy) switches off a lamp that is already off. `HastyRobotPlanner` and
`HastyWebPlanner` propose at every step, beside the scripted planner's own call, that call
aimed at an object that is not in the scene (a hallucinated target). Run them with
`--candidates 2`.
"""

from __future__ import annotations

from agentloop.calls import SkillCall
from agentloop.context import Context
from agentloop.envs.robot.planner import RobotPlanner
from agentloop.envs.web.planner import WebPlanner
from agentloop.testing.switches import SwitchesPlanner

GHOST = "ghost_object"


class HastyPlanner(SwitchesPlanner):
    name = "hasty"

    def __init__(self) -> None:
        super().__init__()
        self._tried: set[int] = set()

    def next_action(self, ctx: Context) -> SkillCall:
        if ctx.step not in self._tried and ctx.scene is not None:
            self._tried.add(ctx.step)
            off = [n.id for n in ctx.scene.nodes if not n.get("on")]
            if off:
                return SkillCall(name="switch_off", args={"lamp": off[-1]})
        return super().next_action(ctx)


def mistaken(call: SkillCall) -> SkillCall:
    """The same skill aimed at an object that does not exist; a call without an object
    argument gets a skill name that does not exist instead (rejected when it is bound)."""
    for key, value in call.args.items():
        if isinstance(value, str):
            return SkillCall(name=call.name, args={**call.args, key: GHOST})
    return SkillCall(name=f"{call.name}_{GHOST}", args=call.args)


class _WrongTargetFirst:
    """Mixin over a scripted planner: per step, one proposal is `mistaken(call)` and the next
    is `call` (the web planner's `plan()` asks too, so its step starts with the real call).
    The scripted planner is asked once per pair, since some (the robot's) consume a queue."""

    name = "hasty"

    def reset(self, ctx: Context) -> None:
        super().reset(ctx)  # type: ignore[misc]
        self._pending: tuple[int, SkillCall] | None = None

    def next_action(self, ctx: Context) -> SkillCall:
        pending = getattr(self, "_pending", None)
        if pending is not None and pending[0] == ctx.step:
            self._pending = None
            return pending[1]
        call = SkillCall.parse(super().next_action(ctx))  # type: ignore[misc]
        self._pending = (ctx.step, call)
        return mistaken(call)


class HastyRobotPlanner(_WrongTargetFirst, RobotPlanner):
    pass


class HastyWebPlanner(_WrongTargetFirst, WebPlanner):
    pass
