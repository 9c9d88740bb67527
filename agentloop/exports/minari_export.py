"""Minari dataset: T+1 observations per episode (screenshot + text view), text actions,
the same info keys at every step, a text charset that admits real text, lossless frames."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from gymnasium import spaces

from agentloop.exports.source import Episode, Run, action_of, first_frame
from agentloop.spaces import text_space

if TYPE_CHECKING:
    from minari.data_collector import EpisodeBuffer

def dataset_id(run: Run) -> str:
    """`agentloop/<run id>-v0`, in the characters Minari allows."""
    name = re.sub(r"[^a-z0-9]+", "-", run.manifest.run_id.lower()).strip("-") or "run"
    return f"agentloop/{name}-v0"


def _frame(ep: Episode, rel: str | None, shape: tuple[int, ...]) -> np.ndarray:
    im = ep.image(rel)
    return np.asarray(im, dtype=np.uint8) if im is not None else np.zeros(shape, dtype=np.uint8)


def _buffer(ep: Episode, shape: tuple[int, ...], idx: int) -> EpisodeBuffer:
    from minari.data_collector import EpisodeBuffer

    steps = ep.steps
    shots = [_frame(ep, steps[0].frame, shape)] + [_frame(ep, s.frame_after, shape) for s in steps]
    texts = [steps[0].text_view] + [steps[t + 1].text_view if t + 1 < len(steps) else s.text_view
                                    for t, s in enumerate(steps)]
    r = ep.rewards
    # Info values for the reset observation too (T+1 entries), same keys everywhere.
    info = {
        "progress": np.array([0.0] + r.progress, dtype=np.float64),
        "valid_action": np.array([True] + r.valid, dtype=bool),
        "label": np.array([True] + [bool(x) for x in r.label], dtype=bool),
        "critic_score": np.array([np.nan] + [s.critic.score if s.critic and s.critic.score is not None else np.nan for s in steps]),
        "validator_ok": np.array([True] + [bool(s.validator.ok) if s.validator else True for s in steps]),
        "step_reward": np.array([0.0] + r.step_reward, dtype=np.float64),
    }
    return EpisodeBuffer(
        id=idx, observations={"screenshot": np.stack(shots), "text": texts},
        actions=[action_of(s) or "" for s in steps],
        rewards=np.array([s.rewards.env for s in steps], dtype=np.float64),
        terminations=np.array([s.terminated for s in steps], dtype=bool),
        truncations=np.array([s.truncated for s in steps], dtype=bool),
        # Column vectors: Minari's Arrow reader cannot restore the shape of 1-D info arrays.
        infos={k: v.reshape(-1, 1) for k, v in info.items()},
    )


def export(run: Run, out: Path) -> Path:
    """Writes the dataset under `out` (a Minari datasets root) and returns its folder."""
    import minari

    episodes = [ep for ep in run.episodes() if ep.steps]
    first = first_frame(episodes)
    h, w = first.height, first.width
    max_text = max(65536, *(len(s.text_view) for ep in episodes for s in ep.steps))
    obs_space = spaces.Dict({
        "screenshot": spaces.Box(0, 255, (h, w, 3), np.uint8), "text": text_space(max_text),
    })
    os.environ["MINARI_DATASETS_PATH"] = str(Path(out).resolve())
    did = dataset_id(run)
    shutil.rmtree(Path(out) / did, ignore_errors=True)  # an export replaces an older one
    minari.create_dataset_from_buffers(
        dataset_id=did, buffer=[_buffer(ep, (h, w, 3), i) for i, ep in enumerate(episodes)],
        observation_space=obs_space, action_space=text_space(4096),
        algorithm_name=run.manifest.config.planner, author="agentloop",
        description=f"agentloop run {run.manifest.run_id} of {', '.join(run.manifest.env_ids)}",
        data_format="arrow", jpeg_encoding=False,  # frames must come back bit-identical
    )
    return Path(out) / did
