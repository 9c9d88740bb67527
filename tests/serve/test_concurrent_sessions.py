"""A served episode is the same whether its session runs alone or beside others: robot
pick-place (arm on) played by openenv-core's client, one session after another and then eight
at once, lands the same records field by field, and every episode is solved."""

from concurrent.futures import ThreadPoolExecutor

from openenv.core.generic_client import GenericEnvClient

from agentloop import registry
from agentloop.recording import RunDir
from agentloop.runner.replay import compare_runs
from tests.serve.helpers import ObservationPolicy, server

ROBOT = "agentloop/robot.pick-place"
SEEDS = range(8)


def play(url: str, seed: int) -> bool:
    with GenericEnvClient(base_url=url, connect_timeout_s=60, message_timeout_s=300).sync() as env:
        policy = ObservationPolicy(registry.env_class(ROBOT).scripted_planner, ROBOT)
        result = env.reset(seed=seed)
        for _ in range(12):
            if result.done:
                break
            result = env.step({"action": policy(result.observation)})
        return bool(result.done and result.observation["success"])


def test_sessions_side_by_side_give_the_records_of_sessions_alone(tmp_path):
    alone, together = tmp_path / "alone", tmp_path / "together"
    with server(ROBOT, "--record", str(alone), "--no-frames") as url:
        solved_alone = [play(url, seed) for seed in SEEDS]
    with server(ROBOT, "--record", str(together), "--no-frames", "--max-sessions", "16") as url, \
            ThreadPoolExecutor(len(SEEDS)) as pool:
        solved_together = list(pool.map(lambda seed: play(url, seed), SEEDS))
    assert all(solved_alone) and solved_together == solved_alone
    assert len(list(RunDir(together).episodes())) == len(SEEDS)
    assert compare_runs(alone, together) == []
