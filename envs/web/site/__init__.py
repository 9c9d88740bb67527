"""A local multi-page site (shop, cart, checkout, profile, addresses, notes, support) served on
127.0.0.1 by a real HTTP server with per-episode SQLite state; tasks judged from the database."""

from __future__ import annotations

from agentloop.registry import register as _register

# max steps per task: the longest scripted solution plus room for replanning
_STEPS = {
    "site.checkout": 40, "site.profile": 20, "site.delete_address": 10,
    "site.delete_note": 10, "site.support": 25,
}


def register() -> None:
    from agentloop.envs.web.site.tasks import TASKS

    for name, cls in TASKS.items():
        _register(
            f"agentloop/{name}", "agentloop.envs.web.env:WebEnv", max_episode_steps=_STEPS[name],
            description=(cls.__doc__ or "").split("\n")[0],
            task="agentloop.envs.web.site.tasks:make_task", task_kwargs={"task": name},
            # Two episodes' pages made (and looked at) ahead, not one: a reset right after a
            # reset (a trainer's group start, an episode over at once) still finds one ready.
            ahead=2,
        )
