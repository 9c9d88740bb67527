"""Reading and writing the derived files of an episode and of a run."""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from agentloop.recording import RunDir, read_episode, read_steps
from agentloop.records import EpisodeRecord, Outcome, StepRecord
from agentloop.rewards.episode import compute_episode
from agentloop.rewards.groups import gigpo
from agentloop.rewards.models import (
    EPISODE_FILE,
    GROUPS_FILE,
    EpisodeRewards,
    GroupAdvantages,
    RewardConfig,
)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


def derive_episode(
    episode_folder: Path, record: EpisodeRecord, steps: Sequence[StepRecord], config: RewardConfig | None = None,
) -> EpisodeRewards:
    """Compute the per-episode derived values of a landed episode and store them beside its
    raw log (atomically: the episode is already visible to readers)."""
    rewards = compute_episode(record, steps, config)
    _atomic_write(Path(episode_folder) / EPISODE_FILE, rewards.model_dump_json(indent=1))
    return rewards


def episode_rewards(episode_folder: Path, config: RewardConfig | None = None) -> EpisodeRewards:
    """The stored derived values, computed (and stored) if missing or made with another config."""
    path = Path(episode_folder) / EPISODE_FILE
    if path.exists():
        stored = EpisodeRewards.model_validate_json(path.read_text("utf-8"))
        if config is None or stored.config == config:
            return stored
    return derive_episode(episode_folder, read_episode(episode_folder), read_steps(episode_folder), config)


def derive_run(run_dir: Path | str, config: RewardConfig | None = None) -> list[GroupAdvantages]:
    """GiGPO advantages for every task-and-seed group of a run, written to derived/groups.v1.jsonl."""
    rd = RunDir(run_dir)
    rd.manifest()  # a clear error when this is not a run folder
    groups: dict[tuple[str, int], list[EpisodeRewards]] = defaultdict(list)
    for folder, rec in rd.episodes():
        if rec.outcome is Outcome.ERROR:
            continue
        groups[(rec.task, rec.seed)].append(episode_rewards(folder, config))
    out = [gigpo(eps, config) for _, eps in sorted(groups.items())]
    _atomic_write(rd.path / GROUPS_FILE, "".join(g.model_dump_json() + "\n" for g in out))
    return out


def read_groups(run_dir: Path | str) -> list[GroupAdvantages]:
    """The run's GiGPO groups, derived first if they never were."""
    path = Path(run_dir) / GROUPS_FILE
    if not path.exists():
        return derive_run(run_dir)
    with open(path, encoding="utf-8") as f:
        return [GroupAdvantages.model_validate_json(line) for line in f if line.strip()]
