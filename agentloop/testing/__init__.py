"""Things that help users test their own agents without a simulator, browser or model:
a tiny deterministic env with a scene graph, and (in `agentloop.testing.models`) model doubles."""

from agentloop.testing.switches import SwitchesEnv, SwitchesPlanner

__all__ = ["SwitchesEnv", "SwitchesPlanner"]
