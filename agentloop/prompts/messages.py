"""The messages every model-based role sends, rendered from the templates: the planner's
three prompts (plan, reflect, action), the critic's, the validator's, and the text a process
reward model scores a candidate after.

The roles call these at run time and the exports call them on contexts rebuilt from the
records, so a row of an export is what the runtime sends.
"""

from __future__ import annotations

import json

import numpy as np

from agentloop.calls import SkillSpec
from agentloop.context import Context
from agentloop.models.types import ImagePart, Message, Part, TextPart
from agentloop.prompts import render
from agentloop.prompts.episode import history_view, live_feedback, plan_progress, same_call
from agentloop.prompts.focus import focus
from agentloop.prompts.memory import recalled
from agentloop.records import Feedback, Plan
from agentloop.scene import SceneGraph
from agentloop.skillset import BoundCall

_EMBODIMENT = {"robot": "a simulated robot tabletop", "web": "a web browser", "miniwob": "a web browser",
               "site": "a web browser", "android": "an Android phone"}
GOAL_SPEC = "goal_spec"  # the one env fact prompts show (Perception.extra), constant over an episode

Frames = list[tuple[np.ndarray | None, str]]  # (pixels, reference recorded instead of them)


def embodiment(env_id: str) -> str:
    """What the agent acts in, by the env id's family."""
    family = env_id.split("/", 1)[-1].split(".", 1)[0]
    return _EMBODIMENT.get(family, "an environment")


def context_values(ctx: Context, feedback: list[Feedback] | None = None) -> dict[str, object]:
    """What `_context.j2` shows, the same in every mode: goal (and its facts), skills with their
    descriptions, the step and its limit, the scene, what earlier steps showed that is no
    longer in view, the recent steps and the feedback that still applies."""
    return {
        "goal": ctx.goal, "goal_facts": goal_facts(ctx), "skills": ctx.skills, "step": ctx.step + 1,
        "max_steps": ctx.max_steps,
        "scene_text": ctx.scene.to_text() if ctx.scene is not None else (ctx.text or ""),
        "memory": recalled(ctx.history, ctx.scene),
        "history": history_view(ctx.history, ctx.scene),
        "feedback": live_feedback(feedback if feedback is not None else ctx.feedback, ctx.history),
        "example_call": example_call(ctx.skills),
    }


def example_call(skills: list[SkillSpec]) -> str:
    """A call of the env's first skill as a plan writes its steps: its required arguments (or
    its first), each a placeholder named after it (`click(element="<element>")`), a choice's
    first option, a number unquoted."""
    if not skills:
        return "skill(arg=\"<arg>\")"
    skill = skills[0]
    props: dict[str, dict] = skill.parameters.get("properties", {})
    names = [a for a in props if a in skill.parameters.get("required", [])] or list(props)[:1]
    args = []
    for name in names:
        schema = props[name]
        types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
        if "enum" in schema:
            value = json.dumps(schema["enum"][0])
        else:
            value = f"<{name}>" if types & {"integer", "number"} else f'"<{name}>"'
        args.append(f"{name}={value}")
    return f"{skill.name}({', '.join(args)})"


def frames(images: bool, *contexts: Context) -> Frames:
    """The frames of `contexts` there are, with their references; none for a text-only model."""
    return [(c.frame, frame_ref(c.step)) for c in contexts if c.frame is not None] if images else []


def frame_ref(step: int) -> str:
    """How a recorded prompt names the frame before step `step`."""
    return f"frame:step{step}"


def user_message(text: str, shown: Frames) -> Message:
    """A user turn: the prompt text, then each frame there is (named by its reference)."""
    parts: list[Part] = [TextPart(text=text)]
    parts += [ImagePart.from_array(frame, ref=ref) for frame, ref in shown if frame is not None]
    return Message(role="user", content=parts)


def system_message(role: str, env_id: str, images: bool) -> Message:
    """The system turn of `role`'s prompt (it mentions the frame only where one is sent)."""
    return Message(role="system", content=render("system.j2", role=role, embodiment=embodiment(env_id), images=images))


def planner_messages(ctx: Context, template: str, feedback: list[Feedback], images: bool,
                     **extra: object) -> list[Message]:
    """The planner's prompt `template` (plan.j2, reflect.j2 or action.j2) at `ctx`."""
    text = render(template, **context_values(ctx, feedback), **extra)
    shown = frames(images, ctx)
    return [system_message("planner", ctx.env_id, bool(shown)), user_message(text, shown)]


def action_messages(ctx: Context, feedback: list[Feedback], images: bool, plan: Plan | None = None,
                    planned_at: int = 0) -> list[Message]:
    """The staged planner's call for the next skill call, under the plan in force (made at step
    `planned_at`), its steps done since marked."""
    steps = plan_progress(plan, ctx.history, planned_at) if plan is not None else []
    return planner_messages(ctx, "action.j2", feedback, images, plan=plan, plan_steps=steps,
                            planned_at=planned_at + 1)


def goal_facts(ctx: Context) -> list[str]:
    """The goal as the env states it in predicates (`Perception.extra["goal_spec"]`), where it
    does: "lemon in grey_tray". Only facts whose every id is a real one are shown: an id in the
    scene now or shown by an earlier step. A symbolic target (`drawer_with_only_fruit`, which the
    agent must find) or an object not yet seen is no id the model can name; the goal's words say
    what is meant."""
    return [text for _, text in _facts(ctx)]


def _facts(ctx: Context) -> list[tuple[list[str], str]]:
    """The goal facts shown (see `goal_facts`), each with the ids it names."""
    spec = ctx.perception.extra.get(GOAL_SPEC)
    predicates = spec.get("predicates", []) if isinstance(spec, dict) else []
    known = {n.id for n in ctx.scene.nodes} if ctx.scene is not None else set()
    known |= {nid for item in ctx.history for nid in item.seen}
    out = []
    for p in predicates:
        if not isinstance(p, dict):
            continue
        ids = [str(p[k]) for k in ("object", "target") if p.get(k)]
        if ids and all(i in known for i in ids):
            out.append((ids, " ".join(str(p[k]) for k in ("object", "rel", "target") if p.get(k))))
    return out


def single_messages(ctx: Context, feedback: list[Feedback], images: bool) -> list[Message]:
    """The single-call prompt: the same context as the staged planner's, asking for the next call."""
    text = render("single.j2", **context_values(ctx, feedback))
    shown = frames(images, ctx)
    system = render("system_single.j2", embodiment=embodiment(ctx.env_id))
    return [Message(role="system", content=system), user_message(text, shown)]


def prm_prompt(ctx: Context, feedback: list[Feedback]) -> str:
    """What a process reward model reads before the candidate it scores: the single-call
    prompt at `ctx`, its turns' texts joined by blank lines."""
    return "\n\n".join(m.text() for m in single_messages(ctx, feedback, images=False))


def critic_messages(action: BoundCall, ctx: Context, irreversible: bool, images: bool) -> list[Message]:
    """The critic's prompt: the proposed action, before it runs, and the part of the scene it
    names (`focus`): the nodes with their relations and neighbours, or the whole scene for a
    call that names none."""
    skill = next((s for s in ctx.skills if s.name == action.call.name), None)
    values = context_values(ctx)
    seen = focus(action.call, ctx.scene, goal=[i for ids, _ in _facts(ctx) for i in ids])
    if seen is not None:
        values.update(scene_title=seen.heading(), scene_text=seen.text)
    text = render("critic.j2", **values, action=str(action.call), irreversible=irreversible,
                  skill_description=skill.description if skill else "")
    shown = frames(images, ctx)
    return [system_message("critic", ctx.env_id, bool(shown)), user_message(text, shown)]


def validator_messages(action: BoundCall, before: Context, after: Context, images: bool) -> list[Message]:
    """The validator's prompt: the action that ran, what this call was meant to do (its skill's
    expected effects with its arguments, the planner's reason), the nodes it names as they were
    before, and what changed (the scene's diff, not the scene again)."""
    skill = next((s for s in before.skills if s.name == action.call.name), None)
    failure = after.perception.action_error
    seen = focus(action.call, before.scene, whole=False)
    before_text = seen.text if seen is not None else ("" if before.scene is not None else before.text)
    shown = frames(images, before, after)
    text = render("validator.j2", goal=before.goal, action=str(action.call),
                  intent=skill.description if skill else str(action.call), expected=_expected(action, before),
                  reason=_reason(action, before.plan),
                  before_heading=seen.heading("BEFORE IT RAN") if seen is not None else "TEXT VIEW BEFORE IT RAN",
                  before_text=before_text, diff_text=_diff_text(before, after),
                  env_error=str(failure) if failure else None, images=len(shown) == 2)
    return [system_message("validator", before.env_id, bool(shown)), user_message(text, shown)]


def _expected(action: BoundCall, before: Context) -> list[str]:
    """The skill's expected effects with this call's arguments, as predicates on the next scene."""
    if before.scene is None:
        return []
    try:
        return [str(e) for e in action.skill.expected_effect(before.scene, action.args)]
    except Exception:  # a broken effect declaration leaves the model to judge unaided
        return []


def _reason(action: BoundCall, plan: Plan | None) -> str:
    """The planner's stated reason for the call: the rationale of the plan in force, where the
    call is one of its steps (a call the plan did not name has no reason stated)."""
    if plan is None or not plan.rationale:
        return ""
    return plan.rationale if any(same_call(step, str(action.call)) for step in plan.steps) else ""


def _diff_text(before: Context, after: Context) -> str:
    if before.scene is None or after.scene is None:
        return ""
    return SceneGraph.diff(before.scene, after.scene).to_text() or "(nothing changed)"
