"""What a model sees of an Android screen, and clearing a text field, against the ADB server
double: the prompt's scene lines carry only what differs from each node's defaults and the
vocabulary describes `clear_text`; `clear_text` empties a field over the real `input keyevent`
protocol (caret to the end, then one Delete per character), and the loop's validator passes it."""

from __future__ import annotations

import re

from agentloop.context import Context
from agentloop.envs.android import commands as C
from agentloop.envs.android.double.phone import Screen
from agentloop.envs.android.env import AndroidEnv
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.perception import perception_of
from agentloop.prompts.messages import single_messages
from agentloop.roles import EffectValidator, FunctionPlanner, PreconditionCritic, Roles
from agentloop.scene import SceneGraph
from agentloop.skills.android import SKILLS
from agentloop.testing import MemorySink

ENV_ID = "agentloop/android.contact_add"
# Long enough that a tap at the middle of the field lands inside it, not after it.
LONG = "Augusta Ada King Countess of Lovelace nee Byron of Marylebone London"


def make(adb_double) -> AndroidEnv:
    return AndroidEnv(task="contact_add", adb_port=adb_double.port, settle_s=0.0)


def _field(scene: SceneGraph, label: str) -> int:
    return int(next(n.id for n in scene.nodes if n.get("editable") and n.name == label))


def _named(scene: SceneGraph, name: str) -> int:
    return int(next(n.id for n in scene.nodes if n.name == name and not n.get("editable")))


def test_the_prompt_shows_only_what_differs_from_each_nodes_defaults(adb_double):
    env = make(adb_double)
    env.reset(seed=0)
    adb_double.phone.stack = [Screen.HOME, Screen.CONTACTS, Screen.CONTACT_EDIT]
    obs, _, _, _, info = env.step("wait(seconds=0)")
    ctx = Context.of(ENV_ID, obs, info, SKILLS, step=2, max_steps=15)
    prompt = single_messages(ctx, [], images=False)[-1].text()
    env.close()
    section = prompt[prompt.index("SCENE GRAPH:\n"):].split("\n\n")[0].splitlines()[1:]
    scene = [line for line in section if line.startswith("[")]  # one line a node
    assert len(scene) == 6, section
    for default in ("=False", "enabled=True", 'desc=""', 'hint=""', 'resource_id=""', "class="):
        assert not [line for line in scene if default in line], (default, scene)
    assert scene[0].startswith('[0] textview "Create contact"') and "package=" in scene[0]
    assert not [line for line in scene[1:] if "package=" in line]  # the app in front, said once
    assert scene[1].startswith('[1] textview "Name"') and "text=" not in scene[1]  # its name: not said twice
    # A field: its label as the name, its value apart (even empty), and its own flags.
    assert scene[2].startswith('[2] edittext "name" resource_id="double:id/name" text="" clickable=True editable=True')
    assert re.search(r"^- clear_text\(element: integer\|null = optional\) - Empty a text field .*"
                     r"MOVE_END.*one Delete key per character", prompt, re.M)
    assert "clear_text first to replace it" in prompt  # input_text says it appends, and how to replace


def test_a_switch_says_whether_it_is_off(adb_double):
    env = AndroidEnv(task="wifi_on", adb_port=adb_double.port, settle_s=0.0)
    env.reset(seed=0)
    _, _, _, _, info = env.step("open_app(app_name='Settings')")
    env.close()
    switches = [n for n in perception_of(info).scene_graph.nodes if n.get("checkable")]
    assert switches and all(isinstance(n.attrs.get("checked"), bool) for n in switches)
    assert any(n.attrs["checked"] is False for n in switches)  # wifi is off: said, not left out


def _replace_name(ctx: Context) -> str:
    """Open a new contact, type a wrong name, clear it, type the right one, save."""
    scene = ctx.scene or SceneGraph()
    steps = [
        lambda: 'open_app(app_name="Contacts")',
        lambda: f"click(element={_named(scene, 'Create contact')})",
        lambda: f'input_text(text="{LONG}", element={_field(scene, "name")})',
        lambda: f"clear_text(element={_field(scene, 'name')})",
        lambda: f'input_text(text="Ada Lovelace", element={_field(scene, "name")})',
        lambda: f'input_text(text="555 0100", element={_field(scene, "phone")})',
        lambda: f"click(element={_named(scene, 'Save')})",
    ]
    return steps[ctx.step]()


def test_clear_text_empties_a_field_and_the_validator_passes_it(adb_double):
    env = make(adb_double)
    sink = MemorySink()
    roles = Roles(FunctionPlanner(_replace_name), PreconditionCritic(), EffectValidator())
    result = run_episode(env, EpisodeSpec(ENV_ID, 0), roles, LoopLimits(max_steps=7), sink)
    env.close()
    steps = [(str(s.action), s.action_error, s.validator and s.validator.ok) for s in sink.steps]
    # Success is the phone's contact list holding "Ada Lovelace" (not the long name, nor both).
    assert result.record.success and result.record.validator_failures == 0, steps
    clear = next(s for s in sink.steps if s.action is not None and s.action.name == "clear_text")
    assert clear.validator is not None and clear.validator.ok, steps
    # One shell command for the keys: the caret to the end, then one Delete per character.
    sent = [c for c in adb_double.phone.log if c.startswith("input keyevent")]
    assert C.keyevent("move_end", *["del"] * len(LONG)) in sent


def test_a_tap_leaves_the_caret_where_it_lands_so_clearing_moves_it_to_the_end(adb_double):
    env = make(adb_double)
    env.reset(seed=0)
    phone = adb_double.phone
    phone.stack = [Screen.HOME, Screen.CONTACTS, Screen.CONTACT_EDIT]
    _, _, _, _, info = env.step("wait(seconds=0)")
    name = _field(perception_of(info).scene_graph, "name")
    env.step(f'input_text(text="{LONG}", element={name})')
    env.step(f"click(element={name})")  # the middle of the box: inside the text
    assert 0 < phone.cursor < len(LONG)
    env.step('input_text(text="X")')  # typed at the caret, as on a device
    assert phone.fields["name"] != LONG + "X" and len(phone.fields["name"]) == len(LONG) + 1
    _, _, _, _, info = env.step("clear_text()")  # the focused field
    p = perception_of(info)
    env.close()
    assert p.action_error is None and phone.fields["name"] == "" and phone.cursor == 0
    assert p.scene_graph.node(str(name)).get("text") == ""
