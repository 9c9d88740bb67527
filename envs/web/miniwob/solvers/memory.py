"""Tasks that show something and then hide it: the solver reads the scene graphs seen earlier
in the episode, as a model reads its past observations (`Remembering` solvers)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from agentloop.context import Context
from agentloop.envs.web.miniwob.solvers.common import (
    WAIT,
    Action,
    Skill,
    Solvers,
    body,
    box,
    call,
    centre,
    click,
    submit,
)
from agentloop.envs.web.solving import Remembering
from agentloop.scene import Node, SceneGraph


def _inside(point: tuple[float, float], n: Node) -> bool:
    x, y, w, h = box(n)
    return x <= point[0] <= x + w and y <= point[1] <= y + h


def _numbers(scene: SceneGraph) -> dict[int, tuple[float, float]]:
    """The drawn numbers of a scene and where they are (svg text nodes named by digits)."""
    return {int(n.name): centre(n) for n in scene.nodes
            if n.get("tag") == "text" and re.fullmatch(r"\d+", n.name.strip()) and n.get("visible", True)}


def ascending_numbers(ctx: Context, seen: Sequence[SceneGraph]) -> Action:
    """Click the numbers in ascending order; after the first click they are covered by blank
    squares, so the next one is found where it was seen."""
    shown = next((nums for scene in seen if (nums := _numbers(scene))), {})
    if not shown:
        return WAIT
    clicks = sum(1 for h in ctx.history if not h.action_error and h.action.startswith(("click(", "click_at(")))
    order = sorted(shown)
    if clicks >= len(order):
        return WAIT
    where = shown[order[clicks]]
    now = _numbers(ctx.scene) if ctx.scene is not None else {}
    if order[clicks] in now:  # still showing: click the number itself
        label = next(n for n in body(ctx) if n.get("tag") == "text" and n.name.strip() == str(order[clicks]))
        return click(label)
    cover = next((n for n in body(ctx) if n.get("clickable") and n.get("tag") == "rect" and _inside(where, n)), None)
    return click(cover) if cover else call(Skill.CLICK_AT, x=where[0], y=where[1])


def _cards(ctx: Context) -> list[Node]:
    return [n for n in body(ctx) if n.get("clickable") and n.get("tag") == "div" and box(n)[3] > 40]


def _face(scene: SceneGraph, card: Node) -> int | None:
    """The number a card shows face up in `scene` (a visible text inside its box), if any."""
    for n in scene.nodes:
        if n.kind == "text" and n.get("visible", True) and re.fullmatch(r"-?\d+", n.name.strip()) \
                and _inside(centre(n), card):
            return int(n.name)
    return None


def find_greatest(ctx: Context, seen: Sequence[SceneGraph]) -> Action:
    """Turn each card over once (one shows at a time), remember its number, then leave the
    greatest face up and submit."""
    cards = _cards(ctx)
    if not cards:
        return WAIT
    values: dict[str, int] = {}
    for scene in seen:
        for card in cards:
            v = _face(scene, card)
            if v is not None:
                values[card.id] = v
    unknown = [c for c in cards if c.id not in values]
    if unknown:
        return click(unknown[0])
    best = max(cards, key=lambda c: values[c.id])
    current = ctx.scene
    if current is not None and _face(current, best) is None:
        return click(best)
    return submit(ctx)


SOLVERS: Solvers = {
    "miniwob.ascending-numbers": Remembering(ascending_numbers),
    "miniwob.find-greatest": Remembering(find_greatest),
}
