"""Gymnasium spaces shared by the built-in envs.

Gymnasium's `Text` space defaults to an alphanumeric charset, so a real text view (spaces,
punctuation, accents, CJK) would fall outside it and fail `check_env`. `text_space` admits
every printable character of the Basic Multilingual Plane; `fit_text` maps anything else
(emoji, control characters) to U+FFFD so an observation always lies in its space.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from gymnasium import spaces

from agentloop.calls import SkillCall
from agentloop.skillset import SkillSet

_CHARS = "\n\t" + "".join(
    chr(c) for c in range(0x20, 0xFFFE) if not (0xD800 <= c <= 0xDFFF) and chr(c).isprintable()
)
if "\ufffd" not in _CHARS:
    _CHARS += "\ufffd"
TEXT_CHARSET: frozenset[str] = frozenset(_CHARS)


def text_space(max_length: int = 65536) -> spaces.Text:
    """Any printable text up to `max_length` characters."""
    return spaces.Text(min_length=0, max_length=max_length, charset=_CHARS)


_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def fit_text(text: str, max_length: int = 65536) -> str:
    if len(text) > max_length:
        text = text[: max_length - 1] + "…"
    if text.isascii():  # the common case, checked in C
        return _ASCII_CONTROL.sub("\ufffd", text)
    if all(c in TEXT_CHARSET for c in text):
        return text
    return "".join(c if c in TEXT_CHARSET else "\ufffd" for c in text)


def image_space(height: int, width: int) -> spaces.Box:
    return spaces.Box(low=0, high=255, shape=(height, width, 3), dtype=np.uint8)


def observation_space(height: int, width: int, max_text: int = 65536) -> spaces.Dict:
    """The observation every built-in env returns: a screenshot and a text view."""
    return spaces.Dict({"screenshot": image_space(height, width), "text": text_space(max_text)})


class SkillSpace(spaces.Space[Any]):
    """The action space of a skill env: a `SkillCall`, or its text (`pick(object="cube")`)
    or JSON, up to `max_length` characters.

    Membership is about form, not sense: a call to an unknown skill lies in the space and
    comes back from `step()` as an action error. `sample()` draws a skill of the set with no
    arguments, which is what a random agent can honestly produce.
    """

    def __init__(self, skillset: SkillSet, max_length: int = 4096, seed: int | None = None):
        super().__init__(shape=None, dtype=None, seed=seed)
        self.skillset = skillset
        self.max_length = max_length

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        names = self.skillset.names()
        return f"{names[int(self.np_random.integers(len(names)))]}()"

    def contains(self, x: Any) -> bool:
        if isinstance(x, SkillCall):
            return True
        if isinstance(x, dict):
            return isinstance(x.get("name", x.get("skill")), str)
        return isinstance(x, str) and len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"SkillSpace({', '.join(self.skillset.names())})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SkillSpace) and other.skillset is self.skillset and other.max_length == self.max_length
