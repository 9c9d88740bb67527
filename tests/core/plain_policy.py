"""A policy for a plain Gymnasium env (CartPole), to show that any registered id runs."""

from agentloop.roles import FunctionPlanner


def planner() -> FunctionPlanner:
    # Push the cart towards the side the pole leans to.
    return FunctionPlanner(lambda ctx: int(ctx.observation[2] > 0), name="lean")
