"""Scripted planner for the Android tasks: reads the UI element graph, no model.

Toggle tasks: open Settings, find the row whose label matches, click its switch if it is in
the wrong state. Form tasks (alarm, contact): open the app, press its add button, type each
value into the text field under its label, press Save.
"""

from __future__ import annotations

from agentloop.envs.android.tasks import AndroidTask, FormTask, ToggleTask, get_task
from agentloop.records import Plan
from agentloop.roles.context import Context
from agentloop.roles.planner import BasePlanner
from agentloop.scene import Node, SceneGraph
from agentloop.skills import SkillCall


def _label(n: Node) -> str:
    return str(n.get("text") or n.get("desc") or "")


def _find(scene: SceneGraph, label: str) -> Node | None:
    return next((n for n in scene.nodes if _label(n).lower() == label.lower()), None)


def _row_switch(scene: SceneGraph, label: Node) -> Node | None:
    """The checkable widget on the same row as a label."""
    _, ly1, _, ly2 = label.attrs["bbox"]
    mid = (ly1 + ly2) / 2
    for n in scene.nodes:
        if n.get("checkable"):
            _, y1, _, y2 = n.attrs["bbox"]
            if y1 <= mid <= y2:
                return n
    return None


def _field_under(scene: SceneGraph, label: Node) -> Node | None:
    """The text field nearest below a label."""
    lx1, _, _, ly2 = label.attrs["bbox"]
    fields = [n for n in scene.nodes if n.kind == "edittext" and n.attrs["bbox"][1] >= ly2 - 5]
    return min(fields, key=lambda n: n.attrs["bbox"][1] - ly2, default=None)


class AndroidPlanner(BasePlanner):
    name = "scripted"

    def __init__(self) -> None:
        super().__init__()
        self.task: AndroidTask | None = None

    def reset(self, ctx: Context) -> None:
        super().reset(ctx)
        name = ctx.info.get("task")
        self.task = get_task(name) if isinstance(name, str) else None

    def plan(self, ctx: Context) -> Plan:
        return Plan(subgoals=[ctx.goal], steps=[str(self.next_action(ctx))])

    def next_action(self, ctx: Context) -> SkillCall:
        if self.task is None:
            self.reset(ctx)
        scene, task = ctx.scene or SceneGraph(), self.task
        if isinstance(task, ToggleTask):
            return self._toggle(scene, task)
        if isinstance(task, FormTask):
            return self._form(scene, task)
        return SkillCall(name="answer", args={"text": "this task has no scripted solution"})

    def _toggle(self, scene: SceneGraph, task: ToggleTask) -> SkillCall:
        label = _find(scene, task.label)
        switch = _row_switch(scene, label) if label is not None else None
        if switch is None:
            return SkillCall(name="open_app", args={"app_name": task.apps[0]})
        if bool(switch.get("checked")) != task.want:
            return SkillCall(name="click", args={"element": int(switch.id)})
        return SkillCall(name="wait", args={"seconds": 0.0})

    def _form(self, scene: SceneGraph, task: FormTask) -> SkillCall:
        if not any(n.kind == "edittext" for n in scene.nodes):
            button = _find(scene, task.button)
            if button is not None:
                return SkillCall(name="click", args={"element": int(button.id)})
            return SkillCall(name="open_app", args={"app_name": task.apps[0]})
        for label_text, value in task.fields.items():
            label = _find(scene, label_text)
            field = _field_under(scene, label) if label is not None else None
            if field is None:
                continue
            if str(field.get("text", "")) != value:
                if field.get("text"):  # a wrong value: leave the form and start it afresh
                    return SkillCall(name="navigate_back")
                return SkillCall(name="input_text", args={"text": value, "element": int(field.id)})
        save = _find(scene, "Save")
        if save is not None:
            return SkillCall(name="click", args={"element": int(save.id)})
        return SkillCall(name="keyboard_enter")
