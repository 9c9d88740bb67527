"""What the settle after a web action costs: the settle as it is against the one before it waited
for an animation frame and for pictures CSS draws (`git show bfd9b44^:envs/web/js/settle.js`), in
the same run.

Since then a page is quiet only once a frame has passed since it last changed (a control redrawn
under the resting pointer takes its hover at a frame's start), and once the pictures CSS draws on
the elements in view have come (an icon drawn by `content: url()` has no size before). The frame
is requested with each change and waited for only if the 30 ms quiet timer ends first; the CSS
rules that draw pictures are found once per document and each picture loaded once. Each round
plays the scripted planner's episodes of every task through `agentloop.integrations.Session`
(the env, its settle, perception and the rule critic and validator, as a trainer's session runs
them) with one settle and then the other, in A-B-B-A order (B-A-A-B in every other round); each
step's `env.settle` time and its whole call are kept, and the medians per task are reported with
the after/before ratio of the medians.

    python benchmarks/web_settle.py [--rounds 4] [--episodes 2]

Target: the settle's median within 10 % (or 2 ms) of the previous one on every task.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from collections import defaultdict

from improve import ROOT, console
from rich.table import Table

from agentloop.envs.web import js
from agentloop.integrations import Session
from agentloop.plugins import load_object
from agentloop.records import RunConfig
from agentloop.registry import scripted_planner

TASKS = ("miniwob.click-button", "miniwob.enter-text", "miniwob.choose-date", "miniwob.social-media",
         "miniwob.email-inbox-forward-nl", "site.checkout")
BEFORE = "bfd9b44^"  # the commit before the frame wait


def previous_settle() -> str:
    return subprocess.run(["git", "show", f"{BEFORE}:envs/web/js/settle.js"], capture_output=True, text=True,
                          check=True, cwd=ROOT).stdout


def play(session: Session, seed: int) -> list[tuple[float, float]]:
    """One scripted episode; each call's (settle s, call s)."""
    turn = session.reset(seed)
    planner = load_object(scripted_planner(session.env()))()
    planner.reset(turn.context)
    out = []
    while not turn.done and len(out) < 30:
        action = planner.propose(turn.context).action
        t0 = time.perf_counter()
        turn = session.act(action)
        took = time.perf_counter() - t0
        if turn.step is not None and "env.settle" in turn.step.timings:
            out.append((turn.step.timings["env.settle"], took))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--episodes", type=int, default=2, help="per task, variant and round")
    a = ap.parse_args()
    variants = {"before": previous_settle(), "now": js.SETTLE}
    kept: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for task in TASKS:
        session = Session(RunConfig(env_id=f"agentloop/{task}"))
        try:
            play(session, 0)  # the browser and the page warm up
            for r in range(a.rounds):
                order = ["before", "now", "now", "before"] if r % 2 == 0 else ["now", "before", "before", "now"]
                for name in order:
                    js.SETTLE = variants[name]  # the env reads it at each settle
                    for e in range(a.episodes):
                        kept[task, name] += play(session, 100 + e)
        finally:
            js.SETTLE = variants["now"]
            session.close()
        console.print(f"{task}: {len(kept[task, 'now'])} steps each")
    table = Table(title=f"The web step's settle, before and after the frame wait ({a.rounds} rounds, ms, medians)")
    for col in ("task", "steps", "settle before", "settle now", "ratio", "call before", "call now"):
        table.add_column(col, justify="left" if col == "task" else "right")
    for task in TASKS:
        b, n = kept[task, "before"], kept[task, "now"]
        med = lambda xs, i: statistics.median(x[i] for x in xs) * 1000  # noqa: E731
        table.add_row(task, str(len(n)), f"{med(b, 0):.1f}", f"{med(n, 0):.1f}", f"{med(n, 0) / med(b, 0):.2f}",
                      f"{med(b, 1):.1f}", f"{med(n, 1):.1f}")
    console.print(table)


if __name__ == "__main__":
    main()
