"""Scripted planner for the Android tasks: reads the UI element graph, no model.

Toggle tasks: open Settings, find the row whose label matches, click its switch if it is in
the wrong state. Toggle questions: open Settings, read the row's switch, and answer with the
loop's `finish(status="done", answer="on" or "off")`. Form tasks (alarm, contact): open the app, press its add button, type each
value into the text field under its label, press Save. Boxes are `[x, y, w, h]` in pixels.
"""

from __future__ import annotations

from agentloop.calls import SkillCall
from agentloop.context import Context
from agentloop.envs.android import hierarchy
from agentloop.envs.android.tasks import TASKS, AndroidTask, FormTask, ToggleQuestionTask, ToggleTask
from agentloop.records import Plan
from agentloop.roles.planner import BasePlanner
from agentloop.scene import Node, SceneGraph
from agentloop.skills.android import Click, InputText, KeyboardEnter, NavigateBack, OpenApp, Wait
from agentloop.skillset import Finish, FinishStatus


def _find(scene: SceneGraph, label: str) -> Node | None:
    return next((n for n in scene.nodes if hierarchy.label(n).lower() == label.lower()), None)


def _row_switch(scene: SceneGraph, label: Node) -> Node | None:
    """The checkable widget on the same row as a label."""
    _, ly, _, lh = label.attrs["bbox"]
    mid = ly + lh / 2
    for n in scene.nodes:
        if n.get("checkable"):
            _, y, _, h = n.attrs["bbox"]
            if y <= mid <= y + h:
                return n
    return None


def _switch_of(scene: SceneGraph, label_text: str) -> Node | None:
    """The switch on the row labelled `label_text`, where the screen shows one."""
    label = _find(scene, label_text)
    return _row_switch(scene, label) if label is not None else None


def _field_under(scene: SceneGraph, label: Node) -> Node | None:
    """The text field nearest below a label (a few pixels of overlap allowed)."""
    _, ly, _, lh = label.attrs["bbox"]
    bottom = ly + lh
    fields = [n for n in scene.nodes if n.kind == "edittext" and n.attrs["bbox"][1] >= bottom - 5]
    return min(fields, key=lambda n: n.attrs["bbox"][1] - bottom, default=None)


class AndroidPlanner(BasePlanner):
    """Solves the built-in Android tasks from the element graph, without a model: the
    default planner when none is configured, and the baseline in benchmarks."""

    name = "scripted"

    def __init__(self) -> None:
        super().__init__()
        self.task: AndroidTask | None = None

    def reset(self, ctx: Context) -> None:
        super().reset(ctx)
        self.task = _task_of(ctx)

    def plan(self, ctx: Context) -> Plan:
        return Plan(subgoals=[ctx.goal], steps=[str(self.next_action(ctx))])

    def next_action(self, ctx: Context) -> SkillCall:
        # A planner asked without a reset (a user's own loop) still finds its task.
        task = self.task = self.task or _task_of(ctx)
        scene = ctx.scene or SceneGraph()
        if isinstance(task, ToggleTask):
            return self._toggle(scene, task)
        if isinstance(task, FormTask):
            return self._form(scene, task)
        if isinstance(task, ToggleQuestionTask):
            return self._question(scene, task)
        return SkillCall(name=Finish.name, args={"status": FinishStatus.INFEASIBLE.value,
                                                 "answer": "this task has no scripted solution"})

    def _toggle(self, scene: SceneGraph, task: ToggleTask) -> SkillCall:
        switch = _switch_of(scene, task.label)
        if switch is None:
            return SkillCall(name=OpenApp.name, args={"app_name": task.apps[0]})
        if bool(switch.get("checked")) != task.want:
            return SkillCall(name=Click.name, args={"element": int(switch.id)})
        return SkillCall(name=Wait.name, args={"seconds": 0.0})

    def _question(self, scene: SceneGraph, task: ToggleQuestionTask) -> SkillCall:
        switch = _switch_of(scene, task.label)
        if switch is None:
            return SkillCall(name=OpenApp.name, args={"app_name": task.apps[0]})
        said = "on" if switch.get("checked") else "off"
        return SkillCall(name=Finish.name, args={"status": FinishStatus.DONE.value, "answer": said})

    def _form(self, scene: SceneGraph, task: FormTask) -> SkillCall:
        if not any(n.kind == "edittext" for n in scene.nodes):
            button = _find(scene, task.button)
            if button is not None:
                return SkillCall(name=Click.name, args={"element": int(button.id)})
            return SkillCall(name=OpenApp.name, args={"app_name": task.apps[0]})
        for label_text, value in task.fields.items():
            label = _find(scene, label_text)
            field = _field_under(scene, label) if label is not None else None
            if field is None:
                continue
            if str(field.get("text", "")) != value:
                if field.get("text"):  # a wrong value: leave the form and start it afresh
                    return SkillCall(name=NavigateBack.name)
                return SkillCall(name=InputText.name, args={"text": value, "element": int(field.id)})
        save = _find(scene, "Save")
        if save is not None:
            return SkillCall(name=Click.name, args={"element": int(save.id)})
        return SkillCall(name=KeyboardEnter.name)


def _task_of(ctx: Context) -> AndroidTask | None:
    """The task the env says it runs; None for one this planner does not know."""
    name = ctx.perception.task
    return TASKS.get(name) if name is not None else None
