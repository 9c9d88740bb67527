"""Reset to a seed, as a trainer's group members do: how long it takes per family, and whether
the state it gives is identical every time.

Each env is reset to a few seeds in turn, `--repeats` times each, through the session trainers
use (`agentloop.integrations.Session`: env reset, perception, the loop's episode start). A
reset counts as identical when its text view (with a site session's own origin named alike),
scene graph, state key and frame equal the first reset to that seed. The site's tasks are the
mutating ones: before each timed reset, one call changes the page or the database; `--gap`
seconds of a policy's generation time may pass before the reset (the web envs make the next
episode's browser context in the background meanwhile). The call is timed too ("call ms"):
work a reset stops waiting for could have moved into it. Each timed reset follows a reset to
the same seed, as a group's members do; a robot env keeps only the last layout's settled
state, so a reset to another seed than the last rebuilds and settles its world (about 110 ms
here, not part of this measurement). `--baseline-chromium PATH` measures
each web env a second time, in the same run, driving that Chromium instead (e.g. the full
browser, `/usr/bin/chromium`, against the headless shell the web env prefers), with the
`--baseline-env-arg KEY=VALUE` pairs given to the env (e.g. `ahead=2`).

    python benchmarks/resets.py [--families site robot miniwob] [--repeats 5] [--seeds 2] [--gap 0]
                                [--baseline-chromium /usr/bin/chromium] [--baseline-env-arg ahead=2]

Target: a median reset <= 50 ms to an identical state for site.* and robot.* (a WebArena
reset takes minutes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass, field

os.environ.setdefault("MUJOCO_GL", "egl")

import numpy as np
from rich.console import Console
from rich.table import Table

from agentloop import registry
from agentloop.cli.run import env_args
from agentloop.integrations import Session, Turn
from agentloop.plugins import load_object
from agentloop.records import RunConfig
from agentloop.registry import scripted_planner

try:
    from agentloop.envs.web.browser import ENV_VAR as CHROMIUM_VAR
    from agentloop.envs.web.browser import find_chromium
except ImportError:  # installed without the web extra: the web families are not measured anyway
    CHROMIUM_VAR, find_chromium = "AGENTLOOP_CHROMIUM", None

MINIWOB_SAMPLE = ("click-button", "click-checkboxes", "enter-text", "choose-list", "login-user")
TARGET_MS = 50.0


def fingerprint(turn: Turn) -> tuple[str, str, str, bytes]:
    """What must be equal between two starts from one seed."""
    scene = turn.perception.scene_graph
    url = turn.perception.extra.get("url", "")
    origin = "/".join(url.split("/")[:3]) if url.startswith("http://127.0.0.1:") else ""
    alike = (lambda t: t.replace(origin, "http://site")) if origin else (lambda t: t)
    frame = turn.context.frame
    return (alike(turn.context.text), alike(scene.model_dump_json()) if scene else "",
            scene.state_key() if scene else "", np.ascontiguousarray(frame).tobytes() if frame is not None else b"")


def env_ids(families: list[str]) -> list[str]:
    out = []
    for entry in registry.list_envs():
        if entry.family not in families:
            continue
        if entry.family == "miniwob" and entry.id.split(".", 1)[1] not in MINIWOB_SAMPLE:
            continue
        out.append(entry.id)
    return out


def _disturb(session: Session, turn: Turn) -> float:
    """One call of the scripted planner, which the next reset must undo; its seconds."""
    path = scripted_planner(session.env())
    if not path:
        return 0.0
    planner = load_object(path)()
    planner.reset(turn.context)
    action = planner.propose(turn.context).action
    t0 = time.perf_counter()
    session.act(action)
    return time.perf_counter() - t0


@dataclass
class Measured:
    """One env's resets (s), the calls between them (s), and how many resets were identical."""

    resets: list[float] = field(default_factory=list)
    calls: list[float] = field(default_factory=list)
    same: int = 0

    def add(self, other: Measured) -> None:
        self.resets += other.resets
        self.calls += other.calls
        self.same += other.same

    def cells(self) -> list[str]:
        """Median and p90 reset, identical resets, median call (ms)."""
        ms = 1e3
        return [f"{statistics.median(self.resets) * ms:.1f}", f"{float(np.percentile(self.resets, 90)) * ms:.1f}",
                f"{self.same}/{len(self.resets)}", f"{statistics.median(self.calls) * ms:.0f}" if self.calls else ""]


def measure(env_id: str, seeds: int, repeats: int, gap: float,
            env_kwargs: dict[str, object] | None = None) -> Measured:
    """Reset times after a warm-up reset per seed, and how many resets were identical; `gap`
    seconds pass between the last call and the reset, as a policy's generation time. The calls
    are timed too: work a reset no longer waits for may have moved into them."""
    session = Session(RunConfig(env_id=env_id, env_kwargs=dict(env_kwargs or {})))
    out = Measured()
    try:
        first = {s: fingerprint(session.reset(s)) for s in range(seeds)}  # warm-up, and the reference
        for _ in range(repeats):
            for s in range(seeds):
                out.calls.append(_disturb(session, session.reset(s)))
                time.sleep(gap)
                t0 = time.perf_counter()
                turn = session.reset(s)
                out.resets.append(time.perf_counter() - t0)
                out.same += fingerprint(turn) == first[s]
    finally:
        session.close()
    return out


def measure_with(chromium: str | None, env_id: str, seeds: int, repeats: int, gap: float,
                 env_kwargs: dict[str, object]) -> Measured:
    """`measure`, with the web env driving `chromium` (None: the one it finds itself). Each
    measurement's session launches its thread's browser anew, so the variable takes effect."""
    before = os.environ.get(CHROMIUM_VAR)
    if chromium is not None:
        os.environ[CHROMIUM_VAR] = chromium
    try:
        return measure(env_id, seeds, repeats, gap, env_kwargs)
    finally:
        if before is None:
            os.environ.pop(CHROMIUM_VAR, None)
        else:
            os.environ[CHROMIUM_VAR] = before


def _is_web(env_id: str) -> bool:
    return env_id.split("/")[-1].split(".")[0] in ("site", "miniwob")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--families", nargs="+", default=["site", "robot", "miniwob"])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--gap", type=float, default=0.0, help="seconds between the last call and the reset")
    ap.add_argument("--baseline-chromium", metavar="PATH",
                    help="also measure each web env driving this Chromium, in the same run")
    ap.add_argument("--baseline-env-arg", metavar="KEY=VALUE", action="append", default=[],
                    help="passed to the web env in the baseline measurement (e.g. ahead=2)")
    args = ap.parse_args()
    browser = find_chromium() if find_chromium is not None else None
    baseline_kwargs = env_args(args.baseline_env_arg)
    against = (f"; baseline: {args.baseline_chromium} {' '.join(args.baseline_env_arg)}".rstrip()
               if args.baseline_chromium else "")
    table = Table(title=f"reset to a seed, {args.gap:g} s after the last call "
                        f"(load average before: {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores; "
                        f"web envs drive {browser or 'the Chromium Playwright downloaded'}{against})")
    cols = ["env", "median ms", "p90 ms", "identical", "call ms", f"<= {TARGET_MS:.0f} ms"]
    if args.baseline_chromium:
        cols += ["baseline median ms", "baseline p90 ms", "baseline identical", "baseline call ms"]
    for col in cols:
        table.add_column(col, justify="left" if col == "env" else "right")
    # per family, for this run and the baseline: each env's median, and every reset and call pooled
    medians: dict[str, tuple[list[float], list[float]]] = {}
    pooled: dict[str, tuple[Measured, Measured]] = {}
    for env_id in env_ids(args.families):
        name = env_id.split("/")[-1].split(".")[0]
        now = measure(env_id, args.seeds, args.repeats, args.gap)
        med = statistics.median(now.resets) * 1e3
        row = [env_id, *now.cells(), "yes" if med <= TARGET_MS else "no"]
        family, pool = medians.setdefault(name, ([], [])), pooled.setdefault(name, (Measured(), Measured()))
        family[0].append(med)
        pool[0].add(now)
        if args.baseline_chromium and _is_web(env_id):
            base = measure_with(args.baseline_chromium, env_id, args.seeds, args.repeats, args.gap, baseline_kwargs)
            family[1].append(statistics.median(base.resets) * 1e3)
            pool[1].add(base)
            row += base.cells()
        elif args.baseline_chromium:
            row += ["", "", "", ""]
        table.add_row(*row)
    for name, (values, baseline) in medians.items():
        now, base = pooled[name]
        row = [f"[bold]{name}.* (median of medians)", f"{statistics.median(values):.1f}", "", "", "", ""]
        every = [f"[bold]{name}.* (all {len(now.resets)} resets)", *now.cells(), ""]
        if args.baseline_chromium:
            row += [f"{statistics.median(baseline):.1f}" if baseline else "", "", "", ""]
            every += base.cells() if base.resets else ["", "", "", ""]
        table.add_row(*row)
        table.add_row(*every)
    Console(width=200).print(table)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
