"""`RobotEnv`: the MuJoCo tabletop as a skill-level Gymnasium env.

The action is a skill call (`pick(object="red_cube")`, as text or a `SkillCall`); the
observation is the camera frame and a text view of the perceived scene graph. Each skill of
`agentloop.skills.robot` runs through its executor in the `executors` table, which grounds
the call and hands it to the episode's `Hand`: the Franka Panda (`arm="panda"`, the default:
IK motions tracked at the physics rate) or the fast mode's mocap gripper (`arm="none"`).
Grounding failures (unknown ids, things the camera does not see, a full gripper, a target out
of the arm's reach) are `ActionError`s raised before the world changes; physical failures (a
grasp that closes on nothing, a dropped or knocked object, a drawer left half open) happen in
the world and show in the next scene graph. The goal's predicates are reported in
`Perception.extra["goal_spec"]`, the simulated seconds of the last skill in
`extra["sim_seconds"]`.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, TypeVar

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np
from gymnasium.error import ResetNeeded

from agentloop.env import SCRIPTED_PLANNER, Evaluation, SkillEnv
from agentloop.envs.robot import franka
from agentloop.envs.robot.disturb import Disturbance, Disturber
from agentloop.envs.robot.fast import MocapHand
from agentloop.envs.robot.hand import ArmMode, Hand
from agentloop.envs.robot.observed import OBSERVED_FACTS, Observed, account, before
from agentloop.envs.robot.perception import MIN_PIXELS, perceive
from agentloop.envs.robot.render import Camera, draw_marks
from agentloop.envs.robot.scene import CUP, HALF
from agentloop.envs.robot.tasks import DRAWER_SLOTS, TASKS, TaskInstance
from agentloop.envs.robot.world import World
from agentloop.errors import ActionError, ErrorKind
from agentloop.perception import INJECTED, OBSERVED
from agentloop.scene import SceneGraph
from agentloop.skills.robot import (
    SKILLS,
    TABLE,
    Close,
    ContainerArgs,
    CoverArgs,
    Lift,
    Look,
    LookArgs,
    NodeKind,
    ObjectArgs,
    Open,
    Pick,
    Place,
    PlaceArgs,
    Push,
    PushArgs,
)
from agentloop.skillset import BoundCall, Executors
from agentloop.spaces import SkillSpace, fit_text, observation_space

if TYPE_CHECKING:
    from agentloop.envs.robot.ik import ArmIK

MAX_TEXT = 8192
PUSH_MM = 80  # how far a push slides its object
_P = PUSH_MM / 1000
PUSH = {"left": (-_P, 0.0), "right": (_P, 0.0), "forward": (0.0, -_P), "back": (0.0, _P)}
SLOTS = [(-0.025, -0.02), (0.025, 0.02), (0.025, -0.02), (-0.025, 0.02), (0.0, 0.0)]
# In a drawer: down its middle first (where the fingers fit), then beside that row.
DRAWER_PLACES = [*DRAWER_SLOTS, (0.045, -0.03), (-0.045, -0.03), (0.045, 0.027), (-0.045, 0.027)]
CABINET_TOP = 0.112  # height of a cabinet's top, where a place on a closed drawer lands

T = TypeVar("T")


def _mm(a: np.ndarray, b: np.ndarray) -> int:
    """Horizontal distance between two points, in whole mm."""
    return round(float(np.hypot(*(np.asarray(a)[:2] - np.asarray(b)[:2]))) * 1000)


def _need(value: T | None) -> T:
    if value is None:
        raise ResetNeeded("call reset() before step()")
    return value


class RobotEnv(SkillEnv):
    """The MuJoCo tabletop with one task's seeded layout (see the module's docstring)."""

    metadata = {SCRIPTED_PLANNER: "agentloop.envs.robot.planner:RobotPlanner"}  # over SkillEnv's defaults
    skillset = SKILLS

    def __init__(self, task: str = "pick-place", disturb: float = 0.0, width: int = 256,
                 height: int = 256, render_mode: str | None = "rgb_array", arm: ArmMode | str = ArmMode.PANDA,
                 marks: bool = False):
        """`task`: one of `TASKS`; `disturb`: probability of an injected failure per skill;
        `width`/`height`: camera frame size in pixels; `arm`: `panda` (the Franka arm) or
        `none` (the fast mode's unseen gripper); `marks`: also put the frame with each node's
        box and id drawn on it in `info["set_of_marks"]`."""
        super().__init__(render_mode)
        if task not in TASKS:
            raise ValueError(f"unknown robot task {task!r}; tasks: {', '.join(TASKS)}")
        if not 0.0 <= disturb <= 1.0:
            raise ValueError(f"disturb must lie in [0, 1], got {disturb}")
        try:
            self.arm = ArmMode(arm)
        except ValueError as e:
            raise ValueError(f"unknown arm {arm!r}; arms: {', '.join(m.value for m in ArmMode)}") from e
        if self.arm is ArmMode.PANDA:
            franka.require()  # a missing arm model or IK solver is a clear error now, not at reset
        self._task, self._build, self.disturb, self.marks = task, TASKS[task], disturb, marks
        self.height, self.width = height, width
        self.observation_space = observation_space(height, width, max_text=MAX_TEXT)
        self.action_space = SkillSpace(SKILLS, max_length=512)
        self.world: World | None = None
        self.hand: Hand | None = None
        self._start: tuple[str, np.ndarray] | None = None  # the last built layout and its settled state
        self.sim_seconds = 0.0  # simulated time the last skill took
        self.observed: Observed | None = None  # the simulator's account of the last skill
        self.injected: list[str] = []  # the failures --disturb injected into the last skill
        self._notes: list[str] = []  # what the running skill's executor measured
        self.camera: Camera | None = None
        # This env's own IK solver, made with its first arm and kept across its episodes (it
        # keeps nothing from one solve to the next). Never shared with another env: a solver
        # holds mutable MjData and mink tasks, and envs run side by side on threads.
        self._ik: ArmIK | None = None
        self.instance: TaskInstance | None = None
        self.disturber = Disturber(disturb, np.random.default_rng(0))

    @property
    def task_name(self) -> str:
        return self._task

    # ---- SkillEnv ---------------------------------------------------------------------------
    def _reset_world(self, seed: int | None, options: dict[str, Any]) -> str:
        layout_rng = np.random.default_rng(int(self.np_random.integers(2**63)))
        self.instance = self._build(layout_rng)
        self.disturber = Disturber(self.disturb, np.random.default_rng(int(self.np_random.integers(2**63))))
        layout = self.instance.scene.model_dump_json()
        if self.world is None or self._start is None or layout != self._start[0]:
            self._build_world(layout)
        else:  # the layout of the last build: start again from its settled state
            self.hand = self._make_hand(self.world)
            self.world.restore(self._start[1])
        self.sim_seconds, self.observed, self.injected = 0.0, None, []
        return self.instance.goal

    def _build_world(self, layout: str) -> None:
        """Compile the layout's model, pose the hand, settle, and keep that starting state so
        that another reset to the same layout (a trainer's group) restores it in a blink."""
        if self.camera is not None:
            self.camera.close()
        self.world = World(_need(self.instance).scene, arm=self.arm is ArmMode.PANDA)
        self.hand = self._make_hand(self.world)
        self.world.arrange()
        self._start = (layout, self.world.snapshot())
        self.camera = Camera(self.world.model, self.height, self.width)

    def _make_hand(self, world: World) -> Hand:
        if self.arm is ArmMode.NONE:
            return MocapHand(world)
        from agentloop.envs.robot.ik import ArmIK  # needs mink: only with the arm
        from agentloop.envs.robot.panda import PandaHand

        if self._ik is None:
            self._ik = ArmIK()
        return PandaHand(world, self._ik)

    def _observe(self) -> tuple[dict[str, Any], SceneGraph]:
        w, cam = _need(self.world), _need(self.camera)
        t0 = time.perf_counter()
        frame = cam.rgb(w.data)
        t1 = time.perf_counter()
        scene = perceive(w, cam.visible_pixels(w.data), _need(self.hand).gripper(), cam)
        self.timings.update(render=t1 - t0, perceive=time.perf_counter() - t1)
        text = fit_text(f"goal: {self.goal}\n{scene.to_text(skip_attrs=('bbox', 'position'))}", MAX_TEXT)
        return {"screenshot": frame, "text": text}, scene

    def _report(self) -> dict[str, Any]:
        facts = {"goal_spec": _need(self.instance).spec.model_dump(mode="json"),
                 "sim_seconds": round(self.sim_seconds, 4)}
        if self.injected:
            facts[INJECTED] = self.injected
        if self.observed is not None:  # what the simulator saw the last skill do
            facts[OBSERVED] = self.observed.text()
            facts[OBSERVED_FACTS] = self.observed.model_dump(mode="json", exclude_none=True)
        return facts

    def _annex(self) -> dict[str, Any]:
        return {"set_of_marks": self.set_of_marks()} if self.marks else {}

    def set_of_marks(self) -> np.ndarray | None:
        """The last frame with each node's box and id drawn on it (for VLM prompts)."""
        if self._last_obs is None or self._last_scene is None:
            return None
        boxes = [(n.id, n.attrs["bbox"]) for n in self._last_scene.nodes if "bbox" in n.attrs]
        return draw_marks(self._last_obs["screenshot"], boxes)

    def _execute(self, call: BoundCall) -> None:
        w, hand = _need(self.world), _need(self.hand)
        t0, wall0 = w.data.time, w.physics_wall
        self.observed, self._notes, self.injected = None, [], []
        logged = len(self.disturber.log)
        args = call.args
        was = before(w, args.container if isinstance(args, ContainerArgs) else None)
        hand.take_felt()
        try:
            super()._execute(call)
        finally:
            self.sim_seconds = w.data.time - t0
            self.timings["physics"] = w.physics_wall - wall0
            self.injected = [kind.value for _, kind in self.disturber.log[logged:]]
        if not isinstance(args, LookArgs):  # a look moves nothing: nothing to account for
            target = getattr(args, "object", None) or getattr(args, "container", None) or getattr(args, "cover", None)
            self.observed = account(w, call.skill.name, target, was, hand.take_felt(), self._notes)

    def _evaluate(self) -> Evaluation:
        w, inst = _need(self.world), _need(self.instance)
        preds = inst.spec.predicates
        hits = sum(w.holds(p.object, p.rel, inst.resolved.get(p.target, p.target)) for p in preds)
        success = hits == len(preds) and w.held is None
        return Evaluation(1.0 if success else 0.0, success, hits / len(preds), success)

    def close(self) -> None:
        if self.camera is not None:
            self.camera.close()
            self.camera = None
        self.world, self._start = None, None
        super().close()

    # ---- grounding -------------------------------------------------------------------------
    def _scene(self) -> SceneGraph:
        """The scene a call is grounded in: what the agent perceived last."""
        if self._last_scene is not None:
            return self._last_scene
        w, cam = _need(self.world), _need(self.camera)
        return perceive(w, cam.visible_pixels(w.data), _need(self.hand).gripper(), cam)

    def _seen_object(self, oid: str) -> None:
        scene = self._scene()
        if oid not in _need(self.world).objects:
            in_view = ", ".join(n.id for n in scene.find(kind=NodeKind.OBJECT.value)) or "none"
            raise ActionError(ErrorKind.NO_ELEMENT, f"there is no object {oid!r} (objects in view: {in_view})")
        if oid not in scene:
            raise ActionError(ErrorKind.NOT_VISIBLE, f"{oid} is not visible to the camera")

    def _drawer(self, did: str) -> str:
        drawers = _need(self.world).drawers
        if did not in drawers:
            raise ActionError(ErrorKind.NO_ELEMENT, f"there is no drawer {did!r} (drawers: {', '.join(drawers) or 'none'})")
        return did

    def _empty_hand(self, why: str) -> World:
        w = _need(self.world)
        if w.held is not None:
            raise ActionError(ErrorKind.PRECONDITION, f"the gripper holds {w.held}{why}")
        return w

    def _place_target(self, obj: str, target: str) -> np.ndarray:
        """Where `obj` will be let go for `target`; raises when `target` cannot be grounded."""
        w, scene = _need(self.world), self._scene()
        if target == TABLE:
            avoid = [w.pos(o) for o in w.objects if o != obj] + w.occupied()
            return np.array([*w.free_spot(self.np_random, avoid), HALF + 0.01])
        if target not in scene:
            if target in w.objects or target in w.containers or target in w.drawers:
                raise ActionError(ErrorKind.NOT_VISIBLE, f"{target} is not visible")
            raise ActionError(ErrorKind.NO_ELEMENT, f"there is no {target!r} to place on")
        slots = SLOTS
        if target in w.containers:
            base = np.array([*w.containers[target].pos, 0.008])
        elif target in w.drawers:
            if not w.drawer_open(target):  # the gripper can only set it on the cabinet top
                p = w.pos(target)
                return np.array([p[0], p[1], CABINET_TOP + HALF + 0.01])
            base, slots = w.drawer_centre(target), DRAWER_PLACES
        elif target in w.objects:
            return w.pos(target) + (0, 0, 2 * HALF + 0.006)
        else:
            raise ActionError(ErrorKind.BAD_ARGUMENT, f"cannot place anything on {target}")
        inside = [w.pos(o) for o in w.objects if o != obj and np.hypot(*(w.pos(o)[:2] - base[:2])) < 0.07]
        for dx, dy in slots:
            spot = base[:2] + (dx, dy)
            if all(np.hypot(*(spot - q[:2])) > 0.04 for q in inside):
                return np.array([spot[0], spot[1], base[2] + HALF + 0.01])
        return np.array([base[0], base[1], base[2] + 3 * HALF + 0.01])

    # ---- disturbances ----------------------------------------------------------------------
    def _drop_on_the_way(self, obj: str) -> None:
        w = _need(self.world)
        _need(self.hand).drop_on_the_way(obj, w.free_spot(self.disturber.rng, w.occupied()))

    def _knock_out(self, obj: str) -> None:
        # It lands somewhere the camera sees: a knocked object is a failure to notice and
        # repair, not an object lost for good behind furniture.
        w, cam = _need(self.world), _need(self.camera)
        for _ in range(6):
            spot = w.free_spot(self.disturber.rng, w.occupied())
            w.set_pos(obj, (spot[0], spot[1], HALF + 0.01))
            w.settle(80)
            if cam.visible_pixels(w.data).get(obj, 0) >= MIN_PIXELS:
                break

    # ---- skills ------------------------------------------------------------------------------
    def _pick(self, args: ObjectArgs) -> None:
        self._seen_object(args.object)
        self._empty_hand("; place it first")
        miss = self.disturber.draw(Pick.name) is Disturbance.MISS
        _need(self.hand).pick(args.object, miss)

    def _place(self, args: PlaceArgs) -> None:
        w, hand = _need(self.world), _need(self.hand)
        if args.object not in w.objects:
            raise ActionError(ErrorKind.NO_ELEMENT, f"there is no object {args.object!r}")
        dest = self._place_target(args.object, args.target)
        if w.held != args.object:
            hand.pass_over(dest)  # nothing (or something else) in the fingers: nothing lands
            self._notes.append(f"the gripper did not hold {args.object}: nothing was set down")
            return
        kind = self.disturber.draw(Place.name)
        if kind is Disturbance.DROP:
            self._drop_on_the_way(args.object)
            self._notes.append(f"{args.object} left the fingers on the way, "
                               f"{_mm(w.pos(args.object), dest)} mm from where it was to be set down")
            return
        hand.place(args.object, dest)
        if kind is Disturbance.KNOCK:
            set_down = w.pos(args.object)
            self._knock_out(args.object)
            self._notes.append(f"once set down, {args.object} was knocked {_mm(w.pos(args.object), set_down)} mm away")
        self._notes.append(f"it came to rest {_mm(w.pos(args.object), dest)} mm from where it was to be set down")

    def _open(self, args: ContainerArgs) -> None:
        d = self._drawer(args.container)
        w = self._empty_hand("; it cannot pull a handle")
        _need(self.hand).open_drawer(d)
        if self.disturber.draw(Open.name) is Disturbance.SLIDE_SHUT:
            w.set_drawer(d, False)
            w.settle(40)
            self._notes.append(f"{d} slid shut again after it was pulled")

    def _close(self, args: ContainerArgs) -> None:
        d = self._drawer(args.container)
        self._empty_hand("; it cannot push the drawer")
        _need(self.hand).close_drawer(d)

    def _push(self, args: PushArgs) -> None:
        self._seen_object(args.object)
        self._empty_hand("")
        _need(self.hand).push(args.object, PUSH[args.direction])
        self._notes.append(f"asked to slide {PUSH_MM} mm {args.direction}")

    def _lift(self, args: CoverArgs) -> None:
        w = _need(self.world)
        if args.cover != CUP or w.spec.cup is None:
            raise ActionError(ErrorKind.NO_ELEMENT, f"there is no cover {args.cover!r}")
        if CUP not in self._scene():
            raise ActionError(ErrorKind.NOT_VISIBLE, "the cup is not visible")
        self._empty_hand("")
        slip = self.disturber.draw(Lift.name) is Disturbance.SLIP_COVER
        spot = w.free_spot(self.np_random, w.occupied(), margin=0.09)
        _need(self.hand).lift_cover(CUP, spot, slip)
        if slip:
            self._notes.append("the knob slipped from the fingers as they lifted")

    def _look(self, args: LookArgs) -> None:
        if args.at != TABLE and args.at not in self._scene():
            raise ActionError(ErrorKind.NOT_VISIBLE, f"{args.at} is not in view")

    executors = Executors(SKILLS, {
        Pick: _pick, Place: _place, Open: _open, Close: _close, Push: _push, Lift: _lift, Look: _look,
    })
