"""What a prompt carries of the episode so far, beside the current scene: what earlier steps
showed that is no longer in view, the recent steps (the window stated, older ones summed up,
ids that now name other elements marked), the feedback that still applies (repeats counted),
and the plan's steps with those done marked.

Prompts count steps from 1 (`STEP 6 of 30`); records index them from 0.
All of it is computed from the context alone (its history, feedback and scene), so the
runtime and the exports, which rebuild contexts from the records, render the same text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from agentloop.calls import SkillCall
from agentloop.context import HistoryItem, Seen, seen_in
from agentloop.errors import ActionError
from agentloop.records import Feedback, FeedbackSource, Plan
from agentloop.scene import SceneGraph

MEMORY = 8  # facts recalled at most (the most recent)
HISTORY = 6  # past steps shown in full
FEEDBACK = 6  # kinds of feedback shown at most (the most recent)
PAGE = "page"  # the node kind of the page itself (web): its change makes older ids suspect


def passed(item: HistoryItem) -> bool:
    """Whether the step's action ran without error and its validator (if any) passed it."""
    return item.action_error is None and (item.validator is None or item.validator.ok)


def recalled(history: Sequence[HistoryItem], scene: SceneGraph | None, limit: int = MEMORY) -> list[str]:
    """What earlier steps showed that nothing shows now (a card's number hidden again, an
    object shut in a drawer, a value a page replaced), newest first, as `step N: [id] ...`."""
    now = seen_in(scene)
    showing = {s.shows.split(" ", 1)[-1] for s in now.values()}
    latest: dict[tuple[str, str], tuple[int, Seen]] = {}  # (id, what it showed) -> last step it did
    for item in history:
        for nid, seen in item.seen.items():
            latest[(nid, seen.shows)] = (item.index, seen)
    out, recalled_ids, told = [], set(), set()
    for (nid, _), (step, seen) in sorted(latest.items(), key=lambda kv: -kv[1][0]):
        text = seen.shows.split(" ", 1)[-1]
        if nid in recalled_ids or (step, text) in told or seen.kind == PAGE or text in showing:
            # An id's latest lost state only, told once a step (a card and the number inside it
            # show the same text); not the page's own node, nor what some node still shows.
            continue
        recalled_ids.add(nid)
        told.add((step, text))
        current = now.get(nid)
        note = f"; now {current.shows}" if current is not None else ""
        out.append(f"step {step + 1}: [{nid}] {seen}{note}")
    if len(out) > limit:
        out = out[:limit] + [f"(and {len(out) - limit} older)"]
    return out


def _targets(item: HistoryItem) -> list[str]:
    """The node ids the step's call named, among those its scene showed."""
    try:
        call = SkillCall.parse(item.action)
    except (ActionError, ValueError):
        return []
    return [str(v) for v in call.args.values() if isinstance(v, (str, int)) and str(v) in item.seen]


def _moved(item: HistoryItem, now: dict[str, Seen]) -> str:
    """A note where an id the step named now names another element: another kind, or, after
    the page changed, another name (a value typed into the same field is no other element)."""
    notes = []
    page_then = next((s.shows for s in item.seen.values() if s.kind == PAGE), None)
    page_now = next((s.shows for s in now.values() if s.kind == PAGE), None)
    for nid in _targets(item):
        then, current = item.seen[nid], now.get(nid)
        other_name = _name(current.shows) != _name(then.shows) if current is not None else False
        if current is not None and (current.kind != then.kind or (page_then != page_now and other_name)):
            notes.append(f"[{nid}] was {then.shows}, now {current.shows}")
    return f" (ids since changed: {'; '.join(notes)})" if notes else ""


def _name(shows: str) -> str:
    """`kind "name"` of what a node showed, its value left out."""
    return re.split(r" (?:value|url)=", shows, maxsplit=1)[0]


@dataclass(frozen=True)
class HistoryView:
    """The steps shown in full, each as a line, and what the window leaves out."""

    lines: list[str]
    total: int
    summary: str  # the steps before the window, counted per skill; "" when none

    @property
    def header(self) -> str:
        if len(self.lines) == self.total:
            return "HISTORY (most recent last):"
        return f"HISTORY (last {len(self.lines)} of {self.total} steps, most recent last; earlier: {self.summary}):"


def _outcome(item: HistoryItem) -> str:
    if item.action_error:
        return f" -> ERROR: {item.action_error}"
    if item.validator is not None:
        return " -> ok" if item.validator.ok else f" -> FAILED: {item.validator.reason}"
    return ""


def _summary(items: Sequence[HistoryItem]) -> str:
    skills = Counter(i.action.split("(", 1)[0] or "(none)" for i in items)
    failed = Counter(i.action.split("(", 1)[0] or "(none)" for i in items if not passed(i))
    parts = [f"{name} x{n}" + (f" ({failed[name]} failed)" if failed[name] else "") for name, n in skills.items()]
    return ", ".join(parts)


def history_view(history: Sequence[HistoryItem], scene: SceneGraph | None, window: int = HISTORY) -> HistoryView:
    """The last `window` steps in full, with their outcomes and id changes; the rest summed up."""
    now = seen_in(scene)
    shown = list(history[-window:]) if window else []
    lines = [f"step {h.index + 1}: {h.action or '(none)'}{_outcome(h)}{_moved(h, now)}" for h in shown]
    return HistoryView(lines, len(history), _summary(history[: len(history) - len(shown)]))


@dataclass(frozen=True)
class LiveFeedback:
    """One piece of feedback that still applies, and how often it was given."""

    source: FeedbackSource
    message: str
    suggestion: str | None
    steps: tuple[int, ...]

    def __str__(self) -> str:
        head = self.source.value + (" correction - follow it" if self.source is FeedbackSource.HUMAN else "")
        steps = [i + 1 for i in self.steps]  # prompts count steps from 1
        when = f"step {steps[0]}" if len(set(steps)) == 1 else f"steps {steps[0]}-{steps[-1]}"
        times = f", {len(steps)} times" if len(steps) > 1 else ""
        tip = f" (suggestion: {self.suggestion})" if self.suggestion else ""
        return f"[{head}, {when}{times}] {self.message}{tip}"


def live_feedback(feedback: Sequence[Feedback], history: Sequence[HistoryItem],
                  limit: int = FEEDBACK) -> list[LiveFeedback]:
    """Feedback that still applies: a critic's refusal, a validator's failure or an error
    goes once an action at its step or later ran and passed; a person's word stays. The same
    message given again is one entry with its count, placed by its latest time."""
    ok_steps = [h.index for h in history if passed(h)]
    groups: dict[tuple[FeedbackSource, str, str | None], list[int]] = {}
    for f in feedback:
        if f.source is not FeedbackSource.HUMAN and any(i >= f.step for i in ok_steps):
            continue
        key = (f.source, f.message, f.suggestion)
        groups[key] = [*groups.pop(key, []), f.step]  # re-inserted: ordered by the latest
    live = [LiveFeedback(src, msg, tip, tuple(steps)) for (src, msg, tip), steps in groups.items()]
    return live[-limit:]


def same_call(a: str, b: str) -> bool:
    """Whether two call texts name the same call (arguments compared as text: `element=3` is
    `element="3"`); text that does not parse as a call must match exactly."""
    try:
        x, y = SkillCall.parse(a), SkillCall.parse(b)
    except (ActionError, ValueError):
        return a.strip() == b.strip()
    return x.name == y.name and {k: str(v) for k, v in x.args.items()} == {k: str(v) for k, v in y.args.items()}


def plan_progress(plan: Plan, history: Sequence[HistoryItem], since: int) -> list[tuple[str, bool]]:
    """The plan's steps in order, each with whether a step at or after `since` (when the plan
    was made) ran it and passed; steps are matched in the order they ran."""
    ran = [h for h in history if h.index >= since and passed(h)]
    out, at = [], 0
    for step in plan.steps:
        hit = next((j for j in range(at, len(ran)) if same_call(step, ran[j].action)), None)
        if hit is not None:
            at = hit + 1
        out.append((step, hit is not None))
    return out
