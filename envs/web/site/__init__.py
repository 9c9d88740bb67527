"""A local multi-page site (shop, cart, checkout, profile, addresses, notes, support) served on
127.0.0.1 by a real HTTP server with per-episode SQLite state; tasks judged from the database."""

from __future__ import annotations

from agentloop.registry import register as _register

# max steps per task: the longest scripted solution plus room for replanning
_STEPS = {
    "site.checkout": 40, "site.profile": 20, "site.delete_address": 10,
    "site.delete_note": 10, "site.support": 25, "site.price_lookup": 15,
}


def register() -> None:
    from agentloop.envs.web.site.tasks import TASKS

    for name, cls in TASKS.items():
        _register(
            f"agentloop/{name}", "agentloop.envs.web.env:WebEnv", max_episode_steps=_STEPS[name],
            description=" ".join((cls.__doc__ or "").split("\n\n")[0].split()),  # the first paragraph, whole
            task="agentloop.envs.web.site.tasks:make_task", task_kwargs={"task": name},
            # Three episodes' pages made (and looked at) ahead: a page moves on only while the
            # env talks to the browser (not while a policy thinks), and a one-call episode gives
            # it less of that than it needs, so with two a reset right after such an episode
            # (a trainer's group start, an episode over at once) still waited for one.
            ahead=3,
        )
