"""Verdicts against what happened: the scripted planner in the closed loop, as `agentloop run`
runs it (rule critic, rule validator, the runner's own code), over every task of every family,
each step's verdicts set against the env's own account of the step.

    python benchmarks/verdicts.py [--seeds 2] [--seed 9400] [--disturb 0.2]
        [--families toy,robot,miniwob,site,android] [--tasks 'miniwob.click-*,robot.stack']
        [--env-arg arm=none] [--out verdicts.json]

The env's account of a step: it ended the episode in success; a failure was injected into it
(`--disturb P`: the robot's disturbances, the toy's slipping switch; MiniWoB, the site and
Android inject none); the action failed (an action error); progress fell. A step with none of
these, taken by the scripted planner, did what it was meant to. (The robot also says when a pick
ended with nothing in the fingers: that counts as a failure the env reported.)

- Validator: agreement with that account over the steps it judged; false failures (failed, where
  the account has no failure), also counted on the steps that ended an episode in success;
  false passes (passed, where a failure was injected) over the steps with an injected failure.
- Critic: a refusal is false where the refused action, run, would have done what the planner
  meant. Measured against the open loop (no critic, no validator) on the same seed: where the
  closed loop took the same actions up to the refused one, the open loop runs that very action
  at that very state; the refusal was false if it ran without an action error and the step
  raised progress or the open-loop episode succeeded. A refusal after the two loops parted is
  replayed instead (`Replayer`: the closed loop's actions on a fresh env, then the refused one):
  false if it ran without an action error and did not end the episode in failure. Refusals past
  `--replays` per task stay unmeasured.

Targets: validator false failures <= 1 % of judged steps and 0 on steps that end an episode in
success; false passes <= 1 % of steps with an injected failure; critic false refusals <= 1 %
of measured refusals.

The robot and toy envs name the failures injected into a step in its env_info (key `injected`,
`agentloop.perception.INJECTED`). Where they do not (versions before they did),
`note_injections` adds it, in this process (so runs here go through the in-process runner: one
worker, one thread).
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("MUJOCO_GL", "egl")

from pydantic import BaseModel, Field

from agentloop.recording.episode import read_steps
from agentloop.records import EpisodeRecord, Outcome, RunConfig, StepRecord
from agentloop.registry import load_plugins
from agentloop.runner import execute, prepare

FAMILIES = ("toy", "robot", "miniwob", "site", "android")
INJECTED = "injected"  # env_info key: the failures injected into the step
Episode = tuple[EpisodeRecord, list[StepRecord]]


class Tally(BaseModel):
    """One family's (or task's) counts; rates are derived from them."""

    episodes: int = 0
    successes: int = 0
    errors: int = 0
    judged: int = Field(default=0, description="executed steps the validator judged")
    agree: int = 0
    false_failures: int = 0
    false_failures_on_success: int = Field(default=0, description="on steps that ended the episode in success")
    overruled: int = Field(default=0, description="failed by the validator's own rules, passed because the env "
                           "reported success or more progress (counted as passed above)")
    injected: int = Field(default=0, description="judged steps with an injected failure")
    false_passes: int = 0
    missed_env_failures: int = Field(default=0, description="passed, where the action failed or progress fell")
    reviews: int = Field(default=0, description="candidates the critic judged")
    refusals: int = 0
    refusals_measured: int = 0
    refusals_replayed: int = Field(default=0, description="measured by replay, not on the open loop's path")
    false_refusals: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(**{k: getattr(self, k) + getattr(other, k) for k in Tally.model_fields})

    def rates(self) -> dict[str, float | None]:
        def r(a: int, b: int) -> float | None:
            return a / b if b else None
        return {"success": r(self.successes, self.episodes), "agreement": r(self.agree, self.judged),
                "false_failure_rate": r(self.false_failures, self.judged),
                "false_pass_rate": r(self.false_passes, self.injected),
                "false_refusal_rate": r(self.false_refusals, self.refusals_measured),
                "critic_precision": r(self.refusals_measured - self.false_refusals, self.refusals_measured)}

    def meets_targets(self) -> bool:
        rates = self.rates()
        return ((rates["false_failure_rate"] or 0.0) <= 0.01 and self.false_failures_on_success == 0
                and (rates["false_pass_rate"] or 0.0) <= 0.01 and (rates["false_refusal_rate"] or 0.0) <= 0.01)


# ---- the env's account of injected failures ---------------------------------------------------
def note_injections() -> None:
    """Make the robot and toy envs name the failures they inject into each step in env_info,
    where they do not themselves."""
    try:
        from agentloop.perception import INJECTED as _  # noqa: F401  (the envs record it)
        return
    except ImportError:
        pass
    with contextlib.suppress(ImportError):
        from agentloop.envs.robot.env import RobotEnv

        robot_report = RobotEnv._report

        def report_robot(self: Any) -> dict[str, Any]:
            facts = robot_report(self)
            d = self.disturber
            if INJECTED not in facts and d is not None:
                seen = d.__dict__.get("_reported", 0)
                facts[INJECTED] = [kind.value for _, kind in d.log[seen:]]
                d._reported = len(d.log)
            return facts
        RobotEnv._report = report_robot  # type: ignore[method-assign]

    from agentloop.testing.switches import SwitchesEnv

    switch, toy_report = SwitchesEnv._switch, SwitchesEnv._report

    def switch_noting_slips(self: Any, lamp: str, on: bool) -> None:
        switch(self, lamp, on)
        if bool(self.on[self._lamp(lamp)]) != on:  # ran, and the lamp did not follow: it slipped
            self.__dict__.setdefault("_slips", []).append("slip")

    def report_toy(self: Any) -> dict[str, Any]:
        facts = toy_report(self)
        facts.setdefault(INJECTED, self.__dict__.pop("_slips", []))
        return facts
    SwitchesEnv._switch = switch_noting_slips  # type: ignore[method-assign]
    SwitchesEnv._report = report_toy  # type: ignore[method-assign]


# ---- tasks and runs ---------------------------------------------------------------------------
def family_tasks(family: str) -> list[str]:
    """Every task of the family the scripted planner is meant to solve, as env ids."""
    import gymnasium as gym

    if family in ("miniwob", "site"):
        sys.path.insert(0, str(Path(__file__).parent))
        from web_tasks import claimed_tasks

        return [f"agentloop/{t}" for t in claimed_tasks() if t.startswith(f"{family}.")]
    if family == "android":
        from agentloop.envs.android.tasks import TASKS

        return [f"agentloop/android.{t}" for t, task in TASKS.items() if task.on_double]
    return sorted(i for i in gym.registry if i.startswith(f"agentloop/{family}."))


def family_kwargs(family: str, disturb: float, adb_port: int | None, extra: dict[str, Any]) -> dict[str, Any]:
    """What `--env-arg` / `--disturb` would pass the family's env."""
    kwargs: dict[str, Any] = {"toy": {"slip": disturb}, "robot": {"disturb": disturb},
                              "android": {"adb_port": adb_port, "settle_s": 0.0}}.get(family, {})
    return {**kwargs, **(extra if family == "robot" else {})}


def run_loop(env_id: str, seeds: int, seed: int, kwargs: dict[str, Any], closed: bool, root: Path) -> list[Episode]:
    """A run as `agentloop run` makes it (closed: default critic and validator; open: none)."""
    roles = {} if closed else {"critic": "none", "validator": "none"}
    out = root / f"{env_id.split('/')[-1]}-{'closed' if closed else 'open'}"
    config = RunConfig(env_id=env_id, episodes=seeds, seed=seed, record_frames=False, out=str(out),
                       env_kwargs=kwargs, **roles)
    rd, todo, _ = prepare(config, out, False)
    execute(todo, config, rd.path, lambda rec: None)
    found = [(rec, read_steps(d)) for d, rec in rd.episodes()]
    return sorted(found, key=lambda e: e[0].seed)


# ---- judging the verdicts ---------------------------------------------------------------------
def executed_text(rec: StepRecord) -> str | None:
    chosen = [c for c in rec.candidates if c.executed]
    return chosen[0].text if chosen else None


def refused(rec: StepRecord) -> list[int]:
    """Indices of the step's candidates the critic refused."""
    return [i for i, c in enumerate(rec.candidates)
            if c.verdict is not None and c.verdict.judged and not c.verdict.ok]


def judge_validator(steps: list[StepRecord], t: Tally) -> None:
    progress = 0.0
    for rec in steps:
        before, progress = progress, rec.progress if rec.progress is not None else progress
        t.reviews += sum(c.verdict is not None and c.verdict.judged for c in rec.candidates)
        v = rec.validator
        if rec.action is None or v is None or not v.judged:
            continue
        t.judged += 1
        injected = bool(rec.env_info.get(INJECTED)) and not rec.success
        env_failed = rec.action_error is not None or progress < before - 1e-9 or not_held(rec)
        failed = injected or (env_failed and not rec.success)
        t.agree += v.ok != failed
        t.overruled += getattr(v, "overruled", None) is not None  # older records lack the field
        t.false_failures += not v.ok and not failed
        t.false_failures_on_success += not v.ok and rec.success
        t.injected += injected
        t.false_passes += v.ok and injected
        t.missed_env_failures += v.ok and env_failed and not injected and not rec.success


def not_held(rec: StepRecord) -> bool:
    """The robot's own account of a pick that ended with the object not in the fingers (a
    grasp can fail without an injected failure, and a pick changes no goal predicate)."""
    facts = rec.env_info.get("observed_facts") or {}
    return facts.get("skill") == "pick" and facts.get("held") is False


def judge_critic(closed: list[StepRecord], open_: Episode | None, seed: int, replay: Replayer, t: Tally) -> None:
    for idx, rec in enumerate(closed):
        for i in refused(rec):
            t.refusals += 1
            verdict = on_open_path(closed, idx, i, open_)
            if verdict is None:
                prefix = tuple(x for x in map(executed_text, closed[:idx]) if x is not None)
                verdict = replay(seed, prefix, rec.candidates[i].text)
                t.refusals_replayed += verdict is not None
            if verdict is not None:
                t.refusals_measured += 1
                t.false_refusals += verdict


def on_open_path(closed: list[StepRecord], idx: int, i: int, open_: Episode | None) -> bool | None:
    """Whether the refusal was false, where the open loop ran that very action at that very
    state (None where it did not: the loops had parted)."""
    if open_ is None or i != 0 or not same_path(closed[:idx], open_[1][:idx + 1]):
        return None
    there = open_[1][idx]
    if executed_text(there) != closed[idx].candidates[0].text:
        return None
    before = open_[1][idx - 1].progress if idx else 0.0
    rose = (there.progress or 0.0) > (before or 0.0) + 1e-9
    return there.action_error is None and (rose or there.success or open_[0].success)


class Replayer:
    """A refused action run where the closed loop refused it: a fresh env reset to the
    episode's seed, the closed loop's executed actions, then the refused one. The refusal was
    false if the action ran without an action error and did not end the episode in failure
    (a weaker test than the open loop's, so it is counted apart). At most `budget` replays a
    task (each replays the episode so far); the rest stay unmeasured."""

    def __init__(self, env_id: str, kwargs: dict[str, Any], budget: int):
        self.env_id, self.kwargs, self.budget = env_id, kwargs, budget
        self.env: Any = None
        self.seen: dict[tuple[int, tuple[str, ...], str], bool | None] = {}

    def __call__(self, seed: int, prefix: tuple[str, ...], action: str) -> bool | None:
        key = (seed, prefix, action)
        if key not in self.seen:
            if self.budget <= 0:
                return None
            self.budget -= 1
            self.seen[key] = self._run(seed, prefix, action)
        return self.seen[key]

    def _run(self, seed: int, prefix: tuple[str, ...], action: str) -> bool | None:
        from agentloop import registry
        from agentloop.perception import perception_of

        if self.env is None:
            self.env = registry.make(self.env_id, **self.kwargs)
        self.env.reset(seed=seed)
        for text in prefix:
            _, _, term, trunc, _ = self.env.step(text)
            if term or trunc:
                return None
        _, _, term, _, info = self.env.step(action)
        seen = perception_of(info)
        return seen.action_error is None and not (term and not seen.success)

    def close(self) -> None:
        if self.env is not None:
            self.env.close()


def same_path(closed: list[StepRecord], open_: list[StepRecord]) -> bool:
    """Whether the closed loop reached this step as the open loop did: the same actions, with
    no critic or validator feedback between (which the planner would have heard)."""
    if len(open_) <= len(closed):
        return False
    return all(not refused(c) and not c.replanned and executed_text(c) == executed_text(o)
               for c, o in zip(closed, open_))


def judge_task(closed: list[Episode], open_: list[Episode], replay: Replayer) -> Tally:
    t = Tally()
    by_seed = {rec.seed: (rec, steps) for rec, steps in open_}
    for rec, steps in closed:
        t.episodes += 1
        t.successes += rec.success
        t.errors += rec.outcome is Outcome.ERROR
        judge_validator(steps, t)
        judge_critic(steps, by_seed.get(rec.seed), rec.seed, replay, t)
    return t


# ---- the run ----------------------------------------------------------------------------------
@contextlib.contextmanager
def adb_double(needed: bool) -> Iterator[int | None]:
    """The ADB server double the Android tasks run against (see benchmarks/android_double.py)."""
    if not needed:
        yield None
        return
    from agentloop.envs.android.double import AdbServerDouble

    with AdbServerDouble(0) as srv:
        yield srv.port


def run_task(env_id: str, a: argparse.Namespace, kwargs: dict[str, Any], root: Path) -> Tally:
    closed = run_loop(env_id, a.seeds, a.seed, kwargs, True, root)
    refusing = any(refused(s) for _, steps in closed for s in steps)
    open_ = run_loop(env_id, a.seeds, a.seed, kwargs, False, root) if refusing else []
    replay = Replayer(env_id, kwargs, a.replays)
    try:
        return judge_task(closed, open_, replay)
    finally:
        replay.close()


def run_family(family: str, a: argparse.Namespace, root: Path, rows: dict[str, dict[str, Any]]) -> Tally:
    tasks = [t for t in family_tasks(family)
             if not a.tasks or any(fnmatch.fnmatchcase(t.split("/")[-1], p) for p in a.tasks.split(","))]
    total = Tally()
    with adb_double(family == "android" and bool(tasks)) as port:
        kwargs = family_kwargs(family, a.disturb, port, a.env_arg)
        for env_id in tasks:
            t0 = time.perf_counter()
            try:
                t = run_task(env_id, a, kwargs, root)
            except Exception as e:  # a task that cannot run is a row of its own, not the end
                print(f"  {env_id}: ERROR {type(e).__name__}: {str(e).splitlines()[0][:100]}", flush=True)
                rows[env_id] = {"family": family, "error": f"{type(e).__name__}: {e}"}
                continue
            total = total + t
            rows[env_id] = {"family": family, **t.model_dump(), **t.rates()}
            flag = "" if t.meets_targets() else "  <- misses a target"
            print(f"  {env_id:42s} {t.successes}/{t.episodes} ok  judged {t.judged:3d}  false fail "
                  f"{t.false_failures:3d}  injected {t.injected:2d} false pass {t.false_passes:2d}  refusals "
                  f"{t.refusals:3d} (measured {t.refusals_measured}, {t.refusals_replayed} by replay; false {t.false_refusals})  "
                  f"{time.perf_counter() - t0:5.1f}s{flag}", flush=True)
    return total


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def table(tallies: dict[str, Tally]) -> str:
    head = (f"{'family':9s} {'episodes':>8s} {'success':>8s} {'judged':>7s} {'agree':>7s} {'false fail':>11s} "
            f"{'on success':>10s} {'overruled':>9s} {'injected':>8s} {'false pass':>11s} {'refusals':>8s} {'measured':>8s} "
            f"{'false refusal':>13s} {'targets':>7s}")
    lines = [head, "-" * len(head)]
    for name, t in tallies.items():
        r = t.rates()
        lines.append(
            f"{name:9s} {t.episodes:8d} {pct(r['success']):>8s} {t.judged:7d} {pct(r['agreement']):>7s} "
            f"{t.false_failures:4d} {pct(r['false_failure_rate']):>6s} {t.false_failures_on_success:10d} "
            f"{t.overruled:9d} {t.injected:8d} {t.false_passes:4d} {pct(r['false_pass_rate']):>6s} {t.refusals:8d} "
            f"{t.refusals_measured:8d} {t.false_refusals:5d} {pct(r['false_refusal_rate']):>7s} "
            f"{'met' if t.meets_targets() else 'MISSED':>7s}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--seeds", type=int, default=2, help="episodes per task (seeds SEED..SEED+N-1)")
    ap.add_argument("--seed", type=int, default=9400)
    ap.add_argument("--disturb", type=float, default=0.2, help="failure probability per skill (robot, toy)")
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--tasks", default="", help="comma-separated globs over task names, e.g. 'miniwob.click-*'")
    ap.add_argument("--env-arg", action="append", default=[], metavar="KEY=VALUE", help="robot env arguments")
    ap.add_argument("--replays", type=int, default=20, help="refusals replayed per task, at most")
    ap.add_argument("--out", type=Path, help="write the tallies (per family and per task) as JSON")
    ap.add_argument("--runs", type=Path, help="keep the recorded runs here (default: a temporary folder)")
    a = ap.parse_args(argv)
    a.env_arg = dict(kv.split("=", 1) for kv in a.env_arg)
    return a


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    load_plugins()
    note_injections()
    tallies: dict[str, Tally] = {}
    rows: dict[str, dict[str, Any]] = {}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        root = a.runs or Path(tmp)
        for family in a.families.split(","):
            print(f"{family}:", flush=True)
            tallies[family] = run_family(family, a, root, rows)
    tallies["overall"] = sum(tallies.values(), Tally())
    print(f"\nscripted planner, closed loop (rule critic, rule validator), {a.seeds} seeds from {a.seed}, "
          f"--disturb {a.disturb} (robot, toy); {time.perf_counter() - t0:.0f} s")
    print(table(tallies))
    if a.out:
        a.out.write_text(json.dumps({
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(a).items()},
            "families": {k: {**t.model_dump(), **t.rates(), "targets_met": t.meets_targets()} for k, t in tallies.items()},
            "tasks": rows}, indent=1))
    return 0 if tallies["overall"].meets_targets() else 1


if __name__ == "__main__":
    sys.exit(main())
