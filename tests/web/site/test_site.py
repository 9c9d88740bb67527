"""The local site: a real HTTP server on loopback with per-episode SQLite state, its tasks judged
from the database, and the scripted planner solving each task through the closed loop in real
headless Chromium."""

from __future__ import annotations

import sqlite3
import urllib.error
import urllib.parse
import urllib.request

import numpy as np
import pytest

from agentloop.calls import SkillCall
from agentloop.envs.web.site import db
from agentloop.envs.web.site.server import SiteServer, SiteState, validate_support
from agentloop.envs.web.site.tasks import ORIGIN, TASKS, make_task
from agentloop.perception import Perception, perception_of
from agentloop.records import Outcome, Verdict

pytest.importorskip("playwright")
from agentloop.context import Context
from agentloop.envs.web.env import WebEnv
from agentloop.envs.web.planner import WebPlanner
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.roles import Roles
from agentloop.roles.critic import PreconditionCritic
from agentloop.roles.validator import EffectValidator
from agentloop.testing.sink import MemorySink

TASK_FACTORY = "agentloop.envs.web.site.tasks:make_task"


def _env(task: str) -> WebEnv:
    return WebEnv(task=TASK_FACTORY, task_kwargs={"task": task})


def _by_name(scene, kind: str, name: str):
    return next(n for n in scene.nodes if n.kind == kind and n.name == name)


def _step(env: WebEnv, call: SkillCall) -> Perception:
    obs, reward, terminated, truncated, info = env.step(call)
    seen = perception_of(info)
    assert seen.action_error is None, seen.action_error
    return seen


def _goto(env: WebEnv, path: str):
    """Open a page of the site with the `goto` skill; returns the new scene graph."""
    return _step(env, SkillCall(name="goto", args={"url": ORIGIN + path})).scene_graph


# ---- server and database, no browser -----------------------------------------------------


def test_seeding_differs_per_seed_and_target_is_the_cheapest_filtered(tmp_path) -> None:
    a = db.seed_database(tmp_path / "a.sqlite", 1)
    b = db.seed_database(tmp_path / "b.sqlite", 2)
    again = db.seed_database(tmp_path / "a2.sqlite", 1)
    assert a == again and a != b
    conn = sqlite3.connect(tmp_path / "a.sqlite")
    rows = conn.execute("SELECT id, name, category, price_cents FROM product WHERE name LIKE ?", (f"%{a.query}%",)).fetchall()
    cheapest_overall = min(rows, key=lambda r: r[3])
    allowed = [r for r in rows if r[2] == a.category and r[3] <= a.max_price_cents]
    assert min(allowed, key=lambda r: r[3])[0] == a.target_product_id
    assert cheapest_overall[0] != a.target_product_id  # the category filter matters


def test_server_serves_pages_and_validates_on_loopback(tmp_path) -> None:
    db.seed_database(tmp_path / "s.sqlite", 5)
    server = SiteServer(SiteState(tmp_path / "s.sqlite"))
    origin = server.start()
    try:
        assert origin.startswith("http://127.0.0.1:")
        home = urllib.request.urlopen(origin + "/").read().decode()
        assert "Search products" in home
        data = urllib.parse.urlencode({"email": "nope", "order_ref": "#1", "phone": "1-2", "message": "short"}).encode()
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(origin + "/support", data=data)
        assert e.value.code == 422
        body = e.value.read().decode()
        assert "The form has 4 error(s)" in body and "must look like ORD-12345" in body
    finally:
        server.stop()
    server.start()  # restartable, on a fresh free port
    server.stop()


def test_support_validation_rules() -> None:
    good = {"email": "a@example.org", "order_ref": "ORD-12345", "phone": "5551234567", "message": "x" * 20}
    assert validate_support(good) == {}
    assert set(validate_support({**good, "phone": "555-123-4567", "order_ref": "#12345"})) == {"phone", "order_ref"}


# ---- tasks in the real browser through WebEnv --------------------------------------------


def test_checkout_progress_rises_with_each_stage_and_place_order_is_irreversible() -> None:
    env = _env("site.checkout")
    try:
        _, info = env.reset(seed=4)
        seen = perception_of(info)
        assert seen.progress == 0.0 and not seen.success
        task = env.task
        s = task.seeded
        scene = seen.scene_graph
        _step(env, SkillCall(name="type", args={"element": _by_name(scene, "textbox", "Search products").id, "text": s.query}))
        seen = _step(env, SkillCall(name="click", args={"element": _by_name(scene, "button", "Search").id}))
        assert seen.progress == 0.25
        # Go straight to the product and the cart (skipping the filter): progress counts the cart.
        scene = _goto(env, f"/product/{s.target_product_id}")
        seen = _step(env, SkillCall(name="click", args={"element": _by_name(scene, "button", "Add to cart").id}))
        assert seen.progress == 0.5
        scene = _goto(env, "/checkout")
        place = _by_name(scene, "button", "Place order")
        assert place.get("irreversible") is True
        # an invalid form: the server answers with errors and no order is stored
        seen = _step(env, SkillCall(name="click", args={"element": place.id}))
        alerts = [n.name for n in seen.scene_graph.nodes if n.kind == "alert"]
        assert any("ZIP code" in a for a in alerts) and any("Card number" in a for a in alerts)
        assert task.evaluate().details["orders"] == 0 and not seen.success
        assert seen.extra["task_details"]["orders"] == 0 and "raw_reward" not in seen.extra
    finally:
        env.close()


def test_profile_partial_progress_is_the_share_of_saved_fields() -> None:
    env = _env("site.profile")
    try:
        _, info = env.reset(seed=1)
        want = env.task.want
        scene = _goto(env, "/profile")
        _step(env, SkillCall(name="type", args={"element": _by_name(scene, "textbox", "City").id, "text": want["city"]}))
        seen = _step(env, SkillCall(name="click", args={"element": _by_name(scene, "button", "Save profile").id}))
        assert seen.progress == pytest.approx(1 / 3, abs=1e-3) and not seen.success
        stored = env.task.query("SELECT city FROM profile")[0]["city"]
        assert stored == want["city"]
    finally:
        env.close()


def test_deleting_the_wrong_look_alike_address_fails_the_episode() -> None:
    env = _env("site.delete_address")
    try:
        _, info = env.reset(seed=2)
        scene = _goto(env, "/addresses")
        target = env.task.query("SELECT label FROM address WHERE id = ?", (env.task.target,))[0]["label"]
        wrong = next(n for n in scene.nodes if n.kind == "button" and n.name.startswith("Delete ") and n.name != f"Delete {target}")
        assert wrong.get("irreversible") is True
        _, _, terminated, _, info = env.step(SkillCall(name="click", args={"element": wrong.id}))
        seen = perception_of(info)
        assert terminated and not seen.success and seen.extra["task_details"]["wrongly_deleted"]
    finally:
        env.close()


def test_irreversible_click_passes_the_rule_critic() -> None:
    env = _env("site.delete_note")
    try:
        env.reset(seed=3)
        title = env.task.query("SELECT title FROM note WHERE id = ?", (env.task.target,))[0]["title"]
        url = f"{ORIGIN}/notes/{env.task.target}/delete"
        seen = _step(env, SkillCall(name="goto", args={"url": url}))
        confirm = _by_name(seen.scene_graph, "button", "Confirm delete")
        assert confirm.get("irreversible") is True and title in seen.scene_graph.to_text()
        ctx = Context(env_id="agentloop/site.delete_note", perception=seen, observation=None, skillset=env.skillset)
        call = env.skillset.bind(SkillCall(name="click", args={"element": confirm.id}))
        verdict: Verdict = PreconditionCritic().review(call, ctx)
        assert verdict.ok, verdict.reason
        seen = _step(env, call.call)
        assert seen.success and seen.progress == 1.0
    finally:
        env.close()


@pytest.mark.parametrize("task", sorted(TASKS))
def test_scripted_planner_solves_task_in_closed_loop(task: str) -> None:
    env = _env(task)
    roles = Roles(WebPlanner(), PreconditionCritic(), EffectValidator())
    try:
        for seed in (7,):
            rec = run_episode(env, EpisodeSpec(f"agentloop/{task}", seed), roles, LoopLimits(max_steps=40)).record
            assert rec.success and rec.outcome is Outcome.SUCCESS, (task, seed, rec.outcome, rec.error)
    finally:
        env.close()


def test_registered_and_passes_check_env() -> None:
    import gymnasium as gym
    from gymnasium.utils.env_checker import check_env

    from agentloop import registry

    registry.load_plugins()
    for task in TASKS:
        assert f"agentloop/{task}" in gym.registry
    env = gym.make("agentloop/site.delete_note").unwrapped
    try:
        check_env(env, skip_render_check=True)
    finally:
        env.close()


def test_pages_are_seen_at_the_virtual_origin_and_the_server_port_is_refused() -> None:
    env = _env("site.delete_note")
    try:
        obs, info = env.reset(seed=3)
        port = env.task.server.origin.rsplit(":", 1)[1]
        seen = _step(env, SkillCall(name="goto", args={"url": f"{ORIGIN}/notes"}))
        record = seen.model_dump_json() + obs["text"]
        assert seen.scene_graph.node("page").get("url") == f"{ORIGIN}/notes" and port not in record and "127.0.0.1" not in record
        assert env.page.url == env.task.server.origin + "/notes"  # served on the instance's own port
        _, _, _, _, info = env.step(SkillCall(name="goto", args={"url": "http://elsewhere.test/notes"}))
        refused = perception_of(info).action_error
        assert refused is not None and "not one of this task's origins (http://shop.test)" in refused.message
    finally:
        env.close()


def test_unknown_task_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"unknown site task 'site\.nope'"):
        make_task("site.nope")


def test_the_start_page_is_observed_ahead_exactly_as_it_would_be_now() -> None:
    env = _env("site.delete_note")
    looks, snapshots = [], []
    look, snapshot = env._contexts.look, env._snapshot
    env._contexts.look = lambda ep: looks.append(ep.page) or look(ep)
    env._snapshot = lambda page: snapshots.append(page) or snapshot(page)
    try:
        for seed in (4, 4, 5):  # the first reset looks on the spot, the next ones at pages made ahead
            obs, info = env.reset(seed=seed)
            assert env.page in looks and env.episode.seen is None  # looked at ahead, and that look used up
            again, scene = env._observe()  # a look now, at the same page
            assert np.array_equal(obs["screenshot"], again["screenshot"]) and obs["text"] == again["text"]
            assert perception_of(info).scene_graph == scene
        assert len(snapshots) == len(looks) + 3  # no reset took a snapshot of its own: only the three here
    finally:
        env.close()


class _Claiming(WebPlanner):
    """The scripted planner, ending with the claim it is given instead of its own."""

    def __init__(self, claim: dict[str, str]) -> None:
        super().__init__()
        self.claim = claim

    def next_action(self, ctx: Context) -> str | SkillCall:
        call = super().next_action(ctx)
        return SkillCall(name="finish", args=self.claim) if getattr(call, "name", "") == "finish" else call


@pytest.mark.parametrize(("seed", "feasible"), [(501, True), (500, False)])
def test_an_answer_or_infeasible_claim_is_judged_by_the_env(seed: int, feasible: bool) -> None:
    # Seed 501 asks a price the shop has ($10.74); seed 500 one it has not.
    env = _env("site.price_lookup")
    right = {"status": "done", "answer": "$10.74"} if feasible else {"status": "infeasible"}
    wrong = [{"status": "infeasible"}, {"status": "done", "answer": "10.75"}] if feasible else [
        {"status": "done", "answer": "$10.74"}]
    try:
        for claim, succeeds in [(right, True)] + [(w, False) for w in wrong]:
            roles = Roles(_Claiming(claim), PreconditionCritic(), EffectValidator())
            sink = MemorySink()
            rec = run_episode(env, EpisodeSpec("agentloop/site.price_lookup", seed), roles, LoopLimits(max_steps=15),
                              sink).record
            last = sink.steps[-1]
            assert rec.claim is not None and rec.claim.status.value == claim["status"], rec.claim
            assert rec.success is succeeds and last.validator.ok is succeeds, (claim, last.validator)
            assert last.rewards.env == float(succeeds) and last.action_text.startswith("finish(")
    finally:
        env.close()
