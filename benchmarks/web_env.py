"""agentloop's web env beside BrowserGym on the same MiniWoB++ tasks, Chromium and HTML.

python benchmarks/web_env.py [--reps 5]
Creates /tmp/bench-browsergym (a venv with `browsergym-miniwob`) on first use and runs
BrowserGym there in a subprocess, pointed at /usr/bin/chromium and at the installed `miniwob`
package's HTML folder; agentloop runs here. Prints reset and observe+step medians and ratios,
and, on synthetic pages of ~5k and ~25k elements, observation time and text-view size against
BrowserGym's get_obs and AXTree text.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

VENV = Path("/tmp/bench-browsergym")
CHROMIUM = "/usr/bin/chromium"
TASKS = ["click-button", "enter-text", "click-checkboxes", "login-user", "choose-list"]
SIZES = [5000, 25000]

BG_SCRIPT = r'''
import json, os, sys, time, statistics
import gymnasium as gym
import browsergym.miniwob  # registers browsergym/miniwob.*
from browsergym.utils.obs import flatten_axtree_to_str
reps, tasks, pages = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
kw = dict(pw_chromium_kwargs={"executable_path": sys.argv[4]})
# BrowserGym's chat window launches a browser without those kwargs: give Playwright's expected
# path (inside this venv's PLAYWRIGHT_BROWSERS_PATH) a link to the same Chromium.
from browsergym.core import _get_global_playwright
exe = _get_global_playwright().chromium.executable_path
if not os.path.exists(exe):
    os.makedirs(os.path.dirname(exe), exist_ok=True)
    os.symlink(sys.argv[4], exe)
out = {"tasks": {}, "pages": {}}
for t in tasks:
    env = gym.make(f"browsergym/miniwob.{t}", **kw)
    env.reset(seed=0)
    resets, steps = [], []
    for i in range(reps):
        t0 = time.perf_counter(); env.reset(seed=i); resets.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); env.step("noop()"); steps.append(time.perf_counter() - t0)
    env.close()
    out["tasks"][t] = {"reset": statistics.median(resets), "step": statistics.median(steps)}
from browsergym.core.env import BrowserEnv
from browsergym.core.task import OpenEndedTask
for n, url in pages.items():
    env = BrowserEnv(task_entrypoint=OpenEndedTask, task_kwargs={"start_url": url}, **kw)
    env.reset(seed=0)
    ts, size = [], 0
    for i in range(reps):
        t0 = time.perf_counter(); obs = env.unwrapped._get_obs(); ts.append(time.perf_counter() - t0)
    size = len(flatten_axtree_to_str(obs["axtree_object"]))
    env.close()
    out["pages"][n] = {"observe": statistics.median(ts), "text": size}
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
    # Rows of mixed content: headings, text, links, inputs, buttons, checkboxes.
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
        page.goto(f"{self.origin}/", wait_until="load")
        return "observe"

    def evaluate(self, page: Any):
        from agentloop.envs.web.task import TaskResult

        return TaskResult()

    def close(self) -> None:
        pass


def agentloop_side(reps: int) -> dict[str, Any]:
    from agentloop.envs.web.env import WebEnv

    out: dict[str, Any] = {"tasks": {}, "pages": {}}
    for t in TASKS:
        env = WebEnv(task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": t})
        env.reset(seed=0)
        resets, steps = [], []
        for i in range(reps):
            t0 = time.perf_counter(); env.reset(seed=i); resets.append(time.perf_counter() - t0)
            t0 = time.perf_counter(); env.step("wait(ms=0)"); steps.append(time.perf_counter() - t0)
        env.close()
        out["tasks"][t] = {"reset": statistics.median(resets), "step": statistics.median(steps)}
    for n in SIZES:
        env = WebEnv(task=f"{__name__}:SyntheticTask", task_kwargs={"n": n})
        env.reset(seed=0)
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter(); obs, scene, _ = env._observe(); ts.append(time.perf_counter() - t0)
        interactive = env.page.evaluate(
            """() => Array.from(document.querySelectorAll('a,button,input')).filter(e => {
                 const r = e.getBoundingClientRect();
                 return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth; }).length""")
        listed = sum(1 for nd in scene.nodes if nd.kind in ("link", "button", "textbox", "checkbox")
                     and f"[{nd.id}]" in obs["text"])
        env.close()
        out["pages"][str(n)] = {"observe": statistics.median(ts), "text": len(obs["text"]),
                                "interactive_visible": interactive, "listed": listed}
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    py = ensure_venv()
    from agentloop.envs.web.miniwob.tasks import html_root

    pages = {}
    for n in SIZES:
        p = Path(f"/tmp/bench-synthetic-{n}.html")
        p.write_text(synthetic_page(n))
        pages[str(n)] = p.as_uri()
    env = {"MINIWOB_URL": (html_root() / "miniwob").as_uri() + "/", "PATH": "/usr/bin:/bin",
           "PLAYWRIGHT_BROWSERS_PATH": str(VENV / "browsers"), "HOME": "/tmp"}
    proc = subprocess.run([str(py), "-c", BG_SCRIPT, str(a.reps), json.dumps(TASKS), json.dumps(pages), CHROMIUM],
                          capture_output=True, text=True, env=env)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        print("BrowserGym run failed:\n" + proc.stderr[-3000:])
        return 1
    bg = json.loads(line[7:])
    al = agentloop_side(a.reps)
    print(f"MiniWoB++ (medians over {a.reps}; same Chromium {CHROMIUM}, same HTML)")
    print(f"{'task':20s} {'reset AL':>9s} {'reset BG':>9s} {'x':>6s} {'step AL':>9s} {'step BG':>9s} {'x':>6s}")
    for t in TASKS:
        x, y = al["tasks"][t], bg["tasks"][t]
        print(f"{t:20s} {x['reset']*1e3:8.0f}ms {y['reset']*1e3:8.0f}ms {y['reset']/x['reset']:6.1f} "
              f"{x['step']*1e3:8.0f}ms {y['step']*1e3:8.0f}ms {y['step']/x['step']:6.1f}")
    print("\nSynthetic pages: observation time and text size")
    print(f"{'elements':>8s} {'obs AL':>9s} {'obs BG':>9s} {'x':>6s} {'text AL':>9s} {'AXTree BG':>10s} {'ratio':>6s} listed/visible-interactive")
    for n in SIZES:
        x, y = al["pages"][str(n)], bg["pages"][str(n)]
        print(f"{n:8d} {x['observe']*1e3:8.0f}ms {y['observe']*1e3:8.0f}ms {y['observe']/x['observe']:6.1f} "
              f"{x['text']:9d} {y['text']:10d} {x['text']/max(1, y['text']):6.2f} {x['listed']}/{x['interactive_visible']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
