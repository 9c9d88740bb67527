"""Scripted solvers for the site's tasks, over the element graph (see `envs/web/elements.py`).

Each solver looks only at the current page (its URL and elements) and the goal text, so it
recovers from any page it lands on: it never relies on remembering what it did before.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from agentloop.calls import SkillCall
from agentloop.context import Context
from agentloop.envs.web.solving import register_solver
from agentloop.scene import Node, SceneGraph
from agentloop.skills.web_effects import page_url

PRICE = re.compile(r"\$(\d+(?:\.\d\d)?)")


class SolverError(ValueError):
    """The goal text does not have the form this solver knows."""


def click(node: Node) -> SkillCall:
    return SkillCall(name="click", args={"element": node.id})


def type_text(node: Node, text: str) -> SkillCall:
    return SkillCall(name="type", args={"element": node.id, "text": text})


def select(node: Node, option: str) -> SkillCall:
    return SkillCall(name="select", args={"element": node.id, "option": option})


def wait(ms: int = 300) -> SkillCall:
    return SkillCall(name="wait", args={"ms": ms})


def loading(scene: SceneGraph) -> bool:
    """Every page of the site carries the nav bar; without it the next page is still loading
    (a form post's redirect can land after the step has settled)."""
    return find(scene, "link", "Shop") is None


def _path(scene: SceneGraph) -> str:
    return urlsplit(page_url(scene)).path.rstrip("/") or "/"


def find(scene: SceneGraph, kind: str | tuple[str, ...], name: str | re.Pattern[str]) -> Node | None:
    kinds = (kind,) if isinstance(kind, str) else kind
    for n in scene.nodes:
        if n.kind not in kinds:
            continue
        if (n.name == name) if isinstance(name, str) else name.search(n.name):
            return n
    return None


def need(scene: SceneGraph, kind: str | tuple[str, ...], name: str | re.Pattern[str]) -> Node:
    node = find(scene, kind, name)
    if node is None:
        raise SolverError(f"no {kind} named {name!r} on {_path(scene)}")
    return node


def fill_then(scene: SceneGraph, values: dict[str, str], submit: str) -> SkillCall:
    """Type into the first labelled textbox whose value differs; when all match, click submit."""
    for label, want in values.items():
        box = need(scene, "textbox", label)
        if (box.get("value") or "") != want:
            return type_text(box, want)
    return click(need(scene, "button", submit))


def heading(scene: SceneGraph) -> str:
    h = next((n for n in scene.nodes if n.kind == "heading"), None)
    return h.name if h else ""


def _goal(pattern: str, goal: str) -> re.Match[str]:
    m = re.search(pattern, goal)
    if m is None:
        raise SolverError(f"goal not understood: {goal!r}")
    return m


CHECKOUT_GOAL = (
    r'Search for "(?P<q>[^"]+)", filter to category (?P<cat>\w+) with max price \$(?P<max>\d+), .*order for '
    r"(?P<full_name>[^,]+), (?P<street>[^,]+), (?P<city>[^,]+), ZIP (?P<zip>\d{5}), card (?P<card>\d{16})\."
)


def solve_checkout(ctx: Context) -> SkillCall:
    s, g = ctx.scene, _goal(CHECKOUT_GOAL, ctx.goal)
    assert s is not None
    if loading(s):
        return wait()
    path = _path(s)
    if heading(s) == "Order confirmed":
        return wait()
    if path == "/checkout":
        values = {"Full name": g["full_name"], "Street": g["street"], "City": g["city"], "ZIP code": g["zip"], "Card number": g["card"]}
        return fill_then(s, values, "Place order")
    if path == "/cart":
        go = find(s, "link", "Proceed to checkout")
        return click(go) if go else click(need(s, "link", "Shop"))
    if path.startswith("/product/"):
        return click(need(s, "button", "Add to cart"))
    step = search_filtered(s, g["q"], g["cat"], g["max"])
    if step is not None:
        return step
    found = cheapest(s)
    if found is None:
        raise SolverError("the filtered search shows no results")
    return click(found[1])


def search_filtered(s: SceneGraph, q: str, cat: str, max_price: str) -> SkillCall | None:
    """The next call toward the search results for `q` in `cat` up to `max_price` dollars, from
    any page of the site; None once they are shown."""
    if _path(s) == "/search":
        summary = next((n for n in s.nodes if n.get("dom_id") == "summary"), None)
        text = summary.name if summary else ""
        if f"“{q}”" not in text:
            box = need(s, "textbox", "Search products")
            if (box.get("value") or "") != q:
                return type_text(box, q)
            return click(need(s, "button", "Search"))
        if f"in {cat} up to ${max_price}" not in text:
            category = need(s, "combobox", "Category")
            if category.get("value") != cat:
                return select(category, cat)
            price = need(s, "textbox", "Max price")
            if (price.get("value") or "") != max_price:
                return type_text(price, max_price)
            return click(need(s, "button", "Apply filters"))
        return None
    search = find(s, "textbox", "Search products")
    if search is None:
        return click(need(s, "link", "Shop"))
    if (search.get("value") or "") != q:
        return type_text(search, q)
    return click(need(s, "button", "Search"))


def results(s: SceneGraph) -> list[tuple[float, Node]]:
    """The search results shown, each with its price in dollars."""
    return [
        (float(m[1]), n) for n in s.nodes
        if n.kind == "link" and str(n.get("href") or "").startswith("/product/") and (m := PRICE.search(n.name))
    ]


def cheapest(s: SceneGraph) -> tuple[float, Node] | None:
    """The cheapest result shown, with its price in dollars; None when the search shows none."""
    return min(results(s), key=lambda t: t[0], default=None)


LOOKUP_GOAL = r'cheapest "(?P<q>[^"]+)" in category (?P<cat>\w+) priced up to \$(?P<max>\d+)'


def solve_price_lookup(ctx: Context) -> SkillCall:
    s, g = ctx.scene, _goal(LOOKUP_GOAL, ctx.goal)
    assert s is not None
    if loading(s):
        return wait()
    step = search_filtered(s, g["q"], g["cat"], g["max"])
    if step is not None:
        return step
    found = cheapest(s)
    if found is None:
        return SkillCall(name="finish", args={"status": "infeasible"})
    return SkillCall(name="finish", args={"status": "done", "answer": f"${found[0]:.2f}"})


PROFILE_GOAL = r"display name to (?P<display_name>.+?), the email to (?P<email>\S+) and the city to (?P<city>.+?), then save"


def solve_profile(ctx: Context) -> SkillCall:
    s, g = ctx.scene, _goal(PROFILE_GOAL, ctx.goal)
    assert s is not None
    if loading(s):
        return wait()
    if _path(s) != "/profile":
        return click(need(s, "link", "Profile"))
    return fill_then(s, {"Display name": g["display_name"], "Email": g["email"], "City": g["city"]}, "Save profile")


def solve_delete_address(ctx: Context) -> SkillCall:
    s, g = ctx.scene, _goal(r"address at (?P<addr>.+?) and keep", ctx.goal)
    assert s is not None
    if loading(s):
        return wait()
    if _path(s) != "/addresses":
        return click(need(s, "link", "Addresses"))
    # A list item reads "Label: street, city zip"; its own delete button is named by the label.
    item = need(s, "listitem", re.compile(r"^(\w+): " + re.escape(g["addr"]) + r"$"))
    label = item.name.split(":", 1)[0]
    return click(need(s, "button", f"Delete {label}"))


def solve_delete_note(ctx: Context) -> SkillCall:
    s, g = ctx.scene, _goal(r'note titled "(?P<title>[^"]+)"', ctx.goal)
    assert s is not None
    if loading(s):
        return wait()
    path = _path(s)
    if re.fullmatch(r"/notes/\d+/delete", path):
        if find(s, "text", re.compile(re.escape(f"“{g['title']}”"))) is not None:
            return click(need(s, "button", "Confirm delete"))
        return click(need(s, "link", "Cancel"))
    if path != "/notes":
        return click(need(s, "link", "Notes"))
    return click(need(s, "link", f"Delete “{g['title']}”"))


SUPPORT_GOAL = r'from (?P<email>\S+) about order (?P<order>\S+), phone (?P<phone>[\d-]+), with the message "(?P<message>[^"]+)"'
# How a careful user repairs each field the server rejects.
REPAIRS = {
    "Order number": lambda v: "ORD-" + re.sub(r"\D", "", v),
    "Phone": lambda v: re.sub(r"\D", "", v),
}


def solve_support(ctx: Context) -> SkillCall:
    s, g = ctx.scene, _goal(SUPPORT_GOAL, ctx.goal)
    assert s is not None
    if loading(s):
        return wait()
    if _path(s) != "/support":
        return click(need(s, "link", "Support"))
    if heading(s) == "Ticket received":
        return wait()
    stated = {"Email": g["email"], "Order number": g["order"], "Phone": g["phone"], "Message": g["message"]}
    errors = {n.name.split(":", 1)[0] for n in s.nodes if n.kind == "alert" and ":" in n.name}
    values = {}
    for label, literal in stated.items():
        fixed = REPAIRS[label](literal) if label in REPAIRS else literal
        box = need(s, "textbox", label)
        # once repaired, keep the repaired value even if the stale error is still shown
        values[label] = fixed if label in errors or box.get("value") == fixed else literal
    return fill_then(s, values, "Send ticket")


SOLVERS = {
    "site.checkout": solve_checkout,
    "site.profile": solve_profile,
    "site.delete_address": solve_delete_address,
    "site.delete_note": solve_delete_note,
    "site.support": solve_support,
    "site.price_lookup": solve_price_lookup,
}

def register() -> None:
    """Register the solvers with the web planner's table."""
    for name, fn in SOLVERS.items():
        register_solver(name, fn)
