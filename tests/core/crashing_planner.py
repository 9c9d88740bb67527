"""A plug-in planner with a bug: it raises on some goals (the same goals in every process)."""

import zlib

from agentloop.context import Context
from agentloop.testing.switches import SwitchesPlanner


class BuggyPlanner(SwitchesPlanner):
    """The toy's scripted planner, except that on every other goal its second step raises."""

    name = "buggy"

    def next_action(self, ctx: Context):
        if ctx.step == 1 and zlib.crc32(ctx.goal.encode()) % 2:
            raise KeyError("lamp_9")
        return super().next_action(ctx)


def planner() -> BuggyPlanner:
    return BuggyPlanner()
