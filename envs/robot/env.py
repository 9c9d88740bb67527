"""`RobotEnv`: the MuJoCo tabletop as a skill-level Gymnasium env.

The action is a skill call as text (`pick(object="red_cube")`); the observation is the camera
frame and a text view of the perceived scene graph. Grounding failures (unknown ids, things
the camera does not see, a full gripper) are `ActionError`s raised before the world changes;
physical failures (a missed grasp, a dropped object) happen in the world and show in the next
scene graph.
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np

from agentloop.env import SCRIPTED_PLANNER, SkillEnv
from agentloop.envs.robot.disturb import Disturber
from agentloop.envs.robot.perception import MIN_PIXELS, perceive
from agentloop.envs.robot.render import Camera
from agentloop.envs.robot.scene import HALF
from agentloop.envs.robot.tasks import TASKS, TaskInstance
from agentloop.envs.robot.vocabulary import SKILLS
from agentloop.envs.robot.world import PARK, World
from agentloop.errors import ActionError
from agentloop.scene import SceneGraph
from agentloop.skills import BoundCall
from agentloop.spaces import fit_text, observation_space, text_space

MAX_TEXT = 8192
PUSH = {"left": (-0.08, 0.0), "right": (0.08, 0.0), "forward": (0.0, -0.08), "back": (0.0, 0.08)}
SLOTS = [(-0.025, -0.02), (0.025, 0.02), (0.025, -0.02), (-0.025, 0.02), (0.0, 0.0)]


class RobotEnv(SkillEnv):
    metadata = {"render_modes": ["rgb_array"], SCRIPTED_PLANNER: "agentloop.envs.robot.planner:RobotPlanner"}
    skillset = SKILLS

    def __init__(self, task: str = "pick-place", disturb: float = 0.0, width: int = 256,
                 height: int = 256, render_mode: str | None = "rgb_array"):
        """`task`: one of `TASKS`; `disturb`: probability of an injected failure per skill;
        `width`/`height`: camera frame size in pixels."""
        super().__init__(render_mode)
        if task not in TASKS:
            raise ValueError(f"unknown robot task {task!r}; tasks: {', '.join(TASKS)}")
        if not 0.0 <= disturb <= 1.0:
            raise ValueError(f"disturb must lie in [0, 1], got {disturb}")
        self.task, self.disturb = TASKS[task][0], disturb
        self._build = TASKS[task][1]
        self.height, self.width = height, width
        self.observation_space = observation_space(height, width, max_text=MAX_TEXT)
        self.action_space = text_space(512)
        self.world: World | None = None
        self.camera: Camera | None = None
        self.instance: TaskInstance | None = None
        self.disturber = Disturber(disturb, np.random.default_rng(0))

    # ---- SkillEnv ---------------------------------------------------------------------------
    def _reset_world(self, seed: int | None, options: dict[str, Any]) -> str:
        layout_rng = np.random.default_rng(int(self.np_random.integers(2**63)))
        self.instance = self._build(layout_rng)
        self.disturber = Disturber(self.disturb, np.random.default_rng(int(self.np_random.integers(2**63))))
        if self.camera is not None:
            self.camera.close()
        self.world = World(self.instance.scene)
        self.camera = Camera(self.world.model, self.height, self.width)
        return self.instance.goal

    def _observe(self) -> tuple[dict[str, Any], SceneGraph, dict[str, Any]]:
        assert self.world is not None and self.camera is not None
        frame = self.camera.rgb(self.world.data)
        scene = perceive(self.world, self.camera.visible_pixels(self.world.data))
        text = fit_text(f"goal: {self.goal}\n{scene.to_text(skip_attrs=('bbox', 'position'))}", MAX_TEXT)
        assert self.instance is not None
        return {"screenshot": frame, "text": text}, scene, {
            "goal_spec": self.instance.spec.model_dump(), "task": self.task.name}

    def _evaluate(self) -> tuple[float, bool, float | None, bool]:
        if self.world is None or self.instance is None:
            return 0.0, False, 0.0, False
        preds = self.instance.spec.predicates
        hits = 0
        for p in preds:
            if p.rel == "closed":
                hits += not self.world.drawer_open(p.object)
            else:
                hits += self.world.holds(p.object, p.rel, self.instance.resolved.get(p.target, p.target))
        success = hits == len(preds) and self.world.held is None
        return (1.0 if success else 0.0), success, hits / len(preds), success

    def _execute(self, call: BoundCall) -> None:
        assert self.world is not None
        name, a = call.call.name, call.args
        scene = self._last_scene or SceneGraph()
        getattr(self, f"_do_{name}")(a, scene)

    def close(self) -> None:
        if self.camera is not None:
            self.camera.close()
            self.camera = None

    # ---- grounding -------------------------------------------------------------------------
    def _seen_object(self, oid: str, scene: SceneGraph) -> None:
        w = self.world
        assert w is not None
        if oid not in w.objects:
            raise ActionError("no_element", f"there is no object {oid!r} (objects in view: {', '.join(n.id for n in scene.find(kind='object')) or 'none'})")
        if oid not in scene:
            raise ActionError("not_visible", f"{oid} is not visible to the camera")

    def _drawer(self, did: str) -> str:
        assert self.world is not None
        if did not in self.world.drawers:
            raise ActionError("no_element", f"there is no drawer {did!r} (drawers: {', '.join(self.world.drawers) or 'none'})")
        return did

    # ---- skills ------------------------------------------------------------------------------
    def _do_pick(self, a, scene: SceneGraph) -> None:
        w = self.world
        assert w is not None
        self._seen_object(a.object, scene)
        if w.held is not None:
            raise ActionError("precondition", f"the gripper already holds {w.held}")
        if w.held == a.object:
            return
        miss = self.disturber.draw("pick") == "miss"
        # Something resting on the object blocks the fingers: a physical miss, not an error.
        blocked = any(w.on_object(o, a.object) for o in w.objects if o != a.object)
        w.grasp(a.object, miss=miss or blocked)
        w.gripper_to(PARK)

    def _place_target(self, obj: str, target: str, scene: SceneGraph) -> np.ndarray:
        w = self.world
        assert w is not None
        if target == "table":
            return np.array([*w.free_spot(self.np_random, [w.pos(o) for o in w.objects if o != obj] + w.occupied()), HALF + 0.01])
        if target not in scene:
            known = target in w.objects or target in w.containers or target in w.drawers
            raise ActionError("not_visible" if known else "no_element",
                              f"{target} is not visible" if known else f"there is no {target!r} to place on")
        if target in w.containers:
            c = w.containers[target]
            base = np.array([*c.pos, 0.008])
        elif target in w.drawers:
            if not w.drawer_open(target):  # the gripper can only set it on the cabinet top
                p = w.pos(target)
                return np.array([p[0], p[1], 0.112 + HALF + 0.01])
            base = w.drawer_centre(target)
        elif target in w.objects:
            return w.pos(target) + (0, 0, 2 * HALF + 0.006)
        else:
            raise ActionError("bad_argument", f"cannot place anything on {target}")
        inside = [w.pos(o) for o in w.objects if o != obj and np.hypot(*(w.pos(o)[:2] - base[:2])) < 0.07]
        for dx, dy in SLOTS:
            spot = base[:2] + (dx, dy)
            if all(np.hypot(*(spot - q[:2])) > 0.04 for q in inside):
                return np.array([spot[0], spot[1], base[2] + HALF + 0.01])
        return np.array([base[0], base[1], base[2] + 3 * HALF + 0.01])

    def _do_place(self, a, scene: SceneGraph) -> None:
        w = self.world
        assert w is not None
        if a.object not in w.objects:
            raise ActionError("no_element", f"there is no object {a.object!r}")
        dest = self._place_target(a.object, a.target, scene)
        if w.held != a.object:
            # Nothing (or something else) in the fingers: the motion runs and nothing lands.
            w.gripper_to(dest + (0, 0, 0.05))
            w.gripper_to(PARK)
            return
        kind = self.disturber.draw("place")
        if kind == "drop":  # slips out of the fingers on the way
            spot = w.free_spot(self.disturber.rng, w.occupied())
            w.gripper_to(np.array([spot[0], spot[1], 0.08]))
            w.drop_here()
            w.gripper_to(PARK)
            return
        w.release_at(dest)
        if kind == "knock":  # the retreating gripper knocks it out again
            # It lands somewhere the camera sees: a knocked object is a failure to notice
            # and repair, not an object lost for good behind furniture.
            for _ in range(6):
                spot = w.free_spot(self.disturber.rng, w.occupied())
                w.set_pos(a.object, (spot[0], spot[1], HALF + 0.01))
                w.settle(80)
                if self.camera.visible_pixels(w.data).get(a.object, 0) >= MIN_PIXELS:
                    break

    def _do_open(self, a, scene: SceneGraph) -> None:
        w = self.world
        assert w is not None
        d = self._drawer(a.container)
        if w.held is not None:
            raise ActionError("precondition", f"the gripper holds {w.held}; it cannot pull a handle")
        w.set_drawer(d, True)
        w.settle(40)
        if self.disturber.draw("open") == "slide_shut":
            w.set_drawer(d, False)
            w.settle(40)

    def _do_close(self, a, scene: SceneGraph) -> None:
        w = self.world
        assert w is not None
        d = self._drawer(a.container)
        if w.held is not None:
            raise ActionError("precondition", f"the gripper holds {w.held}; it cannot push the drawer")
        w.set_drawer(d, False)
        w.settle(40)

    def _do_push(self, a, scene: SceneGraph) -> None:
        w = self.world
        assert w is not None
        self._seen_object(a.object, scene)
        if w.held is not None:
            raise ActionError("precondition", f"the gripper holds {w.held}")
        w.shove(a.object, PUSH[a.direction])

    def _do_lift(self, a, scene: SceneGraph) -> None:
        w = self.world
        assert w is not None
        if a.cover != "cup" or w.spec.cup is None:
            raise ActionError("no_element", f"there is no cover {a.cover!r}")
        if "cup" not in scene:
            raise ActionError("not_visible", "the cup is not visible")
        if w.held is not None:
            raise ActionError("precondition", f"the gripper holds {w.held}")
        if self.disturber.draw("lift") == "slip_cover":
            w.settle(20)  # the cup slipped from the fingers and stayed where it was
            return
        spot = w.free_spot(self.np_random, w.occupied(), margin=0.09)
        w.set_pos("cup", (spot[0], spot[1], 0.041))
        w.settle(60)

    def _do_look(self, a, scene: SceneGraph) -> None:
        if a.at != "table" and a.at not in scene:
            raise ActionError("not_visible", f"{a.at} is not in view")
