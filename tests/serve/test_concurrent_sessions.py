"""A served episode is the same whether its session runs alone or beside others: robot
pick-place (arm on) played by openenv-core's client, one session after another and then eight
at once, lands the same records field by field, and every episode is solved."""

from concurrent.futures import ThreadPoolExecutor

from agentloop.recording import RunDir
from agentloop.runner.replay import compare_runs
from tests.serve.helpers import play, server

ROBOT = "agentloop/robot.pick-place"
SEEDS = range(8)


def test_sessions_side_by_side_give_the_records_of_sessions_alone(tmp_path):
    alone, together = tmp_path / "alone", tmp_path / "together"
    with server(ROBOT, "--record", str(alone), "--no-frames") as url:
        solved_alone = [play(url, ROBOT, seed, 12) for seed in SEEDS]
    with server(ROBOT, "--record", str(together), "--no-frames", "--max-sessions", "16") as url, \
            ThreadPoolExecutor(len(SEEDS)) as pool:
        solved_together = list(pool.map(lambda seed: play(url, ROBOT, seed, 12), SEEDS))
    assert all(solved_alone) and solved_together == solved_alone
    assert len(list(RunDir(together).episodes())) == len(SEEDS)
    assert compare_runs(alone, together) == []
