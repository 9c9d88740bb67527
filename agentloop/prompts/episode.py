"""What a prompt carries of the episode so far, beside the current scene (and beside what
earlier steps showed that is no longer in view, `agentloop.prompts.memory`): the recent steps (the window stated, older ones summed up,
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

HISTORY = 6  # past steps shown in full
FEEDBACK = 6  # kinds of feedback shown at most (the most recent)
PAGE = "page"  # the node kind of the page itself (web): its change makes older ids suspect


def passed(item: HistoryItem) -> bool:
    """Whether the step's action ran without error and its validator (if any) passed it."""
    return item.action_error is None and (item.validator is None or item.validator.ok)


def named_ids(item: HistoryItem) -> list[str]:
    """The node ids the step's call named, among those its scene showed."""
    try:
        call = SkillCall.parse(item.action)
    except (ActionError, ValueError):
        return []
    return [str(v) for v in call.args.values() if isinstance(v, (str, int)) and str(v) in item.seen]


def _moved(item: HistoryItem, now: dict[str, Seen]) -> str:
    """A note where an id the step named now names another element: another kind, or another
    name where that means another element: a field's (its label), any node's after the page
    changed or where there is no page to tell (a value typed into a field is no other element;
    a button's text that changes on its page is the same button)."""
    notes = []
    page_then = next((s.shows for s in item.seen.values() if s.kind == PAGE), None)
    page_now = next((s.shows for s in now.values() if s.kind == PAGE), None)
    for nid in named_ids(item):
        then, current = item.seen[nid], now.get(nid)
        if current is None:
            continue
        renamed = current.name != then.name and (then.field or page_then != page_now or page_now is None)
        if current.kind != then.kind or renamed:
            notes.append(f"[{nid}] was {then.shows}, now {current.shows}")
    return f" (ids since changed: {'; '.join(notes)})" if notes else ""


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
    # Every node now, an unnamed one by its kind: a named id may now name a bare container.
    now = {**{n.id: Seen(n.kind, kind=n.kind) for n in scene.nodes}, **seen_in(scene)} if scene is not None else {}
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
    was made) ran it and passed (`done_by`); steps are matched in the order they ran."""
    ran = [h for h in history if h.index >= since and passed(h)]
    out, at = [], 0
    for step in plan.steps:
        hit = next((j for j in range(at, len(ran)) if done_by(step, ran[j])), None)
        if hit is not None:
            at = hit + 1
        out.append((step, hit is not None))
    return out


def done_by(step: str, item: HistoryItem) -> bool:
    """Whether the step that ran (`item`) did the plan's `step`: the same call; or, where that is
    unambiguous, the same skill on the same elements (`type(element="16", text=...)` with other
    text), or a step in words that names the skill and each element's name ("click Forward")."""
    if same_call(step, item.action):
        return True
    try:
        ran = SkillCall.parse(item.action)
    except (ActionError, ValueError):
        return False
    ids = {k: str(v) for k, v in ran.args.items() if str(v) in named_ids(item)}
    if not ids:
        return False
    try:
        planned = SkillCall.parse(step)
    except (ActionError, ValueError):
        words = step.lower().replace("_", " ")
        names = [item.seen[i].name.lower() for i in ids.values()]
        return _says(words, ran.name.replace("_", " ")) and all(n and _says(words, n.lower()) for n in names)
    # The element by its id, or by its name where the plan wrote that in the id's place.
    return planned.name == ran.name and all(
        str(planned.args.get(k)).lower() in (v, item.seen[v].name.lower()) for k, v in ids.items())


def _says(text: str, words: str) -> bool:
    """Whether `text` holds `words` as whole words."""
    return re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text) is not None
