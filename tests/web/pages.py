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
<div>Our street address is: <a id="wrapped" href="#w" onclick="out('wrapped'); return false">Long Street<br>X</a></div>
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


# A page of what the graph once missed: controls without text, listeners added by script and by
# jQuery delegation, a scroll box, timers, an instruction with emphasis, widgets with values.
WIDGETS = """<!doctype html><html><head><script src="/jquery.js"></script><style>
body { margin: 4px; font: 12px sans-serif; } .sw { display: inline-block; width: 16px; height: 16px; }
#box { height: 60px; width: 140px; overflow: auto; border: 1px solid #000; } #box button { display: block; height: 18px; }
#out { height: 16px; margin: 0; } #shield { display: none; position: absolute; left: 0; top: 0; width: 640px; height: 480px; }
</style></head><body>
<div id="query">Enter "<span class="bold">foo</span>" and press "<b>Search</b>"</div>
<span id="trash" class="trash sw" style="background:#c00"></span>
<span id="swatch" class="sw" style="background:rgb(0,128,0)"></span>
<div id="star" title="Star" class="sw" style="cursor:pointer;background:#00f"><span class="sw"></span></div>
<div id="deleg"><i id="reply" class="icon-reply sw" style="background:#999"></i></div>
<div id="box"><button id="b1">B1</button><button id="b2">B2</button><button id="b3">B3</button>
<button id="b4">B4</button><button id="b5">B5</button><button id="b6">B6</button><button id="b7">B7</button></div>
<input id="ac" placeholder="city"><ul id="acmenu"></ul>
<button id="late">Late</button> <button id="slow">Slow</button> <button id="smooth">Smooth</button> <button id="moving">Moving</button>
<input id="range" type="range" min="0" max="10" value="3"> <input id="num" type="number" min="1" max="5" value="2">
<input id="date" value="10/11/2016" readonly>
<select id="multi" multiple size="3"><option>Ann</option><option>Bob</option><option>Cy</option></select>
<span id="card" class="card hidden sw" style="font-size:0;cursor:pointer;background:#e00">12</span>
<table id="tbl"><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>31</td></tr></table>
<p id="long">""" + "word " * 60 + """end</p>
<div>Our street address is: <a id="wrapped" href="#w" onclick="out('wrapped'); return false">Long Street<br>X</a></div>
<p id="iconq2" style="margin:0">Then the <span class="ui-icon ui-icon-stop"></span> one.</p>
<p id="iconq">Pick the <span class="ui-icon ui-icon-disk"></span> item:
<span id="mi" style="cursor:pointer"><span class="ui-icon ui-icon-disk" style="display:inline-block;width:8px;height:8px"></span>Save</span></p>
<p id="out"></p>
<canvas id="cv" width="120" height="40" style="border:1px solid #000"></canvas>
<div id="chrome">Last reward: 0</div>
<div id="shield"></div>
<script>
const out = t => { document.getElementById('out').textContent = t; };
document.getElementById('trash').addEventListener('click', () => out('trash'));
document.getElementById('swatch').addEventListener('mousedown', () => out('swatch'));
$('#deleg').on('click', 'i', () => out('reply'));
$('#b7').on('click', () => out('b7'));
document.getElementById('ac').addEventListener('keydown', () => setTimeout(() => {
  document.getElementById('acmenu').innerHTML = '<li class="opt">Paris</li>'; }, 300));
document.getElementById('late').addEventListener('click', () => setTimeout(() => out('late'), 400));
document.getElementById('smooth').addEventListener('click', () => document.getElementById('box').scrollTo({top: 66, behavior: 'smooth'}));
document.getElementById('slow').addEventListener('click', () => setTimeout(() => out('slow'), 800));
// The shield comes up as soon as the pointer moves: a click aimed at "Moving" lands on it.
document.getElementById('moving').addEventListener('mouseenter', () => { document.getElementById('shield').style.display = 'block'; });
document.getElementById('shield').addEventListener('mousedown', () => out('shield'));
// The canvas says where (in its own pixels) it was pressed, released and double-clicked.
const cv = document.getElementById('cv'), at = e => Math.round(e.offsetX) + ',' + Math.round(e.offsetY);
let down = '';
cv.addEventListener('mousedown', e => { down = at(e); });
cv.addEventListener('mouseup', e => out('drag ' + down + ' ' + at(e)));
cv.addEventListener('dblclick', e => out('dbl ' + at(e)));
cv.addEventListener('mousemove', e => { if (!e.buttons) cv.dataset.hover = at(e); });
</script></body></html>"""


class WidgetsTask(FormTask):
    name = "test.widgets"

    def chrome_selectors(self) -> list[str]:
        return ["#chrome"]

    def setup(self, page: Any, seed: int | None) -> str:
        from agentloop.envs.web.miniwob.tasks import html_root

        jquery = (html_root() / "core/jquery-ui/external/jquery/jquery.js").read_bytes()

        def serve(route: Any) -> None:
            if route.request.url.endswith("/jquery.js"):
                route.fulfill(status=200, body=jquery, content_type="application/javascript")
            else:
                route.fulfill(status=200, body=WIDGETS, content_type="text/html")

        page.context.route(f"{ORIGIN}/**", serve)
        page.goto(f"{ORIGIN}/widgets.html", wait_until="load")
        return 'Enter "foo" and press "Search"'


def make_widgets() -> WidgetsTask:
    return WidgetsTask()


# A page of what a model must read whole and what it need not read at all: a long value, a long
# drop-down, SVG glyphs and shapes with their paint, a nav's separators, a calendar cell around
# its day's link, posts that each group their controls, and a control in a scroll box that
# vanishes for a moment when the pointer first rests on it (a hover that swaps its image).
LONG_VALUE = "Sed turpis mattis. Integer bibendum hendrerit est adipiscing, " * 3
SCENE = """<!doctype html><html><head><style>
body { margin: 4px; font: 12px sans-serif; } #box { height: 60px; width: 200px; overflow: auto; }
.post { border: 1px solid #ccc; margin: 2px; } .icon { display: inline-block; width: 16px; height: 16px; background: #00f; }
</style></head><body>
<nav><a href="#a">Shop</a> | <a href="#b">Cart</a> | <a href="#c">Help</a></nav>
<textarea id="long" cols="60" rows="2">""" + LONG_VALUE + """</textarea>
<select id="many">""" + "".join(f"<option>Option {i}</option>" for i in range(60)) + """</select>
<svg width="120" height="30"><text id="glyph" x="4" y="20" fill="#ffff00">l</text>
<rect id="sq" x="40" y="5" width="16" height="16" fill="#ff0000"></rect></svg>
<table><tr><td onclick="out('day 15')"><a href="#15">15</a></td><td onclick="out('day 16')"><a href="#16">16</a></td></tr></table>
<div id="feed"><div class="post"><span>Ann</span> <span>@ann</span><div>said hi</div><button>reply</button> <button>more</button></div>
<div class="post"><span>Bob</span> <span>@bob</span><div>said yo</div><button>reply</button> <button>more</button></div></div>
<div id="box"><div style="height: 200px">top of the box</div>
<span id="flicker" class="icon" onclick="out('flicker')"></span>
<span id="gone" class="icon" onclick="out('gone')"></span></div>
<p id="out"></p>
<script>
function out(s) { document.getElementById('out').textContent = s; }
// The first time the pointer rests on it, it is gone for a moment (its hover image loading).
const blink = (id, ms) => document.getElementById(id).addEventListener('mouseover', e => {
  e.target.style.visibility = 'hidden'; setTimeout(() => { e.target.style.visibility = ''; }, ms); }, {once: true});
blink('flicker', 120);
blink('gone', 3000);
</script></body></html>"""


class SceneTask(FormTask):
    name = "test.scene"

    def setup(self, page: Any, seed: int | None) -> str:
        page.context.route(f"{ORIGIN}/**", lambda route: route.fulfill(status=200, body=SCENE, content_type="text/html"))
        page.goto(f"{ORIGIN}/scene.html", wait_until="load")
        return "read the page"


def make_scene() -> SceneTask:
    return SceneTask()


# An icon drawn by CSS `content: url(...)`, as MiniWoB's email tasks draw theirs: it has no size
# until its image arrives, and a click shows it (the image is fetched then); another starts a
# request that takes long (a long poll). The page, the image and the poll come from a server of
# the test's own (`origin`).
ICON = """<!doctype html><html><head><style>
#icon { display: none; content: url(/back.png); height: 12px; } #icon.shown { display: inline; }
</style></head><body>
<button id="open" onclick="document.getElementById('icon').className = 'shown'">Open</button>
<span id="icon" title="back" onclick="history.back()"></span><span id="after">after the icon</span>
<button id="poll" onclick="fetch('/poll')">Poll</button>
</body></html>"""


class IconTask(FormTask):
    name = "test.icon"

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def origins(self) -> list[str]:
        return [self.origin]

    def setup(self, page: Any, seed: int | None) -> str:
        page.goto(f"{self.origin}/icon.html", wait_until="load")
        return "open the message"


def make_icon(origin: str) -> IconTask:
    return IconTask(origin)
