"""Headless rendering from the fixed camera: one RGB frame and one segmentation pass a step."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco
import numpy as np


def load_triton_before_gl() -> None:
    """Load Triton's library, if it is installed, before the first GL context loads Mesa.

    Headless EGL here is Mesa's llvmpipe, which brings the system's libLLVM; Triton's library
    carries an LLVM of its own whose start-up code, once the system's is loaded, crashes the
    process (a segfault in LLVM's option registry). PyTorch imports Triton whenever
    transformers loads its models, so an HF model made after a robot env's first frame would
    take the process down. Loaded in this order, both live side by side.
    """
    if "triton" in sys.modules or importlib.util.find_spec("triton") is None:
        return
    with contextlib.suppress(ImportError):  # a Triton that cannot load cannot crash anything later either
        importlib.import_module("triton._C.libtriton")


class Camera:
    """The fixed camera: an RGB frame and a segmentation pass of the same view.

    One per env, never shared: its renderer's GL context, scene and buffers change with every
    frame, and the context belongs to the thread that made it (the env's worker thread)."""

    def __init__(self, model: mujoco.MjModel, height: int = 256, width: int = 256, camera: str = "main"):
        self.model, self.camera = model, camera
        load_triton_before_gl()
        self.renderer = mujoco.Renderer(model, height, width)
        # Body of every geom, so a segmentation pixel maps to the entity it shows.
        self.geom_body = np.asarray(model.geom_bodyid)

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

    def close(self) -> None:
        self.renderer.close()
