"""A local page whose controls each do one thing, for checking what the web skills' expected
effects say against what really happens: a text field, one that refuses the focus, a canvas
that draws under the pointer and one that does not, a scroll box hiding a button below its
fold, a slider and a link to another page, above a long empty stretch. Pressing Finish ends the
task's episode."""

from __future__ import annotations

from typing import Any

from agentloop.envs.web.task import TaskResult

ORIGIN = "http://verdicts.local"

PAGE = """<!doctype html><html><body style="margin:0;font:14px sans-serif">
<input id="field" placeholder="field">
<input id="stubborn" placeholder="stubborn"
       onfocus="this.blur(); document.getElementById('note').textContent = 'no focus here'">
<p id="note"></p>
<canvas id="pad" width="200" height="100" style="border:1px solid #000"></canvas>
<canvas id="still" width="100" height="60" style="border:1px solid #000"></canvas>
<div id="box" style="height:60px;width:200px;overflow:auto;border:1px solid #000">
  <div style="height:300px">long text</div>
  <button id="deep" onclick="document.getElementById('note').textContent = 'deep'">Deep</button>
</div>
<input id="level" type="range" min="0" max="10" value="5">
<a id="away" href="/two.html">to page two</a>
<button id="finish" onclick="window.finished = true">Finish</button>
<div style="height:2000px"></div><p>the end of a long page</p>
<script>
  const pad = document.getElementById('pad'), g = pad.getContext('2d');
  let down = false;
  pad.addEventListener('mousedown', e => { down = true; g.beginPath(); g.moveTo(e.offsetX, e.offsetY); });
  pad.addEventListener('mousemove', e => { if (down) { g.lineTo(e.offsetX, e.offsetY); g.stroke(); } });
  window.addEventListener('mouseup', () => { down = false; });
  document.getElementById('still').getContext('2d').fillRect(0, 0, 10, 10);
</script>
</body></html>"""

TWO = "<!doctype html><html><body><h1>Two</h1></body></html>"


class VerdictTask:
    """Serves the page; the episode ends, a success, once Finish was pressed."""

    name = "test.verdicts"

    def origins(self) -> list[str]:
        return [ORIGIN]

    def irreversible_selectors(self) -> list[str]:
        return []

    def setup(self, page: Any, seed: int | None) -> str:
        def serve(route: Any) -> None:
            body = TWO if route.request.url.endswith("/two.html") else PAGE
            route.fulfill(status=200, body=body, content_type="text/html")

        page.context.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/index.html", wait_until="load")
        return "press Finish"

    def evaluate(self, page: Any) -> TaskResult:
        done = bool(page.evaluate("() => window.finished === true"))
        return TaskResult(reward=float(done), success=done, progress=float(done), terminated=done)

    def close(self) -> None:
        pass


def make() -> VerdictTask:
    return VerdictTask()
