"""Android family: a phone or emulator over ADB (`agentloop/android.<task>`).

Registration uses lazy strings only, so listing envs imports neither adbutils nor Pillow.
"""

from __future__ import annotations

ENTRY_POINT = "agentloop.envs.android.env:AndroidEnv"


def register() -> None:
    from agentloop.envs.android.tasks import TASKS
    from agentloop.registry import register as reg

    for name, task in TASKS.items():
        where = "" if task.on_double else " (real device only)"
        reg(f"agentloop/android.{name}", ENTRY_POINT, max_episode_steps=task.max_steps,
            description=f"{task.goal}{where}", task=name)
