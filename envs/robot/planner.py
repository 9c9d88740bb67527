"""The scripted planner for the tabletop tasks: a symbolic planner over the perceived scene
graph and the task's goal predicates (`Perception.extra["goal_spec"]`).

`plan()` commits to a sequence of skill calls derived from what is perceived now: exploration
(lift the cup, open unexplored drawers) while a goal object or a symbolic target is unknown,
then pick/place pairs, then closing drawers. `next_action()` follows that commitment without
looking at the scene, so only feedback (after which `BasePlanner.propose` calls `plan()`
again) or an exhausted plan brings in the new scene: in a closed loop a failure is repaired
at the step it happens; in an open loop the stale plan runs on. Another best-of-N draw at the
same step (`ctx.candidate > 0`) gets the same call again: the plan has one next step.
"""

from __future__ import annotations

from agentloop.calls import SkillCall
from agentloop.context import Context
from agentloop.envs.robot.scene import CUP
from agentloop.envs.robot.tasks import ONLY_FRUIT, GoalRel, GoalSpec
from agentloop.records import Plan, PlanStage
from agentloop.roles.planner import BasePlanner
from agentloop.scene import SceneGraph
from agentloop.skills.robot import GRIPPER, TABLE, Close, Lift, Look, NodeKind, Open, Pick, Place, Rel


def _call(name: str, **args: str) -> SkillCall:
    return SkillCall(name=name, args=args)


def _spec(ctx: Context) -> GoalSpec:
    raw = ctx.perception.extra.get("goal_spec")
    return GoalSpec.model_validate(raw) if raw else GoalSpec(predicates=[])


def _is_place_of(call: SkillCall, obj: str) -> bool:
    return call.name == Place.name and call.args["object"] == obj


class RobotPlanner(BasePlanner):
    """The scripted planner of the tabletop tasks (see the module's docstring)."""

    name = "scripted"

    def __init__(self) -> None:
        super().__init__()
        self.queue: list[SkillCall] = []
        self.contents: dict[str, list[str]] = {}  # drawer -> categories seen inside when open
        self.phase: PlanStage = "complete"
        self._last: SkillCall | None = None

    def reset(self, ctx: Context) -> None:
        super().reset(ctx)
        self.queue, self.contents, self.phase, self._last = [], {}, "complete", None

    def plan(self, ctx: Context) -> Plan:
        self.queue = self._derive(ctx)
        return Plan(subgoals=[p.text() for p in _spec(ctx).predicates], steps=[str(c) for c in self.queue],
                    phase=self.phase, rationale="derived from the perceived scene graph")

    def next_action(self, ctx: Context) -> SkillCall:
        if ctx.candidate > 0 and self._last is not None:
            return self._last  # the plan has one next call, whichever draw asks for it
        if not self.queue and self.phase == "explore":
            # Exploration revealed something: plan again from what is seen now.
            self.queue = self._derive(ctx)
        # A used-up completion plan means the planner believes the task done. Only feedback
        # (after which `plan()` runs again) makes it look at the scene once more, which is
        # exactly what an open loop lacks.
        self._last = self.queue.pop(0) if self.queue else _call(Look.name, at=TABLE)
        return self._last

    # ---- derivation --------------------------------------------------------------------------
    def _remember(self, scene: SceneGraph) -> None:
        for d in scene.find(kind=NodeKind.DRAWER.value):
            if d.get("open"):
                self.contents[d.id] = [
                    (node.get("category") if (node := scene.node(o)) else "?") for o in scene.sources(Rel.IN.value, d.id)
                ]

    def _resolve(self, target: str) -> str | None:
        if target != ONLY_FRUIT:
            return target
        for d, cats in sorted(self.contents.items()):
            if cats and all(c == "fruit" for c in cats):
                return d
        return None

    def _derive(self, ctx: Context) -> list[SkillCall]:
        scene = ctx.scene or SceneGraph()
        self._remember(scene)
        gripper = scene.node(GRIPPER)
        held = gripper.get("holding") if gripper is not None else None
        steps, closes, missing = self._moves(_spec(ctx), scene, held)
        if held is not None and not any(_is_place_of(c, held) for c in steps):
            steps.insert(0, _call(Place.name, object=held, target=TABLE))
        elif held is not None:  # the held object's place comes first; drop opens before it
            i = next(k for k, c in enumerate(steps) if _is_place_of(c, held))
            steps = [steps[i]] + [c for k, c in enumerate(steps) if k != i and not (c.name == Open.name and k < i)]
        self.phase = "complete"
        if missing:
            explore = self._explore(scene)
            if explore is not None:
                self.phase = "explore"
                # Explore first with an empty hand; what is known can be done afterwards.
                return ([steps[0]] if held is not None else []) + [explore]
        return steps + closes

    def _moves(self, spec: GoalSpec, scene: SceneGraph, held: str | None) -> tuple[list[SkillCall], list[SkillCall], bool]:
        """The pick/place (and drawer-opening) calls for every unmet predicate that can be
        grounded now, the closes of drawers to shut, and whether something is still unknown."""
        steps: list[SkillCall] = []
        closes: list[SkillCall] = []
        missing = False
        opened: set[str] = set()
        for p in spec.predicates:
            if p.rel is GoalRel.CLOSED:
                n = scene.node(p.object)
                if n is not None and n.get("open"):
                    closes.append(_call(Close.name, container=p.object))
                continue
            target = self._resolve(p.target)
            if target is None or p.object not in scene:
                missing = True
                continue
            if scene.has(p.object, p.rel.value, target):
                continue
            t = scene.node(target)
            if t is not None and t.kind == NodeKind.DRAWER and not t.get("open") and target not in opened:
                steps.append(_call(Open.name, container=target))
                opened.add(target)
            if held != p.object:
                steps.append(_call(Pick.name, object=p.object))
            steps.append(_call(Place.name, object=p.object, target=target))
        return steps, closes, missing

    def _explore(self, scene: SceneGraph) -> SkillCall | None:
        cup = scene.node(CUP)
        if cup is not None and not cup.get("lifted"):
            return _call(Lift.name, cover=CUP)
        for d in scene.find(kind=NodeKind.DRAWER.value):
            if not d.get("open") and d.id not in self.contents:
                return _call(Open.name, container=d.id)
        for d in scene.find(kind=NodeKind.DRAWER.value):  # seen before but shut again: look once more
            if not d.get("open"):
                self.contents.pop(d.id, None)
                return _call(Open.name, container=d.id)
        return None
