"""A recorded model call laid out for reading: its messages as text and image references,
its reply, the parsed result as indented JSON, and its cost."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from agentloop.records import ModelCallRecord


class PartKind(str, Enum):
    """What a piece of a recorded message is."""

    TEXT = "text"
    IMAGE = "image"  # recorded as a reference, never as pixels
    OTHER = "other"  # anything else a backend recorded, shown as JSON


@dataclass(frozen=True)
class Part:
    """One piece of a message: its text, an image's reference, or other JSON."""

    kind: PartKind
    text: str
    url: str | None = None  # where an image's frame is, when the reference names a recorded one


@dataclass(frozen=True)
class MessageView:
    """One message of a prompt."""

    role: str
    parts: list[Part]


@dataclass(frozen=True)
class CallView:
    """One model call as its collapsed block on the page shows it."""

    record: ModelCallRecord
    messages: list[MessageView]
    parsed: str  # indented JSON of the parsed reply, "" when nothing was parsed

    @property
    def tokens(self) -> str:
        r = self.record
        if r.prompt_tokens is None and r.completion_tokens is None:
            return "-"
        return f"{r.prompt_tokens if r.prompt_tokens is not None else '?'} → {r.completion_tokens if r.completion_tokens is not None else '?'}"

    @property
    def facts(self) -> list[tuple[str, str]]:
        """The call's settings and provenance, where recorded, as (label, text) pairs."""
        r = self.record
        facts = [
            ("sampling", json.dumps(r.sampling, ensure_ascii=False, default=str) if r.sampling else None),
            ("model id", r.model_id), ("revision", r.model_revision), ("prompt version", r.prompt_version),
            ("log-prob sum", f"{r.logprob_sum:.4g}" if r.logprob_sum is not None else None),
            ("mean entropy", f"{r.mean_entropy:.4g}" if r.mean_entropy is not None else None),
            ("prompt token ids", str(len(r.prompt_token_ids)) if r.prompt_token_ids is not None else None),
            ("completion token ids", str(len(r.completion_token_ids)) if r.completion_token_ids is not None else None),
        ]
        return [(k, v) for k, v in facts if v is not None]


ImageUrl = Callable[[str], "str | None"]  # an image reference -> the URL of its frame, if recorded


def _part(p: Any, image_url: ImageUrl) -> Part:
    if isinstance(p, dict):
        if p.get("type") == "text" and isinstance(p.get("text"), str):
            return Part(PartKind.TEXT, p["text"])
        if p.get("type") == "image":
            ref = str(p.get("ref") or p.get("image") or "image")
            return Part(PartKind.IMAGE, ref, image_url(ref))
    if isinstance(p, str):
        return Part(PartKind.TEXT, p)
    return Part(PartKind.OTHER, json.dumps(p, ensure_ascii=False, default=str))


def _message(m: Any, image_url: ImageUrl) -> MessageView:
    if not isinstance(m, dict):
        return MessageView("?", [_part(m, image_url)])
    content = m.get("content")
    items = content if isinstance(content, list) else [content if content is not None else ""]
    return MessageView(str(m.get("role", "?")), [_part(p, image_url) for p in items])


def call_view(record: ModelCallRecord, image_url: ImageUrl = lambda ref: None) -> CallView:
    """The view of one recorded call; `image_url` finds the frames its images name."""
    parsed = "" if record.parsed is None else json.dumps(record.parsed, ensure_ascii=False, indent=2, default=str)
    return CallView(record=record, messages=[_message(m, image_url) for m in record.prompt], parsed=parsed)
