"""The robot's scene text states its positions' units and frame once, and leaves the nodes'
boxes out (no robot skill takes a point of the frame). The frame it states is checked against
MuJoCo: a node's printed position is its body's, and the camera sees +x to the right and +y
further away (higher in the image)."""

from __future__ import annotations

import re

import pytest

from agentloop.context import Context
from agentloop.envs.robot.env import RobotEnv
from agentloop.perception import perception_of
from agentloop.prompts.messages import single_messages

POSITION = re.compile(r"^\[(?P<id>[^\]]+)\] .*position=\((?P<xyz>[^)]*)\)")


def scene_text(env_id: str, obs, info) -> str:
    text = single_messages(Context.of(env_id, obs, info), [], images=False)[1].text()
    return text.split("SCENE GRAPH:\n", 1)[1].split("\n\n", 1)[0]


@pytest.mark.parametrize("task", ["tidy-up", "find-in-drawer"])
def test_units_are_stated_once_and_boxes_left_out(task: str) -> None:
    env = RobotEnv(task=task, arm="none")
    try:
        obs, info = env.reset(seed=1)
        text = scene_text(f"agentloop/robot.{task}", obs, info)
        lines = text.splitlines()
        assert lines[0].startswith("(units: position=(x,y,z) in metres, table frame: origin mid-tabletop")
        assert "x to the camera's right, y away from the camera, z up" in lines[0]
        assert sum("metres" in line for line in lines) == 1
        graph = perception_of(info).scene_graph
        assert graph is not None and any("bbox" in n.attrs for n in graph.nodes)  # recorded, not printed
        assert "at=(" not in text and "size=" not in text and "bbox" not in text
        world = env.world
        assert world is not None
        printed = {m["id"]: [float(v) for v in m["xyz"].split(",")] for m in map(POSITION.match, lines) if m}
        assert len(printed) >= 4
        for nid, xyz in printed.items():  # metres, as MuJoCo has them (the gripper: its grip point)
            if nid != "gripper":
                truth = world.pos(nid)
                assert all(abs(a - b) < 0.002 for a, b in zip(xyz[:2], truth[:2])), (nid, xyz, truth)
        _check_frame(graph, printed)
    finally:
        env.close()


def _check_frame(graph, printed: dict[str, list[float]]) -> None:
    """Along x the image's column grows, along y its row falls (further from the camera)."""
    boxed = {n.id: n.attrs["bbox"] for n in graph.nodes if "bbox" in n.attrs and n.id in printed}
    pairs = [(a, b) for a in boxed for b in boxed if a < b]
    wide = [(a, b) for a, b in pairs if abs(printed[a][0] - printed[b][0]) > 0.15]
    deep = [(a, b) for a, b in pairs if abs(printed[a][1] - printed[b][1]) > 0.25
            and abs(printed[a][0] - printed[b][0]) < 0.15]
    assert wide and deep

    def centre(nid: str, axis: int) -> float:
        return boxed[nid][axis] + boxed[nid][axis + 2] / 2

    for a, b in wide:
        assert (printed[a][0] < printed[b][0]) == (centre(a, 0) < centre(b, 0)), (a, b)
    for a, b in deep:
        assert (printed[a][1] < printed[b][1]) == (centre(a, 1) > centre(b, 1)), (a, b)
