"""A model-driven planner for the report's tests, loaded by `agentloop run --planner
tests.report.agents:mischief`: the real VLM planner over a scripted model whose replies
carry markup and, per episode, cause one critic rejection (a precondition-violating first
proposal) and one action error (an unusable reply); with the toy env's `slip_first=1` its
first switch slips and the validator fails it."""

from __future__ import annotations

import re

from agentloop.roles.vlm import VLMPlanner
from agentloop.testing.models import ScriptedModel

MARKUP = "<script>window.pwned=1</script><b>bold</b>"
BAD_REPLY = "<script>window.pwned=2</script> not a call"


def _lamps(prompt: str) -> tuple[list[str], dict[str, bool]]:
    goal = re.search(r"GOAL: (.*)", prompt)
    targets = re.findall(r"lamp_\d+", goal.group(1)) if goal else []
    on = {m[0]: m[1] == "True" for m in re.findall(r'\[(lamp_\d+)\] lamp "[^"]*" on=(True|False)', prompt)}
    return targets, on


def _next(prompt: str) -> dict[str, object]:
    targets, on = _lamps(prompt)
    todo = [t for t in targets if not on.get(t)] or targets
    return {"skill": "switch_on", "args": {"lamp": todo[0]}}


def _reply(kind: str, prompt: str) -> object:
    if kind == "plan":
        first = "FEEDBACK TO ACT ON" not in prompt and "HISTORY" not in prompt
        targets, _ = _lamps(prompt)
        action = {"skill": "switch_off", "args": {"lamp": targets[0]}} if first else _next(prompt)
        return {"phase": "complete", "subgoals": [f"switch on {t}" for t in targets], "steps": [],
                "rationale": f"the lamps {MARKUP}", "next_action": action}
    if kind == "reflect":
        return {"ok": True, "problems": [], "phase": "complete", "subgoals": [], "steps": [], "next_action": None}
    if kind in ("action", "retry"):
        return BAD_REPLY  # unusable: after its retries it reaches the loop as an action error
    return {}


def mischief() -> VLMPlanner:
    """The planner described above (a fresh model per call: the factory runs once per worker)."""
    return VLMPlanner(ScriptedModel(fallback=_reply, name="scripted-vlm"), retries=1)
