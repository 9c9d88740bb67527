"""Replay equivalence over every task: an episode is a function of its env, seed, rollout and
decisions, never of how the run is executed.

For each task, a run of the scripted planner is recorded alone (`agentloop run`, default critic
and validator, failures injected with `--disturb` where the family has it); its decisions are
then replayed (`--planner replay:RUN_DIR`) on threads (`--concurrency 8`) and in worker
processes (`--workers 2`), and the records compared field by field, timings aside. With
`--served N`, the tasks named are also played through `agentloop serve` by openenv-core's client,
one session after another and then N at once, and those two recordings compared (with
`--copies K`, N/K seeds are served alone and each K times among the N: every copy must equal
its seed played alone, which also shows two sessions doing the same thing at once keep apart);
the successes the clients were told must be those recorded.

    python benchmarks/replay_equivalence.py                         # every task, 3 seeds
    python benchmarks/replay_equivalence.py --families robot toy --seeds 8
    python benchmarks/replay_equivalence.py --tasks robot.pick-place --served 64 --out /tmp/eq
    python benchmarks/replay_equivalence.py --out /tmp/eq --resume      # go on where a run stopped
    python benchmarks/replay_equivalence.py --families miniwob site --seeds 2 --served 64 --copies 4 --jobs 3 --out /tmp/eq

Target: no differing field for any task under any mode; every served level solves what the
sessions alone solve. The table says, per task and mode, the episodes compared, the differing
fields (and the first one), and the successes, so equality of failures cannot hide.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

from agentloop import registry
from agentloop.recording import RunDir
from agentloop.runner.replay import compare_runs

REPO = Path(__file__).parents[1]
DISTURB = {"robot": "0.3", "toy": None}  # families whose envs inject failures (`--disturb P`)
MODES = {"threads": ["--concurrency", "8"], "processes": ["--workers", "2"]}
SKIP = {"android"}  # needs a phone (or its double, one episode at a time): see tests/core


def tasks(families: list[str] | None, names: list[str] | None) -> list[str]:
    ids = [e.id for e in registry.list_envs() if e.family not in SKIP or (families and e.family in families)]
    if families:
        ids = [i for i in ids if i.split("/")[-1].split(".")[0] in families]
    if names:
        ids = [i for i in ids if i.split("/")[-1] in names or i in names]
    if not names:  # MiniWoB tasks the scripted planner does not claim are not benchmarks of anything
        from web_tasks import claimed_tasks  # beside this script

        claimed = set(claimed_tasks())
        ids = [i for i in ids if not i.split("/")[-1].startswith("miniwob.") or i.split("/")[-1] in claimed]
    return ids


def agentloop_run(*args: str) -> str:
    r = subprocess.run([sys.executable, "-m", "agentloop", "run", *args, "--no-frames"], capture_output=True,
                       text=True, cwd=REPO, env={**os.environ, "MUJOCO_GL": "egl"})
    return "" if r.returncode == 0 else (r.stderr.strip().splitlines() or ["failed"])[-1]


def flags(env_id: str) -> list[str]:
    family = env_id.split("/")[-1].split(".")[0]
    p = DISTURB.get(family)
    return ["--disturb", p] if p else (["--env-arg", "slip=0.3"] if family == "toy" else [])


def successes(run_dir: Path) -> int:
    return sum(rec.success for _, rec in RunDir(run_dir).episodes())


def one_task(env_id: str, seeds: int, seed: int, out: Path) -> list[dict]:
    base = [env_id, "-n", str(seeds), "--seed", str(seed), *flags(env_id)]
    first = out / "recorded"
    error = agentloop_run(*base, "--out", str(first))
    rows = []
    for mode, extra in MODES.items():
        again = out / mode
        err = error or agentloop_run(*base, "--planner", f"replay:{first}", *extra, "--out", str(again))
        diffs = [] if err else compare_runs(first, again)
        rows.append({"task": env_id.split("/")[-1], "mode": mode, "episodes": seeds, "error": err,
                     "differences": len(diffs), "first": diffs[0] if diffs else "",
                     "success": f"{successes(first)}/{successes(again)}" if not err else ""})
    return rows


def served(env_id: str, sessions: int, copies: int, seed: int, out: Path) -> dict:
    """`sessions / copies` seeds served one after another, then each `copies` times, all
    `sessions` at once: every rollout served together must equal its seed served alone."""
    sys.path.insert(0, str(REPO))
    from tests.serve.helpers import play, server

    seeds = range(seed, seed + sessions // copies)
    alone, together = out / "served-alone", out / f"served-{sessions}"
    with server(env_id, "--record", str(alone)) as url:
        solved_alone = [play(url, env_id, s) for s in seeds]
    with server(env_id, "--record", str(together), "--max-sessions", str(sessions)) as url, \
            ThreadPoolExecutor(sessions) as pool:
        solved_together = list(pool.map(lambda s: play(url, env_id, s), [s for s in seeds for _ in range(copies)]))
    diffs = compare_runs(alone, together, by_seed=True)
    # What the client was told must be what was recorded: a verdict over the wire is a signal too.
    for name, run, told in (("alone", alone, solved_alone), ("together", together, solved_together)):
        if sum(told) != successes(run):
            diffs.append(f"served {name}: the clients were told {sum(told)} successes, the recording holds {successes(run)}")
    return {"task": env_id.split("/")[-1], "mode": f"{sessions} served", "episodes": sessions, "error": "",
            "differences": len(diffs), "first": diffs[0] if diffs else "",
            "success": f"{sum(solved_alone) * copies}/{sum(solved_together)}"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--families", nargs="*")
    ap.add_argument("--tasks", nargs="*")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=12000, help="first seed (new seeds, not the tests')")
    ap.add_argument("--served", type=int, default=0, help="also serve the tasks to N sessions at once")
    ap.add_argument("--out", type=Path, help="keep the runs and write results.json here")
    ap.add_argument("--copies", type=int, default=1,
                    help="served sessions per seed: N/copies seeds alone, each played `copies` times at once")
    ap.add_argument("--jobs", type=int, default=1, help="tasks measured at once (each its own runs and servers)")
    ap.add_argument("--resume", action="store_true", help="keep the results of tasks already measured in --out")
    a = ap.parse_args()
    out = a.out or Path(tempfile.mkdtemp(prefix="replay-eq-"))
    t0 = time.monotonic()
    ids = tasks(a.families, a.tasks)

    def measure(i: int, env_id: str) -> list[dict]:
        task_dir = out / env_id.split("/")[-1]
        done = task_dir / "rows.json"  # a task's rows, written once all its modes are measured
        if a.resume and done.exists():
            return list(json.loads(done.read_text()))
        shutil.rmtree(task_dir, ignore_errors=True)  # a task cut short is measured again from its start
        task_rows = one_task(env_id, a.seeds, a.seed, task_dir)
        if a.served:
            try:
                task_rows.append(served(env_id, a.served, a.copies, a.seed, task_dir))
            except Exception as e:  # a server that would not start: the task's row says so, the run goes on
                task_rows.append({"task": env_id.split("/")[-1], "mode": f"{a.served} served", "episodes": a.served,
                                  "error": f"{type(e).__name__}: {e}"[:300], "differences": 0, "first": "", "success": ""})
        done.write_text(json.dumps(task_rows, indent=1))
        print(f"[{i + 1}/{len(ids)}] {env_id}: {time.monotonic() - t0:.0f} s", file=sys.stderr)
        return task_rows

    # Tasks are measured side by side (--jobs): each is its own runs and servers, and a task's
    # served sessions "alone" wait on the wire far more than they compute.
    with ThreadPoolExecutor(a.jobs) as pool:
        rows = [r for task_rows in pool.map(measure, range(len(ids)), ids) for r in task_rows]
    (out / "results.json").write_text(json.dumps(rows, indent=1))
    table = Table(title=f"replay equivalence ({out})")
    for col in ("task", "mode", "episodes", "success (recorded/replayed)", "differing fields", "first difference"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["task"], r["mode"], str(r["episodes"]), r["success"] or r["error"], str(r["differences"]),
                      r["first"])
    Console().print(table)
    bad = [r for r in rows if r["error"] or r["differences"] or len(set(r["success"].split("/"))) > 1]
    print(f"{len(rows) - len(bad)}/{len(rows)} task-modes equal", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
