"""A plug-in planner that never finishes: it waits, step after step, until a limit ends it."""

from agentloop.roles import FunctionPlanner


def planner() -> FunctionPlanner:
    return FunctionPlanner(lambda ctx: "wait()", name="waiting")
