"""Model calls as export rows: each step's candidates with the model planner's calls for them
(recorded where a model ran, rendered where a scripted planner ran), as chat turns.

A row's prompt is the call's messages as sent and its target the reply as given; images are
the frames the prompt refers to. Text-only rows join a turn's texts as the transformers
backend does for a text-only model, so a model trained on them meets the same prompt.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from PIL import Image

from agentloop.exports.replay import Moment, Vocabulary, episode_moments
from agentloop.exports.source import Episode, Run, action_of
from agentloop.prompts.replies import PLANNER_ROLES, call_text, decision_of
from agentloop.records import CallRole, ModelCallRecord, StepRecord, VerdictSource

_FRAME_REF = re.compile(r"frame:step(\d+)")
ChatTurn = dict[str, Any]  # {"role": ..., "content": text, or a list of {"type", "text"} parts}


class Origin(str, Enum):
    """Where a row's prompt and target come from (the rows' `origin` column)."""

    RECORDED = "recorded"  # a model call as it was made
    RENDERED = "rendered"  # what the model planner would have been sent, with the scripted decision
    RELABELED = "relabeled"  # what the planner was sent at a state the episode reached, with a teacher's decision


@dataclass
class CallRow:
    """One model call of a step, ready to become a row."""

    episode: Episode
    step: StepRecord
    call: ModelCallRecord
    origin: Origin

    @classmethod
    def of(cls, ep: Episode, m: Moment, call: ModelCallRecord) -> CallRow:
        origin = Origin.RELABELED if m.relabeled else Origin.RENDERED if m.rendered else Origin.RECORDED
        return cls(ep, m.step, call, origin)

    @property
    def candidate(self) -> int | None:
        return self.call.candidate

    @property
    def role(self) -> CallRole:
        return self.call.role

    @property
    def prompt_version(self) -> str:
        return self.call.prompt_version or "unknown"

    def decision(self) -> str | None:
        """The skill call the reply decides on, as call text."""
        choice = decision_of(self.role, self.call.raw) if self.role in PLANNER_ROLES else None
        return call_text(choice) if choice is not None else None

    def prompt(self, images: bool) -> list[ChatTurn]:
        return [turn(m, images) for m in self.call.prompt]

    def prompt_text(self) -> str:
        """The prompt's turns' texts, joined by blank lines."""
        return "\n\n".join(str(turn(m, images=False)["content"]) for m in self.call.prompt)

    def reply(self, images: bool, text: str | None = None) -> ChatTurn:
        content = self.call.raw if text is None else text
        return {"role": "assistant", "content": [{"type": "text", "text": content}] if images else content}

    def frames(self) -> list[Image.Image]:
        """The frames the prompt shows, in order."""
        out = []
        for m in self.call.prompt:
            for p in _parts(m):
                found = _FRAME_REF.fullmatch(str(p.get("ref", ""))) if p.get("type") == "image" else None
                image = self.episode.frame_before(int(found.group(1))) if found else None
                if image is not None:
                    out.append(image)
        return out


def _parts(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])


def turn(message: dict[str, Any], images: bool) -> ChatTurn:
    """A recorded message as a chat turn: typed parts with image placeholders, or its text."""
    parts = _parts(message)
    if not images:
        return {"role": message["role"], "content": "\n".join(p["text"] for p in parts if p.get("type") == "text")}
    return {"role": message["role"], "content": [
        {"type": "image", "text": None} if p.get("type") == "image" else {"type": "text", "text": p.get("text", "")}
        for p in parts]}


def run_moments(run: Run) -> Iterator[tuple[Episode, list[Moment]]]:
    """Each filtered episode with its candidates' moments, read and rendered one at a time."""
    vocabs: dict[str, Vocabulary] = {}
    total = run.total
    for done, ep in enumerate(run.iter_episodes(), 1):
        vocab = vocabs.get(ep.record.env_id) or vocabs.setdefault(ep.record.env_id, Vocabulary.of(ep.record.env_id))
        yield ep, episode_moments(ep, vocab, run.options, run.manifest.config.candidates)
        run.progress("rendering prompts", done, total)


def good_rows(ep: Episode, moments: list[Moment]) -> list[CallRow]:
    """The planner calls behind each step that worked: its executed candidate's calls whose
    reply was usable and decided on what ran (a plan that reflection corrected is left out)."""
    out = []
    for m in moments:
        executed = action_of(m.step)
        if m.step.label is not True or not m.proposed.executed or executed is None:
            continue
        for call in m.calls:
            row = CallRow.of(ep, m, call)
            decided = row.decision()
            if call.error is None and (decided == executed or (decided is None and call.role is CallRole.REFLECT)):
                out.append(row)
    return out


def relabeled_rows(ep: Episode, moments: list[Moment]) -> list[CallRow]:
    """Every candidate's calls, rendered with the teacher's decision at its state: right or
    wrong, what the episode did there is the state, and the teacher says what to do in it."""
    return [CallRow.of(ep, m, call) for m in moments if m.relabeled for call in m.calls]


def final_row(ep: Episode, m: Moment) -> CallRow | None:
    """The call whose reply became the candidate (the last of its calls)."""
    return CallRow.of(ep, m, m.calls[-1]) if m.calls else None


def label_of(ep: Episode, m: Moment) -> bool | None:
    """Whether a candidate was right: for the one that ran, the step's label (it ran, was
    valid and passed the validator) unless it set the task back (its progress fell); False
    for one the rule critic refused (a precondition that does not hold); None where nobody knows."""
    cand = m.proposed
    if cand.executed:
        t = next(i for i, s in enumerate(ep.steps) if s is m.step)
        return bool(m.step.label) and ep.rewards.progress_delta[t] >= 0
    if cand.verdict is not None and not cand.verdict.ok and cand.verdict.source is VerdictSource.RULE:
        return False
    return None
