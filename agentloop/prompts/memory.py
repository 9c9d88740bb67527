"""What a prompt recalls of earlier scenes (`NO LONGER IN VIEW`): what earlier steps showed
that nothing shows now, where a later step may need it (a card's number hidden again, an
object shut in a drawer, a value a page replaced, the button a call pressed).

Left out, so that the section stays short: the controls a page shows around its content (a
link, a button, a label, a list's option, an image) that no call named, the short tokens of a widget (a
calendar's "Su" and "12", many under one parent), a part whose text its parent's line already
holds, and what the steps before a navigation showed: a page left behind is one line,
`(page "Home": 14 elements no longer shown)`. The section is capped in lines and characters.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from agentloop.context import HistoryItem, Seen, seen_in
from agentloop.prompts.episode import PAGE, named_ids
from agentloop.scene import SceneGraph

MEMORY = 8  # lines at most (the most recent)
MEMORY_CHARS = 1200  # the section's characters at most (the newest line always goes)
CHROME = frozenset({"link", "button", "label", "tab", "menuitem", "option", "img"})  # controls, not content
TOKEN = 3  # a name this short, without a value, is a token ...
TOKENS = 3  # ... of a widget where its parent held at least this many at that step


@dataclass(frozen=True)
class _State:
    """One thing a step showed: the step, the page it was on, and whether it is worth recalling."""

    step: int
    seen: Seen
    page: Seen | None
    noise: bool


def recalled(history: Sequence[HistoryItem], scene: SceneGraph | None, limit: int = MEMORY,
             chars: int = MEMORY_CHARS) -> list[str]:
    """What earlier steps showed that nothing shows now, newest first, as `step N: [id] ...`
    with what the id names now, if anything; each id's latest lost state and each text once."""
    now = seen_in(scene)
    kinds = {n.id: n.kind for n in scene.nodes} if scene is not None else {}
    # What is still shown: the same text, or the same element (`kind "name"`) where the old
    # state showed no value (a form redrawn under other ids, its fields filled since).
    showing = {s.shows for s in now.values()} | {_head(s) for s in now.values()}
    page_now = _page(now)
    latest: dict[tuple[str, str], _State] = {}  # (id, what it showed) -> the last step it did
    for item in history:
        noise, page = _noise(item), _page(item.seen)
        for nid, seen in item.seen.items():
            latest[(nid, seen.shows)] = _State(item.index, seen, page, nid in noise)
    lines: list[tuple[int, str]] = []
    left: dict[str, list[int]] = {}  # a page left behind -> [its newest step, what it showed]
    ids, told = set(), set()
    for (nid, shows), st in sorted(latest.items(), key=lambda kv: -kv[1].step):
        text = shows.split(" ", 1)[-1]
        if nid in ids or text in told or st.seen.kind == PAGE or shows in showing:
            continue  # an id's latest lost state, a text once (a card and its number), nothing still shown
        ids.add(nid)
        told.add(text)
        if st.page is not None and page_now is not None and st.page.shows != page_now.shows:
            left.setdefault(f'page "{st.page.name}"', [st.step, 0])[1] += 1
        elif not st.noise:
            current = now.get(nid)
            note = f"; now {current.shows}" if current is not None else (f"; now {kinds[nid]}" if nid in kinds else "")
            lines.append((st.step, f"step {st.step + 1}: [{nid}] {st.seen}{note}"))
    lines += [(step, f"step {step + 1}: ({page}: {n} elements no longer shown)") for page, (step, n) in left.items()]
    return _capped([line for _, line in sorted(lines, key=lambda sl: -sl[0])], limit, chars)


def _page(seen: dict[str, Seen]) -> Seen | None:
    return next((s for s in seen.values() if s.kind == PAGE), None)


def _noise(item: HistoryItem) -> set[str]:
    """The ids the step showed that carry nothing to recall: controls no call of the step named,
    widget tokens (short names, several under one parent) and parts whose text their parent's
    name holds (an inbox row's sender). A field or a value always counts."""
    named = set(named_ids(item))
    tokens = Counter(_parent(s) for s in item.seen.values() if _token(s))
    out = set()
    for nid, s in item.seen.items():
        if nid in named or s.field or s.shows != _head(s):
            continue
        parent = item.seen.get(_parent(s))
        if (s.kind in CHROME or (_token(s) and _parent(s) and tokens[_parent(s)] >= TOKENS)
                or (parent is not None and s.name and s.name in parent.name)):
            out.add(nid)
    return out


def _head(s: Seen) -> str:
    return f'{s.kind} "{s.name}"' if s.name else s.kind


def _token(s: Seen) -> bool:
    return 0 < len(s.name.strip()) <= TOKEN and not s.field and s.shows == _head(s)


def _parent(s: Seen) -> str:
    found = re.search(r"child of (\S+)", s.where)
    return found.group(1).rstrip(",") if found else ""


def _capped(lines: list[str], limit: int, chars: int) -> list[str]:
    """The newest lines within `limit` lines and `chars` characters, the rest counted."""
    kept: list[str] = []
    size = 0
    for line in lines:
        if len(kept) >= limit or (kept and size + len(line) > chars):
            break
        kept.append(line)
        size += len(line)
    return kept + [f"(and {len(lines) - len(kept)} older)"] if len(kept) < len(lines) else kept
