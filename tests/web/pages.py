"""A local WebTask over inline HTML pages, for testing the env's skills and sandbox."""

from __future__ import annotations

from typing import Any

from agentloop.envs.web.task import TaskResult

ORIGIN = "http://test.local"

PAGE = """<!doctype html><html><body>
<h1>Form</h1>
<label for="name">Name</label><input id="name" placeholder="your name">
<input id="ro" value="fixed" readonly>
<select id="colour"><option value="r">Red</option><option value="g">Green</option></select>
<label><input type="checkbox" id="agree"> I agree</label>
<button id="go" onclick="document.getElementById('out').textContent='clicked ' + document.getElementById('name').value">Go</button>
<button id="del" class="danger">Delete</button>
<button id="hidden" style="display:none">Hidden</button>
<div id="under" style="position:absolute;top:300px;left:10px;width:100px;height:30px">Under</div>
<div style="position:absolute;top:290px;left:0;width:200px;height:60px;background:#fff;opacity:.9"></div>
<p id="out"></p>
<a href="/two.html">next page</a>
<img src="http://elsewhere.example/track.png" alt="tracker">
<div style="position:absolute;top:3000px">far below</div>
</body></html>"""

TWO = "<!doctype html><html><body><h1>Two</h1><p>second page</p></body></html>"


class FormTask:
    name = "test.form"

    def origins(self) -> list[str]:
        return [ORIGIN]

    def irreversible_selectors(self) -> list[str]:
        return ["button.danger"]

    def setup(self, page: Any, seed: int | None) -> str:
        def serve(route: Any) -> None:
            body = TWO if route.request.url.endswith("/two.html") else PAGE
            route.fulfill(status=200, body=body, content_type="text/html")

        page.context.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/index.html", wait_until="load")
        return "type a name, then press Go"

    def evaluate(self, page: Any) -> TaskResult:
        out = page.evaluate("() => { const o = document.getElementById('out'); return o ? o.textContent : ''; }")
        ok = out.startswith("clicked ") and len(out) > len("clicked ")
        return TaskResult(reward=1.0 if ok else 0.0, success=ok, progress=1.0 if ok else 0.0, terminated=ok)

    def close(self) -> None:
        pass


def make() -> FormTask:
    return FormTask()
