"""Episodes of the arm (real MuJoCo, the Franka Panda solved by mink) come out the same whether
they run one after another or side by side on threads: the same outcome, and at every step
the same action, verdicts, reward components, scene and `state_key`. Threaded envs share no
mutable simulation state (IK solver, MjData, renderer), so one episode cannot move another's
arm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentloop.recording import RunDir, read_steps
from agentloop.records import Outcome, RunConfig
from agentloop.runner import execute, prepare

ENV = "agentloop/robot.pick-place"
EPISODES = 6
SEED = 100
# Wall-clock facts, which differ from run to run however it is executed.
STEP_CLOCKS = {"started_at", "ended_at", "timings", "model_calls"}
EPISODE_CLOCKS = {"started_at", "ended_at", "duration_s"}


def _run(out: Path, concurrency: int) -> dict[str, tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Run the episodes with `concurrency` threads in this process; each episode's record and
    steps, read back from the run folder, wall-clock facts left out."""
    config = RunConfig(env_id=ENV, episodes=EPISODES, seed=SEED, concurrency=concurrency,
                       record_frames=False, out=str(out))
    rd, todo, _ = prepare(config, out, resume=False)
    execute(todo, config, out, on_done=lambda _: None)
    runs = {}
    for folder, record in RunDir(rd.path).episodes():
        steps = [s.model_dump(mode="json", exclude=STEP_CLOCKS) for s in read_steps(folder)]
        runs[record.episode_id] = (record.model_dump(mode="json", exclude=EPISODE_CLOCKS), steps)
    return runs


def _differences(alone: dict[str, Any], threaded: dict[str, Any], where: str) -> list[str]:
    return [f"{where} {key}: alone {alone.get(key)!r}, threaded {threaded.get(key)!r}"
            for key in sorted(alone.keys() | threaded.keys()) if alone.get(key) != threaded.get(key)]


def test_threaded_arm_episodes_match_serial_ones_field_by_field(tmp_path: Path) -> None:
    alone = _run(tmp_path / "alone", concurrency=1)
    threaded = _run(tmp_path / "threaded", concurrency=4)
    assert sorted(alone) == sorted(threaded) and len(alone) == EPISODES
    # The serial run is the reference; it must itself be a sane run of the arm.
    assert all(record["outcome"] == Outcome.SUCCESS.value for record, _ in alone.values())
    found: list[str] = []
    for episode_id, (record, steps) in sorted(alone.items()):
        other_record, other_steps = threaded[episode_id]
        found += _differences(record, other_record, episode_id)
        for index, (step, other) in enumerate(zip(steps, other_steps)):
            found += _differences(step, other, f"{episode_id} step {index}")
    assert not found, "\n".join(found[:20])


def test_a_disturbance_is_named_in_the_steps_env_facts():
    from agentloop import registry
    from agentloop.perception import INJECTED, perception_of

    env = registry.make("agentloop/robot.pick-place", arm="none", disturb=1.0)
    obs, info = env.reset(seed=3)
    obj = next(n.id for n in perception_of(info).scene_graph.nodes if n.kind == "object")
    _, _, _, _, info = env.step(f'pick(object="{obj}")')
    assert perception_of(info).extra[INJECTED] == ["miss"]
    _, _, _, _, info = env.step('look(at="table")')
    assert INJECTED not in perception_of(info).extra
    env.close()
