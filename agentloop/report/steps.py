"""What an episode page shows of each step, derived from its record: the kinds that colour
it, its frames with their marks, the scene-graph diff its action caused, the model calls
laid out for reading, its phase timings and its derived rewards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentloop.records import StepRecord
from agentloop.report.calls import CallView, call_view
from agentloop.report.crop import Box
from agentloop.report.kinds import StepKind, step_kinds
from agentloop.rewards import EpisodeRewards
from agentloop.scene import SceneDiff, SceneGraph


def frame_ref(step: int) -> str:
    """How a recorded prompt names the frame before step `step` (as the VLM roles send it)."""
    return f"frame:step{step}"


MAX_MARKS = 300  # boxes drawn over one frame; a page of thousands of elements stays readable


@dataclass(frozen=True)
class Mark:
    """One set-of-marks box over a frame: a scene-graph node with a `bbox` ([x, y, w, h] in pixels)."""

    id: str
    x: float
    y: float
    w: float
    h: float

    LABEL = 9.0  # the label's height in the frame's pixels

    @property
    def label_y(self) -> float:
        """The baseline of the id's label: just above the box, so that it covers nothing the box
        marks (below it where the box touches the frame's top)."""
        return self.y - 3 if self.y >= self.LABEL + 3 else self.y + self.h + self.LABEL


@dataclass(frozen=True)
class Frame:
    """A frame as the page shows it: where it is, how large, and the marks that go over it."""

    url: str
    width: int | None
    height: int | None
    marks: list[Mark]
    crop: Box | None = None  # the part shown (None: all of it), in the frame's pixels

    @property
    def view(self) -> Box | None:
        """The part of the frame the page shows; None when its size is unknown."""
        if not self.width or not self.height:
            return None
        return self.crop or Box(0, 0, self.width, self.height)

    @property
    def shown_width(self) -> int:
        """How wide the page shows its view: one and a half times its pixels, at least 360 px and
        at most 600 (two side by side fit a 1280 px window; the page narrows them further)."""
        return min(600, max(360, round(1.5 * self.view.w) if self.view else 360))

    @property
    def shown_height(self) -> int | None:
        v = self.view
        return round(self.shown_width * v.h / v.w) if v else None

    def percent(self) -> dict[str, str]:
        """Where the whole frame sits in the shown view, in its percentages (CSS of the page)."""
        v = self.view
        assert v is not None and self.width
        return {"left": f"{-100 * v.x / v.w:.3f}%", "top": f"{-100 * v.y / v.h:.3f}%",
                "width": f"{100 * self.width / v.w:.3f}%"}


@dataclass(frozen=True)
class PhaseTime:
    """The time a step spent in one phase of the loop (propose, critic, act, validate, ...)."""

    name: str
    seconds: float
    share: float  # of the step's total, for the bar


@dataclass
class StepView:
    """One step of an episode page."""

    record: StepRecord
    kinds: list[StepKind]
    duration_s: float
    before: Frame | None
    after: Frame | None
    diff: SceneDiff | None
    diff_note: str  # why there is no diff, when there is none
    scene_text: str
    calls: list[CallView]
    phases: list[PhaseTime]
    derived: dict[str, Any] = field(default_factory=dict)

    @property
    def index(self) -> int:
        return self.record.index

    @property
    def kind(self) -> StepKind:
        return self.kinds[0]

    @property
    def reflection_changed(self) -> bool:
        """Whether reflecting changed the plan itself (not only added its notes)."""
        p, r = self.record.plan, self.record.plan_reflected
        if r is None:
            return False
        return p is None or r.model_copy(update={"reflection": None}) != p.model_copy(update={"reflection": None})


FrameOf = Callable[[str | None, SceneGraph | None], "Frame | None"]


def marks_of(scene: SceneGraph | None) -> list[Mark]:
    """The nodes with a box, as marks (the env's set of marks, drawn from its scene graph)."""
    if scene is None:
        return []
    out = []
    for n in scene.nodes:
        box = n.attrs.get("bbox")
        if isinstance(box, (list, tuple)) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box):
            out.append(Mark(n.id, *(float(v) for v in box)))
            if len(out) >= MAX_MARKS:
                break
    return out


def _scene(data: dict[str, Any] | None) -> SceneGraph | None:
    return SceneGraph.model_validate(data) if data is not None else None


def _diff(step: StepRecord, scene: SceneGraph | None, after: SceneGraph | None, last: bool) -> tuple[SceneDiff | None, str]:
    if step.action is None:
        return None, "no action ran at this step"
    if scene is None:
        return None, "the env gives no scene graph"
    if after is None:
        return None, "the scene after the last step is not recorded" if last else "no scene graph after this step"
    return SceneGraph.diff(scene, after), ""


def _phases(step: StepRecord) -> tuple[float, list[PhaseTime]]:
    total = step.timings.get("total")
    if total is None:
        total = max(0.0, (step.ended_at - step.started_at).total_seconds())
    parts = [(k, v) for k, v in step.timings.items() if k != "total" and not k.startswith("env.")]
    return total, [PhaseTime(k, v, v / total if total > 0 else 0.0) for k, v in parts]


# The derived values shown per step: (field of EpisodeRewards, label).
DERIVED_FIELDS = (
    ("progress", "progress"), ("progress_delta", "progress delta"), ("contribution", "contribution"),
    ("valid", "valid"), ("step_reward", "step reward"), ("gated_reward", "gated reward"),
    ("returns", "return"), ("label", "label"),
)


def _derived(rewards: EpisodeRewards | None, t: int) -> dict[str, Any]:
    if rewards is None or t >= len(rewards.step_reward):
        return {}
    return {label: getattr(rewards, name)[t] for name, label in DERIVED_FIELDS}


def _prompt_images(steps: Sequence[StepRecord], frame_of: FrameOf) -> dict[str, str]:
    """The URL of each recorded frame under the reference a prompt names it by."""
    refs = {frame_ref(s.index): s.frame for s in steps}
    if steps:
        refs[frame_ref(steps[-1].index + 1)] = steps[-1].frame_after
    placed = {ref: frame_of(file, None) for ref, file in refs.items()}
    return {ref: f.url for ref, f in placed.items() if f is not None}


def step_views(steps: Sequence[StepRecord], rewards: EpisodeRewards | None, frame_of: FrameOf) -> list[StepView]:
    """The views of an episode's steps; `frame_of(ref, scene)` places a frame file for the page."""
    scenes = [_scene(s.scene_graph) for s in steps]
    images = _prompt_images(steps, frame_of)
    views = []
    for t, s in enumerate(steps):
        scene, after = scenes[t], scenes[t + 1] if t + 1 < len(steps) else None
        diff, note = _diff(s, scene, after, last=t + 1 == len(steps))
        total, phases = _phases(s)
        views.append(StepView(
            record=s, kinds=step_kinds(s), duration_s=total,
            before=frame_of(s.frame, scene), after=frame_of(s.frame_after, after),
            diff=diff, diff_note=note, scene_text=scene.to_text() if scene is not None else "",
            calls=[call_view(c, images.get) for c in s.model_calls], phases=phases, derived=_derived(rewards, t),
        ))
    return views
