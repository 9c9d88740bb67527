"""What the planner's prompt carries of the episode, as the runtime's own prompt code renders it:
a plan request worded for the env's own skills, plan steps ticked when written as calls or
plainly named, ids marked when a field now holds another label, an Android memory that keeps
each id's latest state, a web memory without chrome, widget tokens or a page left behind, and
the staged action prompt's spacing. Scenes are those recorded runs showed (site.support,
email-inbox-forward, book-flight's datepicker, Android's contact_add and wifi_on)."""

from __future__ import annotations

import re

import pytest

from agentloop import registry
from agentloop.context import Context, HistoryItem, seen_in
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.perception import Perception
from agentloop.prompt_spec import PlannerMode
from agentloop.prompts.messages import action_messages, planner_messages, single_messages
from agentloop.records import Plan, Verdict
from agentloop.roles import Roles
from agentloop.roles.critic import PreconditionCritic
from agentloop.roles.validator import EffectValidator
from agentloop.roles.vlm import VLMPlanner
from agentloop.scene import Node, Relation, SceneGraph
from agentloop.skills.android import SKILLS as ANDROID
from agentloop.skills.robot import SKILLS as ROBOT
from agentloop.skills.web import WEB_SKILLS as WEB
from agentloop.testing import MemorySink
from agentloop.testing.models import ScriptedModel
from agentloop.testing.switches import SKILLS as SWITCHES

OK = Verdict(ok=True, reason="expected effects hold")
TOY = "agentloop/toy.switches"


def _ctx(scene: SceneGraph, history: list[HistoryItem], skills=WEB, env_id: str = "agentloop/site.support",
         plan: Plan | None = None) -> Context:
    perception = Perception(scene_graph=scene, skills=skills.specs(), goal="do the task")
    return Context(env_id=env_id, perception=perception, observation={}, skillset=skills, step=len(history),
                   max_steps=30, history=history, plan=plan)


def _single(ctx: Context) -> str:
    return single_messages(ctx, [], images=False)[-1].text()


def _memory(text: str) -> list[str]:
    if "NO LONGER IN VIEW" not in text:
        return []
    return text.split("NO LONGER IN VIEW", 1)[1].split("\n\n", 1)[0].splitlines()[1:]


def _steps(*scenes_calls: tuple[SceneGraph, str]) -> list[HistoryItem]:
    return [HistoryItem(index=i, action=call, validator=OK, seen=seen_in(scene))
            for i, (scene, call) in enumerate(scenes_calls)]


def _page(name: str, url: str, *nodes: Node, relations: list[Relation] | None = None) -> SceneGraph:
    return SceneGraph(nodes=[Node(id="page", kind="page", name=name, attrs={"url": url}), *nodes],
                      relations=relations or [])


# -- 1. the plan request is worded for every family ---------------------------------------------------


@pytest.mark.parametrize(("skills", "env_id", "example"), [
    (WEB, "agentloop/miniwob.click-button", 'click(element="<element>")'),
    (ANDROID, "agentloop/android.wifi_on", "click(element=<element>)"),
    (SWITCHES, TOY, 'switch_on(lamp="<lamp>")'),
    (ROBOT, "agentloop/robot.pick-place", 'pick(object="<object>")'),
])
def test_the_plan_request_names_a_call_of_the_envs_own_first_skill(skills, env_id, example):
    ctx = _ctx(SceneGraph(nodes=[Node(id="1", kind="button", name="OK")]), [], skills, env_id)
    text = planner_messages(ctx, "plan.j2", [], images=False)[-1].text()
    ask = text[text.index("Stage one"):]
    assert f"e.g. {example}:" in ask and "red_cube" not in ask
    assert "look" not in ask and "pick(" not in ask.replace(example, "")  # no robot skill named on other envs
    assert "Write each step as one call of a skill listed above" in ask and "ticked done" in ask


# -- 2. plan steps are ticked when written as calls, or plainly named --------------------------------------


def _form() -> SceneGraph:
    return _page("Compose", "http://x/compose", Node(id="12", kind="button", name="Forward"),
                 Node(id="16", kind="textbox", name="Phone", attrs={"editable": True}),
                 Node(id="17", kind="button", name="Submit"))


def test_a_step_is_ticked_by_the_same_skill_on_the_same_element_or_by_its_words():
    history = _steps((_form(), 'type(element="16", text="555 0100")'), (_form(), 'click(element="12")'))
    plan = Plan(phase="complete", steps=['type(element="16", text="555")', "click forward", "click submit",
                                         'type(element="17", text="x")'])
    text = action_messages(_ctx(_form(), history, plan=plan), [], images=False, plan=plan)[-1].text()
    assert ('- [x] type(element="16", text="555")\n- [x] click forward\n- [ ] click submit\n'
            '- [ ] type(element="17", text="x")') in text
    # A call naming the element by its name where the id belongs is the same step too.
    named = Plan(phase="complete", steps=['click(element="Forward")'])
    text = action_messages(_ctx(_form(), history[1:], plan=named), [], images=False, plan=named)[-1].text()
    assert '- [x] click(element="Forward")' in text


def test_a_plan_whose_steps_ran_as_words_is_spent_and_remade():
    plan = {"phase": "complete", "subgoals": ["lamps on"], "steps": ['switch_on(lamp="lamp_0")', "switch on lamp 1"],
            "rationale": "", "next_action": {"skill": "switch_on", "args": {"lamp": "lamp_0"}}}
    again = {**plan, "steps": [], "next_action": {"skill": "wait", "args": {}}}
    model = ScriptedModel({"plan": [plan, again], "action": [{"skill": "switch_on", "args": {"lamp": "lamp_1"}}]})
    sink = MemorySink()
    roles = Roles(VLMPlanner(model, mode=PlannerMode.STAGED, retries=0), PreconditionCritic(), EffectValidator())
    run_episode(registry.make(TOY), EpisodeSpec(TOY, seed=3), roles, LoopLimits(max_steps=3), sink)
    assert [[c.role.value for c in s.model_calls] for s in sink.steps] == [["plan"], ["action"], ["plan"]]
    assert '- [x] switch_on(lamp="lamp_0")\n- [ ] switch on lamp 1' in model.asked["action"][0]
    assert 'Write each step as one call' in model.asked["plan"][1]


# -- 3. an id whose field now has another label is marked ---------------------------------------------------


def _support(fields: dict[str, tuple[str, str]]) -> SceneGraph:
    """The support form: text fields by id, each (label, value), and its button."""
    return _page("Support", "http://shop.test/support",
                 *[Node(id=i, kind="textbox", name=n, attrs={"editable": True, "value": v}) for i, (n, v) in fields.items()],
                 Node(id="17", kind="button", name="Send ticket"))


MESSAGE = {"16": ("Message", "")}


def test_a_field_that_now_has_another_label_is_marked_on_the_same_page():
    history = _steps((_support(MESSAGE), 'type(element="16", text="My planter arrived damaged")'))
    text = _single(_ctx(_support({"16": ("Phone", "337"), "18": ("Message", "")}), history))
    assert ('step 1: type(element="16", text="My planter arrived damaged") -> ok (ids since changed: '
            '[16] was textbox "Message", now textbox "Phone" value=\'337\')') in text
    # The same field holding what was typed is no other element; a button renamed on its page is the same button.
    typed = _support({"16": ("Message", "My")})
    assert "ids since changed" not in _single(_ctx(typed, history))
    more = _page("Shop", "http://x/", Node(id="3", kind="button", name="Show more"))
    less = _page("Shop", "http://x/", Node(id="3", kind="button", name="Show less"))
    assert "ids since changed" not in _single(_ctx(less, _steps((more, 'click(element="3")'))))


# -- 4. Android: each id's latest state, and what it names now ------------------------------------------------


def _home() -> SceneGraph:
    return SceneGraph(nodes=[Node(id="0", kind="textview", name="Home"), Node(id="1", kind="textview", name="Settings"),
                             Node(id="2", kind="textview", name="Clock"), Node(id="3", kind="textview", name="Contacts")])


def _contacts() -> SceneGraph:
    return SceneGraph(nodes=[Node(id="0", kind="textview", name="Contacts"), Node(id="1", kind="linearlayout"),
                             Node(id="2", kind="button", name="Create contact")],
                      relations=[Relation(src="2", rel="child_of", dst="1")])


def _create() -> SceneGraph:
    names = [("textview", "Create contact"), ("textview", "Name"), ("edittext", "name"), ("textview", "Phone"),
             ("edittext", "phone"), ("button", "Save")]
    return SceneGraph(nodes=[Node(id=str(i), kind=k, name=n) for i, (k, n) in enumerate(names)])


def test_android_memory_keeps_each_ids_latest_state_and_what_it_names_now():
    history = _steps((_home(), 'open_app(app_name="contacts")'), (_contacts(), "click(element=2)"))
    memory = _memory(_single(_ctx(_create(), history, ANDROID, "agentloop/android.contact_add")))
    assert memory == ['- step 2: [0] textview "Contacts"; now textview "Create contact"',
                      '- step 2: [2] button "Create contact" (child of 1); now edittext "name"',
                      '- step 1: [1] textview "Settings"; now textview "Name"']
    # An id that now names an unnamed node (a layout) says so.
    settings = SceneGraph(nodes=[Node(id="0", kind="textview", name="Settings"), Node(id="1", kind="linearlayout"),
                                 Node(id="2", kind="linearlayout"), Node(id="3", kind="textview", name="Wi-Fi")])
    memory = _memory(_single(_ctx(settings, history[:1], ANDROID, "agentloop/android.wifi_on")))
    assert '- step 1: [2] textview "Clock"; now linearlayout' in memory


# -- 5. web memory: no chrome, no widget tokens, a page left behind in one line, capped ---------------------------


def test_a_page_left_behind_is_one_line():
    home = _page("Shop", "http://shop.test/", Node(id="7", kind="link", name="Support"),
                 Node(id="9", kind="label", name="Search products"),
                 Node(id="12", kind="text", name="Search the catalogue, filter, and order."))
    history = _steps((home, 'click(element="7")'), (_support(MESSAGE), 'type(element="16", text="hi")'))
    now = _page("Support", "http://shop.test/support", Node(id="9", kind="alert", name="The form has 2 error(s)."),
                *_support(MESSAGE).nodes[1:])
    memory = _memory(_single(_ctx(now, history)))
    assert memory == ['- step 1: (page "Shop": 3 elements no longer shown)']


def test_widget_tokens_and_chrome_are_left_out_and_values_kept():
    days = [Node(id=str(20 + i), kind="text", name=d) for i, d in enumerate(["Su", "Mo", "Tu", "We", "Th"])]
    picker = _page("Book Flight Task", "http://miniwob.local/book-flight.html",
                   Node(id="6", kind="textbox", attrs={"editable": True, "value": ""}),
                   Node(id="14", kind="link", name="Prev"), Node(id="18", kind="text", name="December"),
                   Node(id="19", kind="row"), *days, Node(id="70", kind="link", name="19"),
                   relations=[Relation(src=d.id, rel="child_of", dst="19") for d in days])
    closed = _page("Book Flight Task", "http://miniwob.local/book-flight.html",
                   Node(id="6", kind="textbox", attrs={"editable": True, "value": "12/19/2016"}))
    memory = _memory(_single(_ctx(closed, _steps((picker, 'click(element="70")')))))
    assert memory == ['- step 1: [18] text "December"', '- step 1: [70] link "19"']  # the date the call picked stays


def test_a_closed_lists_options_are_left_out_unless_a_call_picked_one():
    listbox = [Node(id=str(12 + i), kind="option", name=a) for i, a in enumerate(["Alamogordo, NM (ALM)", "Albany, NY (ALB)"])]
    open_list = _page("Book Flight Task", "http://miniwob.local/book-flight.html", *listbox)
    closed = _page("Book Flight Task", "http://miniwob.local/book-flight.html", Node(id="3", kind="button", name="Search"))
    memory = _memory(_single(_ctx(closed, _steps((open_list, 'click(element="13")')))))
    assert memory == ['- step 1: [13] option "Albany, NY (ALB)"']  # the picked one stays, the others go


def test_an_inbox_row_is_one_line_and_the_section_is_capped():
    rows, rels = [], []
    for i, (sender, subject) in enumerate([("Andria", "Dui sed."), ("Loralee", "Quis."), ("Celestyn", "In."),
                                           ("Bo", "Ut."), ("Cy", "Et."), ("Di", "Ac."), ("Ed", "Id."), ("Fa", "Eu."),
                                           ("Gus", "Mi."), ("Hal", "Ex.")]):
        row = str(10 * i + 4)
        rows += [Node(id=row, kind="generic", name=f"{sender} {subject}"), Node(id=row + "1", kind="generic", name=sender),
                 Node(id=row + "2", kind="generic", name=subject)]
        rels += [Relation(src=row + "1", rel="child_of", dst=row), Relation(src=row + "2", rel="child_of", dst=row)]
    inbox = _page("Email Inbox Task", "http://miniwob.local/email-inbox.html", *rows, relations=rels)
    email = _page("Email Inbox Task", "http://miniwob.local/email-inbox.html", Node(id="200", kind="text", name="to me"))
    memory = _memory(_single(_ctx(email, _steps((inbox, 'click(element="200")')))))
    assert memory[0] == '- step 1: [4] generic "Andria Dui sed."' and '"Andria"' not in "\n".join(memory)
    assert len(memory) == 9 and memory[-1] == "- (and 2 older)"  # 8 lines, the rest counted


# -- 6. spacing ---------------------------------------------------------------------------------------------------


def test_the_staged_action_prompt_has_one_blank_line_before_the_plan():
    plan = Plan(phase="complete", steps=['click(element="12")'])
    ctx = _ctx(_form(), [], plan=plan)
    with_plan = action_messages(ctx, [], images=False, plan=plan)[-1].text()
    assert "\n\nCURRENT PLAN (" in with_plan and not re.search(r"\n\n\n", with_plan)
    assert not re.search(r"\n\n\n", action_messages(ctx, [], images=False)[-1].text())
