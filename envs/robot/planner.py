"""The scripted planner for the tabletop tasks: a symbolic planner over the perceived scene
graph and the task's goal predicates (`info["goal_spec"]`).

`plan()` commits to a sequence of skill calls derived from what is perceived now: exploration
(lift the cup, open unexplored drawers) while a goal object or a symbolic target is unknown,
then pick/place pairs, then closing drawers. `next_action()` follows that commitment without
looking at the scene, so only feedback (which makes the loop call `plan()` again) or an
exhausted plan brings in the new scene: in a closed loop a failure is repaired at the step
it happens; in an open loop the stale plan runs on.
"""

from __future__ import annotations

from agentloop.envs.robot.tasks import ONLY_FRUIT, GoalSpec, Predicate
from agentloop.records import Plan
from agentloop.roles.context import Context
from agentloop.roles.planner import BasePlanner
from agentloop.scene import SceneGraph
from agentloop.skills import SkillCall


def _call(name: str, **args: str) -> SkillCall:
    return SkillCall(name=name, args=args)


class RobotPlanner(BasePlanner):
    name = "scripted"

    def __init__(self) -> None:
        super().__init__()
        self.queue: list[SkillCall] = []
        self.contents: dict[str, list[str]] = {}  # drawer -> categories seen inside when open
        self.phase = "complete"

    def reset(self, ctx: Context) -> None:
        super().reset(ctx)
        self.queue, self.contents = [], {}

    def plan(self, ctx: Context) -> Plan:
        self.queue = self._derive(ctx)
        spec = self._spec(ctx)
        return Plan(subgoals=[p.text() for p in spec.predicates], steps=[str(c) for c in self.queue],
                    phase=self.phase, rationale="derived from the perceived scene graph")  # type: ignore[arg-type]

    def next_action(self, ctx: Context) -> SkillCall:
        if not self.queue and self.phase == "explore":
            # Exploration revealed something: plan again from what is seen now.
            self.queue = self._derive(ctx)
        # A used-up completion plan means the planner believes the task done. Only feedback
        # (the loop calling `plan()` again) makes it look at the scene once more, which is
        # exactly what an open loop lacks.
        return self.queue.pop(0) if self.queue else _call("look", at="table")

    # ---- derivation --------------------------------------------------------------------------
    @staticmethod
    def _spec(ctx: Context) -> GoalSpec:
        raw = ctx.info.get("goal_spec") or {"predicates": []}
        return raw if isinstance(raw, GoalSpec) else GoalSpec.model_validate(raw)

    def _remember(self, scene: SceneGraph) -> None:
        for d in scene.find(kind="drawer"):
            if d.get("open"):
                self.contents[d.id] = [
                    (scene.node(o).get("category") if scene.node(o) else "?") for o in scene.sources("in", d.id)
                ]

    def _resolve(self, target: str, scene: SceneGraph) -> str | None:
        if target != ONLY_FRUIT:
            return target
        for d, cats in sorted(self.contents.items()):
            if cats and all(c == "fruit" for c in cats):
                return d
        return None

    def _derive(self, ctx: Context) -> list[SkillCall]:
        scene = ctx.scene or SceneGraph()
        self._remember(scene)
        spec = self._spec(ctx)
        held = (scene.node("gripper").get("holding") if scene.node("gripper") else None)
        steps: list[SkillCall] = []
        closes: list[SkillCall] = []
        missing = False
        opened: set[str] = set()
        for p in spec.predicates:
            if p.rel == "closed":
                n = scene.node(p.object)
                if n is not None and n.get("open"):
                    closes.append(_call("close", container=p.object))
                continue
            target = self._resolve(p.target, scene)
            if target is None or p.object not in scene:
                missing = True
                continue
            if self._holds(scene, p) if target == p.target else scene.has(p.object, p.rel, target):
                continue
            t = scene.node(target)
            if t is not None and t.kind == "drawer" and not t.get("open") and target not in opened:
                steps.append(_call("open", container=target))
                opened.add(target)
            if held != p.object:
                steps.append(_call("pick", object=p.object))
            steps.append(_call("place", object=p.object, target=target))
        if held is not None and not any(c.name == "place" and c.args["object"] == held for c in steps):
            steps.insert(0, _call("place", object=held, target="table"))
        elif held is not None:  # the held object's place comes first; drop actions before it
            i = next(k for k, c in enumerate(steps) if c.name == "place" and c.args["object"] == held)
            steps = [steps[i]] + [c for k, c in enumerate(steps) if k != i and not (c.name == "open" and k < i)]
        self.phase = "complete"
        if missing:
            explore = self._explore(scene)
            if explore is not None:
                self.phase = "explore"
                # Explore first with an empty hand; what is known can be done afterwards.
                return ([steps[0]] if held is not None else []) + [explore]
        return steps + closes

    @staticmethod
    def _holds(scene: SceneGraph, p: Predicate) -> bool:
        return scene.has(p.object, p.rel, p.target)

    def _explore(self, scene: SceneGraph) -> SkillCall | None:
        cup = scene.node("cup")
        if cup is not None and not cup.get("lifted"):
            return _call("lift", cover="cup")
        for d in scene.find(kind="drawer"):
            if not d.get("open") and d.id not in self.contents:
                return _call("open", container=d.id)
        for d in scene.find(kind="drawer"):  # seen before but shut again: look once more
            if not d.get("open"):
                self.contents.pop(d.id, None)
                return _call("open", container=d.id)
        return None
