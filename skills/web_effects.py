"""The expected effects of the web skills (`agentloop.skills.web`): what each really does to
the element graph, so that the effect validator judges a step by it.

A focus is `focused`; a checkbox flips; a followed link is a new URL on the page's own node; a
stroke on a canvas changes its pixels' digest; a key on a slider changes its value. The page's
own node (`PAGE`) also says when the task's episode is over (`ended`): an action that ends it did
act, whatever the page shows afterwards.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urldefrag, urljoin

from pydantic import Field

from agentloop.effects import Effect, EffectKind, attr, changed
from agentloop.scene import Node, SceneDiff, SceneGraph

PAGE = "page"
"""The id of the page's own node in the element graph: its `url`, `title` and `ended` (the task
said its episode is over: a MiniWoB page covers itself and waits for the next one)."""
PAGE_KIND = "page"
# The element graph's meta keys, present only when they hold something (their names say what they are):
OFFSCREEN = "elements_offscreen"
"""How many visible elements lie outside the viewport (scroll to see them)."""
AWAY = "ids_offscreen"
"""Ids seen earlier this episode that now lie outside the viewport: still usable, since an action
on one scrolls it into view first."""


class AnyOf(Effect):
    """Holds when one of `options` holds: an effect that may show in more than one way."""

    kind: EffectKind = EffectKind.CHANGED  # unused: `holds` asks the options
    options: list[Effect] = Field(default_factory=list)

    def holds(self, before: SceneGraph, after: SceneGraph, diff: SceneDiff | None = None) -> bool:
        result = any(o.holds(before, after, diff) for o in self.options)
        return not result if self.negate else result

    def __str__(self) -> str:
        return ("not " if self.negate else "") + " or ".join(map(str, self.options))


def node_at(scene: SceneGraph, x: float, y: float) -> str | None:
    """The id of the smallest visible node whose box holds the point, or None."""
    best: tuple[float, str] | None = None
    for n in scene.nodes:
        box = n.get("bbox")
        if not box or not n.get("visible", True):
            continue
        bx, by, bw, bh = box
        if bx <= x < bx + bw and by <= y < by + bh and (best is None or bw * bh < best[0]):
            best = (bw * bh, n.id)
    return best[1] if best else None


def page_url(scene: SceneGraph) -> str:
    """The URL of the page the graph shows (its page node's)."""
    page = scene.node(PAGE)
    return str(page.get("url") or "") if page is not None else ""


def or_ended(effect: Effect) -> Effect:
    """`effect`, or the end of the task's episode: an action that ended it did act, whatever the
    page shows afterwards (MiniWoB's focus-text blurs the field it was asked to focus)."""
    return AnyOf(options=[effect, attr(PAGE, "ended", True)])


def differs(node: str, key: str, before: Any) -> Effect:
    """`node.key` is no longer `before`."""
    return Effect(kind=EffectKind.ATTR, node=node, key=key, value=before, negate=True)


def follows(scene: SceneGraph, n: Node) -> str | None:
    """The URL a click on `n` opens, where it is a link to another document (not `#…`, not
    `javascript:`, not this very page); else None."""
    href = n.get("href")
    if not href or href.startswith(("#", "javascript:")):
        return None
    here = page_url(scene)
    target = urljoin(here, href)
    return None if urldefrag(target)[0] == urldefrag(here)[0] else target


def click_effect(scene: SceneGraph, eid: str | None) -> Effect:
    """What a click on `eid` does: a text field takes the focus, a checkbox flips (a radio
    button is chosen), a link to another document navigates; anything else changes something."""
    n = scene.node(eid) if eid else None
    if n is None or n.kind == PAGE_KIND:
        return changed()
    if n.get("editable"):
        return or_ended(attr(n.id, "focused", True))
    if n.get("type") in ("checkbox", "radio") and isinstance(n.get("checked"), bool):
        return or_ended(attr(n.id, "checked", True if n.get("type") == "radio" else not n.get("checked")))
    if follows(scene, n) is not None:
        return or_ended(differs(PAGE, "url", page_url(scene)))
    return changed()  # the page node is in the graph: a navigation or the episode's end is a change


def select_effect(eid: str, option: str | list[str]) -> Effect:
    """The list then holds the option (by value or label; a label matched ignoring case shows as
    a change of the list); one chosen already is no failure."""
    wanted = [option] if isinstance(option, str) else list(option)
    options = [attr(eid, "selected_options", wanted), changed(eid)]
    if isinstance(option, str):
        options.insert(0, attr(eid, "value", option))
    return or_ended(AnyOf(options=options))


# The keys that move a slider or spin button, and which way (+1 up, -1 down).
KEY_STEPS = {"ArrowUp": 1, "ArrowRight": 1, "PageUp": 1, "End": 1,
             "ArrowDown": -1, "ArrowLeft": -1, "PageDown": -1, "Home": -1}


def _number(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def at_end(n: Node, step: int) -> bool:
    """A slider at its end already: a key that moves it further leaves its value as it is."""
    value, end = _number(n.get("value")), _number(n.get("max" if step > 0 else "min"))
    return value is not None and end is not None and (value >= end if step > 0 else value <= end)
