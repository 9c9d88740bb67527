"""The tabletop tasks: each draws a seeded layout and names goal predicates that give
`success` and a verifiable `progress` (the fraction of predicates that hold).

A goal is stated twice: in words for the planner, and as `GoalSpec` predicates. A predicate's
target may be symbolic (`drawer_with_only_fruit`) where finding it is the task; the checker
resolves it from ground truth, the agent must explore to resolve it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

import numpy as np
from pydantic import BaseModel, Field

from agentloop.envs.robot.scene import (
    BLOCK_SHAPES,
    CUP,
    FRUIT,
    ContainerSpec,
    ObjectSpec,
    SceneSpec,
)

ONLY_FRUIT = "drawer_with_only_fruit"


class GoalRel(str, Enum):
    """What a goal predicate asks of its object."""

    IN = "in"  # the object lies in the target container or drawer
    ON = "on"  # the object rests on the target object
    CLOSED = "closed"  # the object (a drawer) is shut; no target


class Predicate(BaseModel):
    """One fact the goal asks for, checked on ground truth."""

    object: str
    rel: GoalRel
    target: str = ""

    def text(self) -> str:
        if self.rel is GoalRel.CLOSED:
            return f"{self.object} closed"
        return f"{self.object} {self.rel.value} {self.target}"


class GoalSpec(BaseModel):
    """The goal as predicates the planner can read (targets may be symbolic)."""

    predicates: list[Predicate]


class TaskInstance(BaseModel):
    """One seeded episode of a task: its layout, its goal in words and as predicates."""

    scene: SceneSpec
    goal: str
    spec: GoalSpec
    # Symbolic targets resolved from ground truth, for the checker only.
    resolved: dict[str, str] = Field(default_factory=dict)


_FRONT = (-0.33, 0.33, -0.27, -0.04)
DRAWER_SLOTS = [(0.0, -0.03), (0.0, 0.027), (0.0, 0.0)]  # where objects lie in a drawer (from its centre)


class _Layout:
    """Draws non-overlapping spots on the free front part of the table."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.taken: list[tuple[tuple[float, float], float]] = []

    def spot(self, radius: float) -> tuple[float, float]:
        x0, x1, y0, y1 = _FRONT
        for _ in range(500):
            p = (float(self.rng.uniform(x0 + radius, x1 - radius)), float(self.rng.uniform(y0 + radius * 0.5, y1)))
            if all(np.hypot(p[0] - q[0], p[1] - q[1]) > radius + r + 0.015 for q, r in self.taken):
                self.taken.append((p, radius))
                return round(p[0], 3), round(p[1], 3)
        raise RuntimeError("layout does not fit the table")


def _blocks(rng: np.random.Generator, n: int, colours: list[str] | None = None,
            shapes: tuple[str, ...] = BLOCK_SHAPES, exclude: set[str] | None = None) -> list[ObjectSpec]:
    pool = [(c, s) for c in (colours or ["red", "green", "blue", "yellow", "purple", "orange", "white"])
            for s in shapes if f"{c}_{s}" not in (exclude or set())]
    idx = rng.permutation(len(pool))[:n]
    return [ObjectSpec(id=f"{pool[i][0]}_{pool[i][1]}", shape=pool[i][1], colour=pool[i][0], category="block")
            for i in idx]


def _fruit(rng: np.random.Generator, n: int, exclude: set[str] | None = None) -> list[ObjectSpec]:
    names = [f for f in FRUIT if f not in (exclude or set())]
    pick = [names[i] for i in rng.permutation(len(names))[:n]]
    return [ObjectSpec(id=f, shape=FRUIT[f][0], colour=FRUIT[f][1], category="fruit") for f in pick]


def _put_on_table(lay: _Layout, objs: list[ObjectSpec]) -> None:
    for o in objs:
        o.pos = lay.spot(0.03)


def _containers(lay: _Layout, kinds: list[tuple[str, str]]) -> list[ContainerSpec]:
    out = []
    for typ, colour in kinds:
        cid = f"{colour}_{typ}"
        out.append(ContainerSpec(id=cid, type=typ, colour=colour, pos=lay.spot(0.085 if typ == "tray" else 0.07)))
    return out


def _other_colour(rng: np.random.Generator, avoid: set[str]) -> str:
    options = [c for c in ("blue", "green", "white", "grey", "brown") if c not in avoid]
    return options[int(rng.integers(len(options)))]


def _in_drawer(objs: list[ObjectSpec], drawer: str) -> None:
    # One behind the other down the drawer's middle: the fingers fit on either side of each.
    slots = DRAWER_SLOTS
    for k, o in enumerate(objs):
        o.place, o.pos = drawer, slots[k % len(slots)]


# ---- the tasks ---------------------------------------------------------------------------------


def pick_place(rng: np.random.Generator) -> TaskInstance:
    lay = _Layout(rng)
    cont = _containers(lay, [("bowl", _other_colour(rng, set())), ("tray", "grey")])
    objs = _blocks(rng, 2) + _fruit(rng, 1)
    _put_on_table(lay, objs)
    obj, target = objs[int(rng.integers(len(objs)))], cont[int(rng.integers(2))]
    return TaskInstance(scene=SceneSpec(objects=objs, containers=cont),
                        goal=f"put the {obj.id.replace('_', ' ')} in the {target.id.replace('_', ' ')}",
                        spec=GoalSpec(predicates=[Predicate(object=obj.id, rel=GoalRel.IN, target=target.id)]))


def stack(rng: np.random.Generator) -> TaskInstance:
    lay = _Layout(rng)
    objs = _blocks(rng, 3, shapes=("cube",))
    _put_on_table(lay, objs)
    top, base = objs[0], objs[1]
    return TaskInstance(scene=SceneSpec(objects=objs),
                        goal=f"stack the {top.id.replace('_', ' ')} on the {base.id.replace('_', ' ')}",
                        spec=GoalSpec(predicates=[Predicate(object=top.id, rel=GoalRel.ON, target=base.id)]))


def sort_by_colour(rng: np.random.Generator) -> TaskInstance:
    lay = _Layout(rng)
    cont = _containers(lay, [("bowl", "red"), ("bowl", "blue")])
    shapes = list(BLOCK_SHAPES)
    reds = _blocks(rng, 2, colours=["red"], shapes=tuple(shapes))
    blues = _blocks(rng, 2, colours=["blue"], shapes=tuple(shapes))
    objs = reds + blues + _blocks(rng, 1, colours=["green", "yellow"])
    _put_on_table(lay, objs)
    preds = [Predicate(object=o.id, rel=GoalRel.IN, target="red_bowl") for o in reds]
    preds += [Predicate(object=o.id, rel=GoalRel.IN, target="blue_bowl") for o in blues]
    return TaskInstance(scene=SceneSpec(objects=objs, containers=cont),
                        goal="sort by colour: put every red object in the red bowl and every blue object in the blue bowl",
                        spec=GoalSpec(predicates=preds))


def put_all_in(rng: np.random.Generator) -> TaskInstance:
    lay = _Layout(rng)
    cont = _containers(lay, [("tray", "grey")])
    blocks = _blocks(rng, 3)
    objs = blocks + _fruit(rng, 2)
    _put_on_table(lay, objs)
    return TaskInstance(scene=SceneSpec(objects=objs, containers=cont),
                        goal="put all the blocks in the grey tray (leave the fruit where it is)",
                        spec=GoalSpec(predicates=[Predicate(object=o.id, rel=GoalRel.IN, target="grey_tray") for o in blocks]))


def find_in_drawer(rng: np.random.Generator) -> TaskInstance:
    lay = _Layout(rng)
    cont = _containers(lay, [("bowl", _other_colour(rng, set()))])
    target = _blocks(rng, 1, shapes=("cube", "cylinder"))[0]
    others = _blocks(rng, 2, exclude={target.id}) + _fruit(rng, 1)
    table = _fruit(rng, 1, exclude={o.id for o in others})
    _put_on_table(lay, table)
    order = rng.permutation(3)
    _in_drawer([target], f"drawer_{order[0] + 1}")
    _in_drawer(others[:2], f"drawer_{order[1] + 1}")
    _in_drawer(others[2:], f"drawer_{order[2] + 1}")
    return TaskInstance(scene=SceneSpec(objects=[target, *others, *table], containers=cont, drawers=3),
                        goal=f"the {target.id.replace('_', ' ')} is in one of the drawers: find it and put it in the {cont[0].id.replace('_', ' ')}",
                        spec=GoalSpec(predicates=[Predicate(object=target.id, rel=GoalRel.IN, target=cont[0].id)]))


def fruit_drawer(rng: np.random.Generator) -> TaskInstance:
    lay = _Layout(rng)
    fruit = _fruit(rng, 4)
    blocks = _blocks(rng, 3)
    loose, only, mixed_f = fruit[0], fruit[1:3], fruit[3]
    _put_on_table(lay, [loose, blocks[2]])
    order = rng.permutation(3)
    fd = f"drawer_{order[0] + 1}"
    _in_drawer(only, fd)
    _in_drawer(blocks[:2], f"drawer_{order[1] + 1}")
    # The third drawer is mixed: a fruit and a block.
    extra = _blocks(rng, 1, exclude={b.id for b in blocks})[0]
    _in_drawer([mixed_f, extra], f"drawer_{order[2] + 1}")
    objs = [loose, blocks[2], *only, *blocks[:2], mixed_f, extra]
    return TaskInstance(scene=SceneSpec(objects=objs, drawers=3),
                        goal=f"put the {loose.id.replace('_', ' ')} into the drawer that holds only fruit",
                        spec=GoalSpec(predicates=[Predicate(object=loose.id, rel=GoalRel.IN, target=ONLY_FRUIT)]),
                        resolved={ONLY_FRUIT: fd})


def occluded(rng: np.random.Generator) -> TaskInstance:
    lay = _Layout(rng)
    cont = _containers(lay, [("bowl", _other_colour(rng, set()))])
    hidden = _blocks(rng, 1, shapes=("cube", "cylinder"))[0]
    cup = lay.spot(0.06)
    hidden.place, hidden.pos = CUP, cup
    table = _blocks(rng, 1, exclude={hidden.id}) + _fruit(rng, 1)
    _put_on_table(lay, table)
    return TaskInstance(scene=SceneSpec(objects=[hidden, *table], containers=cont, cup=cup),
                        goal=f"the {hidden.id.replace('_', ' ')} is hidden under the cup: put it in the {cont[0].id.replace('_', ' ')}",
                        spec=GoalSpec(predicates=[Predicate(object=hidden.id, rel=GoalRel.IN, target=cont[0].id)]))


def tidy_up(rng: np.random.Generator) -> TaskInstance:
    lay = _Layout(rng)
    bowl = _other_colour(rng, {"grey"})
    cont = _containers(lay, [("bowl", bowl), ("tray", "grey")])
    fruit, blocks = _fruit(rng, 2), _blocks(rng, 2)
    _put_on_table(lay, fruit + blocks)
    drawer = f"drawer_{int(rng.integers(3)) + 1}"
    preds = [Predicate(object=o.id, rel=GoalRel.IN, target=f"{bowl}_bowl") for o in fruit]
    preds += [Predicate(object=o.id, rel=GoalRel.IN, target="grey_tray") for o in blocks]
    preds.append(Predicate(object=drawer, rel=GoalRel.CLOSED))
    return TaskInstance(scene=SceneSpec(objects=fruit + blocks, containers=cont, drawers=3, open_drawers=[drawer]),
                        goal=f"tidy up: fruit in the {bowl} bowl, blocks in the grey tray, and close the open drawer",
                        spec=GoalSpec(predicates=preds))


# Task name -> its layout builder. Step limits and descriptions live in the package's
# `TASK_TABLE`, which registration reads without importing this module.
TASKS: dict[str, Callable[[np.random.Generator], TaskInstance]] = {
    "pick-place": pick_place,
    "stack": stack,
    "sort-by-colour": sort_by_colour,
    "put-all-in": put_all_in,
    "find-in-drawer": find_in_drawer,
    "fruit-drawer": fruit_drawer,
    "occluded": occluded,
    "tidy-up": tidy_up,
}
