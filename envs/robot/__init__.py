"""The MuJoCo tabletop embodiment: drawers, a cup, objects to find, sort and put away, and a
Franka Panda that does it by inverse kinematics (or, with `arm="none"`, an unseen gripper).

`register()` (the `robot` entry point of `agentloop.envs`) registers `agentloop/robot.<task>`
for every task with lazy strings only: listing envs does not import MuJoCo.
"""

from __future__ import annotations

# Task name -> (step limit, description). Kept here, free of MuJoCo, for registration.
TASK_TABLE: dict[str, tuple[int, str]] = {
    "pick-place": (12, "put one named object in a named container"),
    "stack": (12, "stack one cube on another"),
    "sort-by-colour": (30, "red objects to the red bowl, blue objects to the blue bowl"),
    "put-all-in": (24, "put every block in the tray, leave the fruit"),
    "find-in-drawer": (20, "find an object hidden in one of three closed drawers; put it in the bowl"),
    "fruit-drawer": (20, "put the fruit into the drawer that holds only fruit (explore to find it)"),
    "occluded": (12, "an object hidden under an upturned cup: put it in the bowl"),
    "tidy-up": (40, "long horizon: fruit to the bowl, blocks to the tray, close the drawer"),
}


def register() -> None:
    from agentloop.registry import register as reg

    for task, (steps, desc) in TASK_TABLE.items():
        reg(f"agentloop/robot.{task}", "agentloop.envs.robot.env:RobotEnv", max_episode_steps=steps,
            description=f"MuJoCo tabletop: {desc}", task=task)
