"""A planner for the toy env whose first proposal at every step is wrong (switching off a lamp
that is already off), so the rule critic rejects it before the correct call: real critic
rejections for the preference-pair export."""

from __future__ import annotations

from agentloop.roles.context import Context
from agentloop.skills import SkillCall
from agentloop.testing.switches import SwitchesPlanner


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
