"""A served episode is the same whether its session runs alone or beside others: robot
pick-place (arm on) played by openenv-core's client, one session after another and then eight
at once, lands the same records field by field, and every episode is solved."""

import shutil
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


TOY = "agentloop/toy.switches"


def test_copies_of_a_seed_played_at_once_each_give_the_record_played_alone(tmp_path):
    """Three sessions of one seed at once: each rollout's record equals the seed's alone, its
    rollout number and id aside; an episode whose seed was not played alone is named."""
    alone, together = tmp_path / "alone", tmp_path / "together"
    with server(TOY, "--record", str(alone), "--no-frames", "--env-arg", "slip=0.3") as url:
        solved_alone = [play(url, TOY, seed) for seed in (0, 1)]
    with server(TOY, "--record", str(together), "--no-frames", "--env-arg", "slip=0.3", "--max-sessions", "8") as url, \
            ThreadPoolExecutor(6) as pool:
        solved_together = list(pool.map(lambda seed: play(url, TOY, seed), [0, 0, 0, 1, 1, 1]))
    assert solved_together == [solved_alone[0]] * 3 + [solved_alone[1]] * 3
    assert sorted((rec.seed, rec.rollout) for _, rec in RunDir(together).episodes()) == \
        [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert compare_runs(alone, together, by_seed=True) == []
    assert compare_runs(alone, together) != []  # by name, rollouts 1 and 2 have no match alone
    partial = tmp_path / "partial"  # the alone run without seed 1's episode
    shutil.copytree(alone, partial)
    shutil.rmtree(partial / "episodes" / "toy.switches__s00001__r00")
    assert sorted(d.split(":")[0] for d in compare_runs(partial, together, by_seed=True)) == \
        [f"toy.switches__s00001__r{r:02d}" for r in range(3)]
