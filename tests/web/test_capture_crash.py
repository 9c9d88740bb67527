"""A browser that dies mid-step ends the step with the env's error, and nothing else: no
traceback of the screenshot taken in the background reaches the terminal."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Run in a process of its own, as `agentloop run` would be: what asyncio prints about a
# background call's error goes to that process's stderr, which the test reads whole.
SCRIPT = textwrap.dedent("""
    import gc
    import os

    import psutil

    from agentloop.envs.web.capture import start_capture
    from agentloop.envs.web.env import WebEnv

    env = WebEnv(task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": "click-button"})
    env.reset(seed=1)
    # A screenshot is on its way, as at every look at the page, when the browser dies: the page
    # is kept busy, so the screenshot cannot be answered before the kill.
    env.page.evaluate("setTimeout(() => { const t = Date.now(); while (Date.now() - t < 5000) {} }, 0)")
    capture = start_capture(env.page, env.episode.cdp)
    for proc in psutil.Process().children(recursive=True):
        if "chrom" in proc.name().lower():
            try:
                proc.kill()
            except psutil.Error:
                pass
    try:
        env.step("wait(ms=0)")
        print("step: no error")
    except Exception as e:
        print("step:", type(e).__name__)
    print("capture done:", capture.done())
    del capture  # never collected: the step failed before it needed the screenshot
    gc.collect()
    print("collected", flush=True)
    os._exit(0)  # (closing an env whose browser was killed is not what this checks)
""")


def test_killed_browser_ends_the_step_without_a_traceback():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "step: EnvCrashed" in proc.stdout and "capture done: True" in proc.stdout, proc.stdout
    assert "collected" in proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr[:3000]
    assert "never retrieved" not in proc.stderr, proc.stderr[:3000]
