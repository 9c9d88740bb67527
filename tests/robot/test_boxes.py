"""Robot scene-graph nodes carry pixel boxes projected through the camera that renders the
frame: checked against MuJoCo's own segmentation render of the same view (real MuJoCo, real
EGL rendering), and against the projection of a known point."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from agentloop.envs.robot.env import RobotEnv
from agentloop.envs.robot.perception import node_bodies
from agentloop.perception import perception_of
from agentloop.scene import SceneGraph
from agentloop.skills.robot import GRIPPER, SKILLS, NodeKind


def _segmented_bodies(env: RobotEnv) -> np.ndarray:
    """The body each pixel of the frame shows (-1: none), from a segmentation render."""
    cam, w = env.camera, env.world
    assert cam is not None and w is not None
    cam.renderer.enable_segmentation_rendering()
    cam.renderer.update_scene(w.data, cam.camera)
    seg = cam.renderer.render().copy()
    cam.renderer.disable_segmentation_rendering()
    ids, types = seg[..., 0], seg[..., 1]
    geom = (types == int(mujoco.mjtObj.mjOBJ_GEOM)) & (ids >= 0)
    return np.where(geom, cam.geom_body[np.clip(ids, 0, None)], -1)


@pytest.mark.parametrize("arm", ["none", "panda"])
def test_every_box_holds_the_pixels_its_node_shows(arm: str) -> None:
    env = RobotEnv(task="tidy-up", arm=arm, width=320, height=240)
    _, info = env.reset(seed=1)
    scene = perception_of(info).scene_graph
    assert scene is not None
    bodies = _segmented_bodies(env)
    boxed = [n for n in scene.nodes if "bbox" in n.attrs]
    assert {NodeKind.OBJECT.value, NodeKind.CONTAINER.value, NodeKind.DRAWER.value} <= {n.kind for n in boxed}
    for n in boxed:
        x, y, w, h = n.attrs["bbox"]
        assert min(x, y) >= 0 and x + w <= 320 and y + h <= 240, n.id
        ys, xs = np.nonzero(np.isin(bodies, node_bodies(env.world, n.id)))
        assert len(xs), f"{n.id} has a box but shows no pixels"
        # Every pixel the node shows lies in its box (a pixel of slack for rasterisation).
        assert xs.min() >= x - 1 and xs.max() <= x + w and ys.min() >= y - 1 and ys.max() <= y + h, (n.id, n.attrs["bbox"])
        if n.kind == NodeKind.OBJECT.value:  # nothing hides a free object: the box is its pixels'
            assert abs(xs.min() - x) <= 2 and abs(ys.min() - y) <= 2
            assert abs(xs.max() + 1 - (x + w)) <= 2 and abs(ys.max() + 1 - (y + h)) <= 2, (n.id, n.attrs["bbox"])
    env.close()


def test_an_object_centre_projects_into_its_box_where_its_colour_shows() -> None:
    env = RobotEnv(task="pick-place", arm="none")
    obs, info = env.reset(seed=3)
    scene = perception_of(info).scene_graph
    assert scene is not None and env.camera is not None and env.world is not None
    obj = scene.find(kind=NodeKind.OBJECT.value)[0]
    px, depth = env.camera.project(env.world.data, env.world.pos(obj.id)[None])
    u, v = px[0]
    assert depth[0] > 0
    x, y, w, h = obj.attrs["bbox"]
    assert x <= u <= x + w and y <= v <= y + h
    # The frame's pixel there is the object's colour (its material, under the headlight).
    rgba = env.world.model.geom_rgba[env.world.model.geom(obj.id).id][:3] * 255
    pixel = obs["screenshot"][int(v), int(u)].astype(float)
    assert np.dot(pixel / np.linalg.norm(pixel), rgba / np.linalg.norm(rgba)) > 0.95, (pixel, rgba)
    env.close()


def test_nodes_out_of_view_have_no_box_and_the_marked_frame_draws_the_rest() -> None:
    env = RobotEnv(task="find-in-drawer", arm="none", marks=True)
    obs, info = env.reset(seed=0)
    scene = perception_of(info).scene_graph
    assert scene is not None
    hidden = [n for n in scene.nodes if n.get("visible") is False]
    assert all("bbox" not in n.attrs for n in hidden)
    marked = info["set_of_marks"]
    assert marked.shape == obs["screenshot"].shape
    for n in scene.nodes:
        if "bbox" in n.attrs and n.id != GRIPPER:
            x, y, w, h = n.attrs["bbox"]
            edge = marked[y, x:x + w]  # the box's top edge is drawn in red
            assert (edge == (255, 0, 0)).all(axis=1).any(), n.id
    # The observation itself stays unmarked.
    assert not np.array_equal(marked, obs["screenshot"])
    env.close()


@pytest.mark.parametrize(("direction", "axis", "sign"), [("left", 0, -1), ("right", 0, 1), ("forward", 1, 1), ("back", 1, -1)])
def test_push_moves_the_object_as_its_description_says_in_the_camera_view(direction: str, axis: int, sign: int) -> None:
    described = SKILLS["push"].description()
    assert "8 cm" in described and "camera" in described
    env = RobotEnv(task="pick-place", arm="none")
    _, info = env.reset(seed=3)
    scene = perception_of(info).scene_graph
    assert scene is not None and env.world is not None
    obj = scene.find(kind=NodeKind.OBJECT.value)[0].id
    before = np.array(obj_box(scene, obj))
    p0 = env.world.pos(obj)
    _, _, _, _, info = env.step(f'push(object="{obj}", direction="{direction}")')
    after_scene = perception_of(info).scene_graph
    assert after_scene is not None
    after = np.array(obj_box(after_scene, obj))
    moved_px = (after[:2] + after[2:] / 2) - (before[:2] + before[2:] / 2)
    assert sign * moved_px[axis] > 5 and abs(moved_px[1 - axis]) < abs(moved_px[axis])  # that way in the image
    assert float(np.linalg.norm(env.world.pos(obj)[:2] - p0[:2])) == pytest.approx(0.08, abs=0.01)  # 8 cm
    env.close()


def obj_box(scene: SceneGraph, oid: str) -> list[int]:
    node = scene.node(oid)
    assert node is not None and "bbox" in node.attrs
    return node.attrs["bbox"]
