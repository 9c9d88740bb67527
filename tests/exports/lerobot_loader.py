"""Load a lerobot export with LeRobot's own `LeRobotDataset` and print what it saw as JSON.

Run with the LeRobot environment's Python (`scripts/setup.sh` makes it): LeRobot 0.4 pins an
older torch and datasets than this project, so it lives in a virtual environment of its own
that sees the project's packages and adds LeRobot with what its dataset module imports.

    python tests/exports/lerobot_loader.py EXPORT_DIR [EXPORT_DIR...]

One JSON object per line, per folder.
"""

from __future__ import annotations

import json
import sys
import types

# LeRobot's dataset utilities import torchvision for `transforms.ToTensor`. PyPI's torchvision
# is a CUDA build: beside the CPU torch its C++ ops (nms, roi_align...) cannot load, and its
# import then stops at registering torch.compile meta kernels for those missing ops. Loading an
# image dataset uses none of them, so only that registration module is left out.
sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")

from lerobot.datasets.lerobot_dataset import LeRobotDataset  # noqa: E402


def main(root: str) -> None:
    ds = LeRobotDataset("local/agentloop-export", root=root)
    items = [ds[i] for i in range(len(ds))]
    print(json.dumps({
        "codebase_version": ds.meta.info["codebase_version"],
        "frames": len(ds), "episodes": ds.num_episodes, "fps": ds.fps,
        "features": sorted(ds.features),
        "camera_keys": ds.meta.camera_keys,
        "episode_lengths": [int(ep["length"]) for ep in ds.meta.episodes],
        "episode_index": [int(it["episode_index"]) for it in items],
        "frame_index": [int(it["frame_index"]) for it in items],
        "image_shape": list(items[0]["observation.image"].shape),
        "image_range": [float(items[0]["observation.image"].min()), float(items[0]["observation.image"].max())],
        "actions": [it["action.text"] for it in items],
        "tasks": [it["task"] for it in items],
    }))


if __name__ == "__main__":
    for root in sys.argv[1:]:
        main(root)
