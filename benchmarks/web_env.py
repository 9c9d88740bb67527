"""agentloop's web env beside BrowserGym on the same MiniWoB++ tasks, Chromium and HTML.

    python benchmarks/web_env.py [--reps 5] [--steps 3] [--tuned] [--page-budget 30] [--no-pages]

Creates /tmp/bench-browsergym (a venv with `browsergym-miniwob`) on first use and runs
BrowserGym there in a subprocess, pointed at /usr/bin/chromium and at the installed `miniwob`
package's HTML folder (`MINIWOB_URL`, file://); agentloop runs here, serving the same files,
driving the same Chromium (`$AGENTLOOP_CHROMIUM`; by itself it would take the headless shell).

BrowserGym runs with its defaults, as its users get them:
- `BrowserEnv`: a new Chromium per `reset()` for the task, plus a second Chromium for its chat
  window; `pre_observation_delay=0.5` s before every observation; `tags_to_mark="standard_html"`;
  headless.
- MiniWoB tasks (`AbstractMiniwobTask`): viewport 332x214, `slow_mo=100` ms on every
  Playwright action, timeout 5 s, `episode_max_time=1e6` ms, human display removed.
- `OpenEndedTask` (the synthetic pages): viewport 1280x720, `slow_mo=1000` ms, timeout 5 s.
With `--tuned`, a second BrowserGym run sets `slow_mo=0` and `pre_observation_delay=0`, to show
how much of the difference those two settings explain.

agentloop runs each task as `agentloop run` makes it (`agentloop/miniwob.<task>`: viewport
400x420, a larger screenshot than BrowserGym's MiniWoB one). A step on either side is "do
nothing": `wait(ms=0)` here (no time of its own, then the settle every action gets: the DOM
quiet for 30 ms, no short timer pending, at most 1 s), `noop(0)` there (its `noop()` would wait
1 s by default); a step's time includes the observation after it. Each
episode is a reset and `--steps` steps; the first step after a reset is reported apart from the
later ones, because agentloop makes the next episode's context in the background and sync
Playwright advances that work only while the env is talking to the browser, i.e. mostly during
the first step.

The synthetic pages (rows of text, a link, an input, a button and a labelled checkbox; ~5k and
~25k elements requested, 7 per row) compare one observation: agentloop's `_observe()` (DOM
snapshot, element graph, screenshot, text view) against BrowserGym's `_get_obs()` (DOM
snapshot, merged AXTree, screenshot, element properties), and agentloop's text view against
BrowserGym's flattened AXTree text, checking that the text view lists every interactive
element inside the viewport. BrowserGym's `_get_obs()` takes minutes on the larger page, so it
is repeated only while one call stays under `--page-budget` seconds (the one inside `reset()`
counts as the first sample).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

VENV = Path("/tmp/bench-browsergym")
CHROMIUM = "/usr/bin/chromium"
# The same Chromium on both sides: agentloop would drive the headless shell where it is
# installed, so it is pinned to BrowserGym's browser here (before any env is made).
os.environ["AGENTLOOP_CHROMIUM"] = CHROMIUM
# "Do nothing, let the page settle, observe": here the page must be quiet for 30 ms (at most 1 s);
# BrowserGym's noop(0) waits nothing itself, then its pre-observation delay. (`wait(ms)` lets `ms`
# of page time pass before that settle.)
STEP = "wait(ms=0)"
TASKS = ["click-button", "enter-text", "click-checkboxes", "login-user", "choose-list"]
SIZES = [5000, 25000]

BG_SCRIPT = r'''
import json, os, sys, time, statistics
import gymnasium as gym
import browsergym.miniwob  # registers browsergym/miniwob.*
from browsergym.utils.obs import flatten_axtree_to_str
reps, tasks, pages, chromium, tuned, budget, nsteps = (int(sys.argv[1]), json.loads(sys.argv[2]),
    json.loads(sys.argv[3]), sys.argv[4], sys.argv[5] == "1", float(sys.argv[6]), int(sys.argv[7]))
kw = dict(pw_chromium_kwargs={"executable_path": chromium})
if tuned:
    kw.update(slow_mo=0, pre_observation_delay=0.0)
# BrowserGym's chat window launches its own browser without pw_chromium_kwargs, at Playwright's
# expected path for its bundled Chromium: link that path (inside this venv's
# PLAYWRIGHT_BROWSERS_PATH) to the same Chromium.
from browsergym.core import _get_global_playwright
exe = _get_global_playwright().chromium.executable_path
if not os.path.exists(exe):
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    os.symlink(chromium, exe)
out = {"tasks": {}, "pages": {}}
for t in tasks:
    env = gym.make(f"browsergym/miniwob.{t}", **kw)
    env.reset(seed=0)
    resets, first, later = [], [], []
    for i in range(reps):
        t0 = time.perf_counter(); env.reset(seed=i + 1); resets.append(time.perf_counter() - t0)
        for k in range(nsteps):
            t0 = time.perf_counter(); env.step("noop(0)"); (later if k else first).append(time.perf_counter() - t0)
    env.close()
    out["tasks"][t] = {"reset": statistics.median(resets), "first": statistics.median(first),
                       "later": statistics.median(later) if later else None, "step": statistics.median(first + later)}
from browsergym.core.env import BrowserEnv
from browsergym.core.task import OpenEndedTask
for n, url in pages.items():
    env = BrowserEnv(task_entrypoint=OpenEndedTask, task_kwargs={"start_url": url}, **kw)
    ts, last = [], {}
    get_obs = env._get_obs
    def timed():
        t0 = time.perf_counter(); obs = get_obs(); ts.append(time.perf_counter() - t0)
        last["obs"] = obs
        return obs
    env._get_obs = timed
    env.reset(seed=0)
    while len(ts) < reps and ts[-1] < budget:
        env._get_obs()
    size = len(flatten_axtree_to_str(last["obs"]["axtree_object"]))
    env.close()
    out["pages"][n] = {"observe": statistics.median(ts), "samples": len(ts), "text": size}
print("RESULT " + json.dumps(out))
'''


def ensure_venv() -> Path:
    py = VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if subprocess.run([str(py), "-c", "import browsergym.miniwob"], capture_output=True).returncode:
        subprocess.run([str(py), "-m", "pip", "install", "-q", "browsergym-miniwob"], check=True)
    return py


def synthetic_page(n: int) -> str:
    # Rows of mixed content: text, a link, an input, a button, a labelled checkbox.
    rows = []
    for i in range(n // 5):
        rows.append(f'<div class="row"><span>item {i} description</span> <a href="#i{i}">link {i}</a> '
                    f'<input placeholder="field {i}"> <button>act {i}</button> '
                    f'<label><input type="checkbox"> opt {i}</label></div>')
    return "<!doctype html><html><body><h1>Synthetic</h1>" + "".join(rows) + "</body></html>"


class SyntheticTask:
    """A WebTask serving one synthetic page (for the observation benchmark)."""

    origin = "http://synthetic.local"

    def __init__(self, n: int):
        self.n, self.name = n, f"bench.synthetic-{n}"
        self.html = synthetic_page(n)

    def origins(self) -> list[str]:
        return [self.origin]

    def irreversible_selectors(self) -> list[str]:
        return []

    def setup(self, page: Any, seed: int | None) -> str:
        page.context.route(f"{self.origin}/**", lambda r: r.fulfill(body=self.html, content_type="text/html"))
        page.goto(f"{self.origin}/", wait_until="load", timeout=120_000)  # a large page, a busy machine
        return "observe"

    def evaluate(self, page: Any):
        from agentloop.envs.web.task import TaskResult

        return TaskResult()

    def close(self) -> None:
        pass


# Interactive elements whose centre lies inside the viewport, as the page itself counts them.
VISIBLE_INTERACTIVE_JS = """() => Array.from(document.querySelectorAll('a,button,input,select,textarea'))
  .filter(e => { const r = e.getBoundingClientRect(); const x = r.left + r.width / 2, y = r.top + r.height / 2;
                 return r.width > 0 && r.height > 0 && x >= 0 && y >= 0 && x < innerWidth && y < innerHeight; })
  .map(e => e.getAttribute('data-al-id'))"""


def agentloop_task(t: str, reps: int, nsteps: int = 3) -> dict[str, Any]:
    from agentloop import registry
    from agentloop.perception import perception_of

    env = registry.make(f"agentloop/miniwob.{t}").unwrapped  # as `agentloop run` makes it
    env.reset(seed=0)
    resets, first, later, phases = [], [], [], []
    for i in range(reps):
        t0 = time.perf_counter()
        _, info = env.reset(seed=i + 1)
        resets.append(time.perf_counter() - t0)
        phases.append(dict(perception_of(info).timings))
        for k in range(nsteps):
            t0 = time.perf_counter()
            env.step(STEP)
            (later if k else first).append(time.perf_counter() - t0)
    env.close()
    return {"reset": statistics.median(resets), "first": statistics.median(first),
            "later": statistics.median(later) if later else None, "step": statistics.median(first + later),
            "phases": {k: statistics.median(p[k] for p in phases) for k in phases[0]}}


def agentloop_pages(reps: int, sizes: list[int]) -> dict[str, Any]:
    from agentloop.envs.web.env import WebEnv

    out: dict[str, Any] = {}
    for n in sizes:
        env = WebEnv(task=f"{__name__}:SyntheticTask", task_kwargs={"n": n}, action_timeout_ms=120_000)
        env.reset(seed=0)
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            obs, _ = env._observe()
            ts.append(time.perf_counter() - t0)
        want = set(env.page.evaluate(VISIBLE_INTERACTIVE_JS))
        listed = {i for i in want if i and f"[{i}] " in obs["text"]}
        elements = env.page.evaluate("() => document.getElementsByTagName('*').length")
        env.close()
        out[str(n)] = {"observe": statistics.median(ts), "text": len(obs["text"]),
                       "interactive_visible": len(want), "listed": len(listed), "elements": elements}
    return out


def browsergym_side(py: Path, tasks: list[str], reps: int, pages: dict[str, str], tuned: bool,
                    budget: float, steps: int = 3) -> dict[str, Any]:
    from agentloop.envs.web.miniwob.tasks import html_root

    env = {"MINIWOB_URL": (html_root() / "miniwob").as_uri() + "/", "PATH": "/usr/bin:/bin",
           "PLAYWRIGHT_BROWSERS_PATH": str(VENV / "browsers"), "HOME": os.environ.get("HOME", "/tmp")}
    args = [str(reps), json.dumps(tasks), json.dumps(pages), CHROMIUM, "1" if tuned else "0", str(budget), str(steps)]
    proc = subprocess.run([str(py), "-c", BG_SCRIPT, *args], capture_output=True, text=True, env=env)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError("BrowserGym run failed:\n" + proc.stderr[-3000:])
    return json.loads(line[7:])


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--tuned", action="store_true", help="also run BrowserGym with slow_mo=0, pre_observation_delay=0")
    ap.add_argument("--page-budget", type=float, default=30.0,
                    help="repeat BrowserGym's get_obs on a synthetic page only while one call takes less (s)")
    ap.add_argument("--steps", type=int, default=3, help="steps per episode (the first is reported apart: "
                    "agentloop's next-episode context is still being made in the background then)")
    ap.add_argument("--no-pages", action="store_true", help="skip the synthetic pages (BrowserGym needs minutes there)")
    a = ap.parse_args()
    sizes = [] if a.no_pages else SIZES
    py = ensure_venv()
    pages = {}
    for n in sizes:
        p = Path(f"/tmp/bench-synthetic-{n}.html")
        p.write_text(synthetic_page(n))
        pages[str(n)] = p.as_uri()

    # Task by task, agentloop then BrowserGym, so both sides see about the same machine load.
    load_before = load()
    t0 = time.perf_counter()
    al: dict[str, Any] = {"tasks": {}, "phases": {}}
    bg: dict[str, Any] = {"tasks": {}}
    bgt: dict[str, Any] | None = {"tasks": {}} if a.tuned else None
    for t in TASKS:
        r = agentloop_task(t, a.reps, a.steps)
        al["phases"][t] = r.pop("phases")
        al["tasks"][t] = r
        bg["tasks"][t] = browsergym_side(py, [t], a.reps, {}, False, a.page_budget, a.steps)["tasks"][t]
        if bgt is not None:
            bgt["tasks"][t] = browsergym_side(py, [t], a.reps, {}, True, a.page_budget, a.steps)["tasks"][t]
    if sizes:
        al["pages"] = agentloop_pages(a.reps, sizes)
        bg["pages"] = browsergym_side(py, [], a.reps, pages, False, a.page_budget)["pages"]
    t_all = time.perf_counter() - t0

    print(f"MiniWoB++: medians over {a.reps} episodes; same Chromium ({CHROMIUM}), same HTML")
    print(f"load average before: {load_before}; after: {load()}; whole run {t_all:.0f} s")
    print(f"{a.steps} steps per episode; 'first' is the step right after reset, 'all' every step's")
    cols = [("reset", "reset"), ("first", "1st step"), ("later", "later steps"), ("step", "all steps")]
    if a.steps < 2:
        cols = [c for c in cols if c[0] != "later"]
    print(f"{'task':18s} " + " ".join(f"{n + ' AL/BG':>22s} {'x':>5s}" for _, n in cols))
    ratios: dict[str, list[float]] = {k: [] for k, _ in cols}
    for t in TASKS:
        x, y = al["tasks"][t], bg["tasks"][t]
        row = f"{t:18s} "
        for k, _ in cols:
            ratios[k].append(y[k] / x[k])
            row += f"{x[k]*1e3:9.0f} / {y[k]*1e3:6.0f} ms {ratios[k][-1]:5.1f} "
        if bgt:
            z = bgt["tasks"][t]
            row += f"| tuned BG: reset {z['reset']*1e3:.0f} ms ({z['reset']/x['reset']:.1f}x), step {z['step']*1e3:.0f} ms ({z['step']/x['step']:.1f}x)"
        print(row)
    print(f"{'median ratio':18s} " + " ".join(f"{'':22s} {statistics.median(ratios[k]):5.1f}" for k, _ in cols)
          + "   (targets: reset >= 10, observe + step >= 4)")
    print("\nagentloop reset phases (median ms): " + "; ".join(
        f"{t}: " + " ".join(f"{k}={v*1e3:.0f}" for k, v in al["phases"][t].items()) for t in TASKS[:2]))

    if not sizes:
        return 0
    print("\nSynthetic pages: one observation, and the text the agent reads")
    print(f"{'elements':>8s} {'obs AL':>9s} {'obs BG':>10s} {'x':>6s} {'text AL':>8s} {'AXTree BG':>10s} "
          f"{'AL/BG':>6s} listed/visible interactive")
    for n in sizes:
        x, y = al["pages"][str(n)], bg["pages"][str(n)]
        print(f"{x['elements']:8d} {x['observe']*1e3:7.0f}ms {y['observe']*1e3:8.0f}ms {y['observe']/x['observe']:6.1f} "
              f"{x['text']:8d} {y['text']:10d} {x['text']/max(1, y['text']):6.3f} {x['listed']}/{x['interactive_visible']}"
              f"   (BG samples: {y['samples']})")
    print("(targets: observation >= 5x faster; text <= 0.25 of the AXTree text; every visible interactive listed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
