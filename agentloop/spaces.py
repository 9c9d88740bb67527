"""Gymnasium spaces shared by the built-in envs.

Gymnasium's `Text` space defaults to an alphanumeric charset, so a real text view (spaces,
punctuation, accents, CJK) would fall outside it and fail `check_env`. `text_space` admits
every printable character of the Basic Multilingual Plane; `fit_text` maps anything else
(emoji, control characters) to U+FFFD so an observation always lies in its space.
"""

from __future__ import annotations

import re

import numpy as np
from gymnasium import spaces

_CHARS = "\n\t" + "".join(
    chr(c) for c in range(0x20, 0xFFFE) if not (0xD800 <= c <= 0xDFFF) and chr(c).isprintable()
)
if "\ufffd" not in _CHARS:
    _CHARS += "\ufffd"
TEXT_CHARSET: frozenset[str] = frozenset(_CHARS)


def text_space(max_length: int = 65536) -> spaces.Text:
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
