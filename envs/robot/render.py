"""Headless rendering from the fixed camera: one RGB frame and one segmentation pass a step,
and the projection of bodies into that frame (pixel boxes `[x, y, w, h]`, the project's box
convention: origin at the frame's top-left, x right, y down)."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import itertools
import math
import os
import threading

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco
import numpy as np

# Held while a renderer is made: the first one loads Mesa (and its libLLVM) and initialises
# MuJoCo's one EGL display, neither of which is guarded against two threads doing it at once.
_GL_SETUP = threading.Lock()
_triton_loaded = False


def load_triton_before_gl() -> None:
    """Load Triton's library, if it is installed, before the first GL context loads Mesa.

    Headless EGL here is Mesa's llvmpipe, which brings the system's libLLVM; Triton's library
    carries an LLVM of its own whose start-up code, once the system's is loaded, crashes the
    process (a segfault in LLVM's option registry). PyTorch imports Triton whenever
    transformers loads its models, so an HF model made after a robot env's first frame would
    take the process down. Loaded in this order, both live side by side. Callers hold
    `_GL_SETUP`: a thread that saw `triton` in `sys.modules` half-imported by another and went
    on to load Mesa is the same crash.
    """
    global _triton_loaded
    if _triton_loaded:
        return
    if importlib.util.find_spec("triton") is not None:
        with contextlib.suppress(ImportError):  # a Triton that cannot load cannot crash anything later either
            importlib.import_module("triton._C.libtriton")
    _triton_loaded = True


def make_renderer(model: mujoco.MjModel, height: int, width: int) -> mujoco.Renderer:
    """A renderer of its own for `model`, made one at a time across the process's threads."""
    with _GL_SETUP:
        load_triton_before_gl()
        return mujoco.Renderer(model, height, width)


class Camera:
    """The fixed camera: an RGB frame and a segmentation pass of the same view.

    One per env, never shared: its renderer's GL context, scene and buffers change with every
    frame, and the context belongs to the thread that made it (the env's worker thread)."""

    def __init__(self, model: mujoco.MjModel, height: int = 256, width: int = 256, camera: str = "main"):
        self.model, self.camera = model, camera
        self.renderer = make_renderer(model, height, width)
        # Body of every geom, so a segmentation pixel maps to the entity it shows.
        self.geom_body = np.asarray(model.geom_bodyid)
        self.cid = model.camera(camera).id
        self.focal = 0.5 * height / math.tan(math.radians(float(model.cam_fovy[self.cid])) / 2)
        # Points on every geom's surface: which geom each belongs to and where in its frame
        # (model constants, worked out once), and per set of bodies which of them are theirs.
        self._surface: tuple[np.ndarray, np.ndarray] | None = None
        self._rows: dict[tuple[int, ...], np.ndarray] = {}

    def rgb(self, data: mujoco.MjData) -> np.ndarray:
        self.renderer.disable_segmentation_rendering()
        self.renderer.update_scene(data, self.camera)
        return self.renderer.render().copy()

    def visible_pixels(self, data: mujoco.MjData) -> dict[str, int]:
        """Pixels per body name seen by the camera (segmentation pass)."""
        self.renderer.enable_segmentation_rendering()
        self.renderer.update_scene(data, self.camera)
        seg = self.renderer.render()
        self.renderer.disable_segmentation_rendering()
        ids, types = seg[..., 0], seg[..., 1]
        geoms = ids[(types == int(mujoco.mjtObj.mjOBJ_GEOM)) & (ids >= 0)]
        counts = np.bincount(self.geom_body[geoms], minlength=self.model.nbody)
        return {self.model.body(b).name: int(c) for b, c in enumerate(counts) if c}

    def project(self, data: mujoco.MjData, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (n, 2) of world points (n, 3) in this camera's frame, and their
        depth along its view axis (m; not positive: behind the camera). A pinhole camera
        with MuJoCo's conventions: the camera looks down its -z axis, its y axis is up, and
        `fovy` spans the frame's height (square pixels)."""
        rot = data.cam_xmat[self.cid].reshape(3, 3)  # columns: the camera's axes in the world
        local = (np.asarray(points, dtype=float) - data.cam_xpos[self.cid]) @ rot
        depth = -local[:, 2]
        safe = np.where(depth > 1e-6, depth, 1e-6)
        u = 0.5 * self.width + self.focal * local[:, 0] / safe
        v = 0.5 * self.height - self.focal * local[:, 1] / safe
        return np.stack([u, v], axis=1), depth

    def boxes(self, data: mujoco.MjData, wanted: dict[str, list[int]]) -> dict[str, list[int]]:
        """For each name of `wanted`, the pixel box `[x, y, w, h]` around every geom of its
        bodies as this camera projects them (whether or not something hides them), clipped to
        the frame; a name none of whose geoms lies in front of the camera and in the frame is
        left out. Every geom's surface points are moved and projected once for all."""
        if self._surface is None:  # model constants: each geom's points in its own frame
            parts = [_geom_points(self.model, g) for g in range(self.model.ngeom)]
            self._surface = (np.repeat(np.arange(self.model.ngeom), [len(q) for q in parts]), np.vstack(parts))
        owner, local = self._surface
        world = data.geom_xpos[owner] + np.einsum("nij,nj->ni", data.geom_xmat[owner].reshape(-1, 3, 3), local)
        px, depth = self.project(data, world)
        front = depth > 1e-6
        out = {}
        for name, bodies in wanted.items():
            key = tuple(sorted(bodies))
            if key not in self._rows:
                self._rows[key] = np.isin(self.geom_body[owner], key)
            seen = px[self._rows[key] & front]
            if not len(seen):
                continue
            (lo_x, lo_y), (hi_x, hi_y) = seen.min(axis=0).tolist(), seen.max(axis=0).tolist()
            # Python's own min and max: numpy's clip costs more than all of this on two numbers.
            x0, y0 = max(0, math.floor(lo_x)), max(0, math.floor(lo_y))
            x1, y1 = min(self.width, math.ceil(hi_x)), min(self.height, math.ceil(hi_y))
            if x1 > x0 and y1 > y0:
                out[name] = [x0, y0, x1 - x0, y1 - y0]
        return out

    @property
    def height(self) -> int:
        return int(self.renderer.height)

    @property
    def width(self) -> int:
        return int(self.renderer.width)

    def close(self) -> None:
        self.renderer.close()


def draw_marks(frame: np.ndarray, boxes: list[tuple[str, list[int]]]) -> np.ndarray:
    """A copy of `frame` with each `(id, [x, y, w, h])` box outlined and its id written above
    it (below it where the box touches the frame's top), as the web's set-of-marks frames."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(frame)
    d = ImageDraw.Draw(img)
    for nid, (x, y, w, h) in boxes:
        d.rectangle([x, y, x + max(w - 1, 0), y + max(h - 1, 0)], outline=(255, 0, 0))
        top = y - 11 if y >= 11 else y + h + 1
        d.rectangle([x, top, x + 6 * len(nid) + 2, top + 10], fill=(255, 0, 0))
        d.text((x + 1, top - 1), nid, fill=(255, 255, 255))
    return np.asarray(img)


# Directions to the 26 neighbours of a cube's centre, as unit vectors: points on a round
# surface in every direction, enough for a box that hugs a sphere's projection within a pixel
# or two at this camera's distance.
_ROUND = np.array([d for d in itertools.product((-1, 0, 1), repeat=3) if any(d)], dtype=float)
_ROUND /= np.linalg.norm(_ROUND, axis=1, keepdims=True)
_RIM = np.array([(math.cos(a), math.sin(a)) for a in np.linspace(0, 2 * math.pi, 16, endpoint=False)])


def _geom_points(model: mujoco.MjModel, g: int) -> np.ndarray:
    """Points on geom `g`'s surface, in its own frame, whose projection bounds its own."""
    size, kind = model.geom_size[g], int(model.geom_type[g])
    if kind in (mujoco.mjtGeom.mjGEOM_SPHERE, mujoco.mjtGeom.mjGEOM_ELLIPSOID):
        radii = size if kind == mujoco.mjtGeom.mjGEOM_ELLIPSOID else np.full(3, size[0])
        local = _ROUND * radii
    elif kind == mujoco.mjtGeom.mjGEOM_CYLINDER:
        rim = np.hstack([_RIM * size[0], np.zeros((len(_RIM), 1))])
        local = np.vstack([rim + (0, 0, size[1]), rim - (0, 0, size[1])])
    elif kind == mujoco.mjtGeom.mjGEOM_CAPSULE:
        ball = _ROUND * size[0]
        local = np.vstack([ball + (0, 0, size[1]), ball - (0, 0, size[1])])
    else:  # boxes, meshes and the rest: the corners of the geom's own bounding box
        centre, half = model.geom_aabb[g, :3], model.geom_aabb[g, 3:]
        local = centre + half * np.array(list(itertools.product((-1, 1), repeat=3)), dtype=float)
    return np.asarray(local, dtype=float)
