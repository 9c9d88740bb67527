"""What a policy is told after each call, as text: what ran (or why nothing did), the
validator's verdict, success and progress, and the scene now."""

from __future__ import annotations

from agentloop.integrations.session import Turn
from agentloop.records import StepRecord, Verdict


def describe_reset(turn: Turn) -> str:
    """The start of an episode: the goal (unless the env's text view states it), then the view."""
    goal, text = turn.perception.goal, turn.context.text
    return text if goal and goal in text else f"goal: {goal}\n{text}"


def describe(turn: Turn) -> str:
    """One call's answer (see the module's docstring)."""
    step = turn.step
    if step is None:
        outcome = turn.episode.outcome.value if turn.episode is not None else "over"
        return f"the episode is over ({outcome}); nothing ran"
    lines = _what_ran(step)
    # A call that ran has the step's account, which holds the env's verdict on a `finish` claim
    # (an answer right or wrong; the scene read before it knows nothing of it).
    success, progress = (step.success, step.progress) if step.action is not None else (
        turn.perception.success, turn.perception.progress)
    said = f"{progress:.2f}" if progress is not None else "unknown"
    lines.append(f"success: {'yes' if success else 'no'}; progress: {said}")
    if turn.episode is not None:
        lines.append(f"episode over: {turn.episode.outcome.value}")
    lines.append("scene:\n" + turn.context.text if step.action is not None else "scene: unchanged")
    return "\n".join(lines)


def _what_ran(step: StepRecord) -> list[str]:
    if step.action is None:
        if step.action_error:
            return [f"action error ({step.action_error}); nothing ran"]
        proposed = step.candidates[-1].text if step.candidates else "the call"
        return [f"the critic rejected {proposed}: {_verdict(step.critic)}; nothing ran"]
    lines = [f"ran {step.action_text}"]
    if step.action_error:
        lines.append(f"the environment refused it ({step.action_error}); nothing changed")
    if step.validator is not None and step.validator.judged:
        lines.append(f"validator: {'passed' if step.validator.ok else 'failed'}: {_verdict(step.validator)}")
    return lines


def _verdict(v: Verdict | None) -> str:
    if v is None:
        return "no reason given"
    text = v.reason or "no reason given"
    return f"{text} (suggestion: {v.suggestion})" if v.suggestion else text
