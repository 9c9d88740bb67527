"""Replaying a recorded run's decisions, and comparing two runs record by record.

`--planner replay:RUN_DIR` makes each episode's planner propose exactly what the recorded
episode of the same env, seed and rollout proposed, candidate by candidate (refused and
malformed ones included), with the same plans. Run under another executor (`--concurrency`,
`--workers`, `--executor ray`) or beside other sessions, an episode is a function of its env,
seed, rollout and decisions, so the new records must equal the old ones but for timings:
`compare_runs` says where they do not.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agentloop.context import Context, draw_seed
from agentloop.errors import AgentLoopError, ConfigError
from agentloop.recording import RunDir, read_steps
from agentloop.records import EpisodeRecord, Feedback, StepRecord
from agentloop.roles.planner import Proposal

REPLAY = "replay:"

# What may differ between two runs of the same decisions: clocks, and who ran them.
_EPISODE_VOLATILE = {"started_at", "ended_at", "duration_s", "error_trace"}
_STEP_VOLATILE = {"started_at", "ended_at", "timings", "model_calls"}
_NESTED_VOLATILE = {"latency_s", "timings"}


def replayed_run(planner: str) -> Path | None:
    """The run folder a `--planner replay:RUN_DIR` names, or None for any other planner."""
    if not planner.startswith(REPLAY):
        return None
    path = Path(planner.removeprefix(REPLAY))
    if not RunDir(path).exists():
        raise ConfigError(f"--planner {planner}: {path} is not a run folder (no run.json)")
    return path


class ReplayPlanner:
    """Proposes, at each step, the candidates the recorded episode proposed there, in order."""

    name = "replay"

    def __init__(self, run_dir: Path | str) -> None:
        self.run_dir = Path(run_dir).resolve()
        self._by_seed = _episodes_by_seed(self.run_dir)
        self._steps: list[StepRecord] = []
        self._drawn: dict[int, int] = {}

    def reset(self, ctx: Context) -> None:
        folder = self._by_seed.get((ctx.env_id, ctx.sampling_seed or 0))
        if folder is None:
            raise AgentLoopError(f"{self.run_dir} holds no episode of {ctx.env_id} with this seed and rollout")
        self._steps, self._drawn = read_steps(folder), {}

    def propose(self, ctx: Context) -> Proposal:
        if ctx.step >= len(self._steps):
            raise AgentLoopError(f"the replay went past the recorded episode's {len(self._steps)} steps")
        step = self._steps[ctx.step]
        i = self._drawn.get(ctx.step, 0)
        if i >= len(step.candidates):
            raise AgentLoopError(f"step {ctx.step} asked for more candidates than the {len(step.candidates)} recorded")
        self._drawn[ctx.step] = i + 1
        first = i == 0 and step.plan is not None
        return Proposal(action=step.candidates[i].text, plan=step.plan if first else None,
                        reflected=step.plan_reflected if first else None)

    def feedback(self, feedback: Feedback, ctx: Context) -> None:
        return None


@functools.lru_cache(maxsize=8)
def _episodes_by_seed(run_dir: Path) -> dict[tuple[str, int], Path]:
    """The recorded run's episode folders by env and sampling seed (which a context carries),
    read once per process: a run folder's landed episodes do not change."""
    return {(rec.env_id, draw_seed(rec.seed, rec.rollout)): folder for folder, rec in RunDir(run_dir).episodes()}


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in _NESTED_VOLATILE}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _episode_view(rec: EpisodeRecord, ignore: frozenset[str] = frozenset()) -> dict[str, Any]:
    return _clean(rec.model_dump(mode="json", exclude=_EPISODE_VOLATILE | {"planner"} | ignore))


def _step_view(rec: StepRecord, ignore: frozenset[str] = frozenset()) -> dict[str, Any]:
    return _clean(rec.model_dump(mode="json", exclude=_STEP_VOLATILE | ignore))


def _differences(where: str, a: Any, b: Any) -> Iterator[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            yield from _differences(f"{where}.{key}", a.get(key), b.get(key))
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield f"{where}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _differences(f"{where}[{i}]", x, y)
    elif a != b:
        yield f"{where}: {_short(a)} != {_short(b)}"


def _short(value: Any, width: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def compare_runs(first: Path | str, second: Path | str, *, by_seed: bool = False) -> list[str]:
    """Every field in which the episodes and steps of two runs differ (timings, clocks and the
    planner's name aside): empty when the second run replays the first exactly.

    With `by_seed`, every episode of `second` is compared with the one of `first` at the same
    env and seed, its rollout number and id aside: several rollouts of a seed played at once
    (without sampling) must each equal the one played alone."""
    if by_seed:
        return _compare_by_seed(RunDir(first), RunDir(second))
    a = {f.name: (f, rec) for f, rec in RunDir(first).episodes()}
    b = {f.name: (f, rec) for f, rec in RunDir(second).episodes()}
    out = [f"{eid}: only in {first}" for eid in sorted(set(a) - set(b))]
    out += [f"{eid}: only in {second}" for eid in sorted(set(b) - set(a))]
    for eid in sorted(set(a) & set(b)):
        (fa, ra), (fb, rb) = a[eid], b[eid]
        out += _differences(eid, _episode_view(ra), _episode_view(rb))
        sa, sb = [_step_view(s) for s in read_steps(fa)], [_step_view(s) for s in read_steps(fb)]
        out += _differences(f"{eid}.steps", sa, sb)
    return out


def _compare_by_seed(first: RunDir, second: RunDir) -> list[str]:
    ids = frozenset({"episode_id", "rollout"})
    alone = {(rec.env_id, rec.seed): (f, rec) for f, rec in first.episodes()}
    out = []
    for fb, rb in second.episodes():
        if (rb.env_id, rb.seed) not in alone:
            out.append(f"{fb.name}: no episode of its seed in {first.path}")
            continue
        fa, ra = alone[rb.env_id, rb.seed]
        out += _differences(fb.name, _episode_view(ra, ids), _episode_view(rb, ids))
        sa, sb = [_step_view(s, ids) for s in read_steps(fa)], [_step_view(s, ids) for s in read_steps(fb)]
        out += _differences(f"{fb.name}.steps", sa, sb)
    return out
