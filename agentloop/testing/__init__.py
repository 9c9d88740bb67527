"""Things that help users test their own agents without a simulator, browser or model:
a tiny deterministic env with a scene graph, an in-memory episode sink, and (in
`agentloop.testing.models` and `agentloop.testing.openai_server`) model doubles whose replies
are built from the schema they are asked to fill (`agentloop.testing.replies`)."""

from agentloop.testing.sink import MemorySink
from agentloop.testing.switches import SwitchesEnv, SwitchesPlanner

__all__ = ["MemorySink", "SwitchesEnv", "SwitchesPlanner"]
