"""The web page as an element graph, built from ONE DOM snapshot per step.

Node schema (`agentloop.scene.Node`):

- `id`: `str(int)`, stable for the episode. The snapshot script (`js/snapshot.js`) stamps each element it reports
  with a `data-al-id` attribute the first time it sees it, so the same element keeps its id
  across steps; skills address elements by this id (`click(element="12")`).
- `kind`: the element's role: button, link, textbox, checkbox, radio, combobox, option,
  heading, text, img, listitem, tab, slider, label, cell, menuitem, treeitem, generic (a
  clickable span/div without a role), ...
- `name`: visible text, or the accessible name (aria-label, <label>, placeholder, alt, title).
- `attrs`: every node has `tag` and `bbox`; the others only where they differ from their default
  (`DEFAULTS`: no value, not disabled, not focused, visible, not clickable, ...), so that a
  node says what is particular about it:
  `tag` (lower-case tag name), `value` (form value or None; a slider's or spin button's too),
  `checked` (bool or None), `selected` (bool or None), `disabled` (bool), `editable` (bool),
  `focused` (bool), `visible` (bool: False when clipped), `clipped` (bool: its box lies wholly
  outside a scrolling ancestor's visible area; scroll that box, or click it, which scrolls it
  into view first), `scroll_box` (id of the nearest scrolling ancestor, or None), `bbox`
  ([x, y, w, h] in CSS pixels of the viewport, which are the screenshot's pixels: the visible
  part of the element, clipped by its ancestors; a clipped element's whole box), `href` (or
  None), `placeholder` (or None), `clickable` (bool: interactive tag or role, a pointer
  listener, onclick, tabindex, cursor:pointer), `irreversible` (bool: matches one of the
  task's `irreversible_selectors`), `dom_id` (the element's `id` attribute or None).
  Only where they apply: `type` (an input's type), `readonly` (True on a read-only text field), `min`/`max`/`step`
  (sliders, spin buttons; `step` when not 1), `options` (a `<select>`'s option labels, the first 1,000; the scene's text shows 50 and counts the rest), `emphasis` (bold/emphasised words of a sentence, e.g. the task's
  instruction), `color` (`#rrggbb` background of a clickable element without text: swatches; the
  paint, fill or else stroke, of what SVG draws: a shape, a glyph of SVG text), `color_name` (its CSS
  name(s), where the colour has one: "aqua/cyan"),
  `scrollable` (True) and `scroll` ([x, y, max_x, max_y] scroll offsets) on scroll boxes,
  `selected_options` (the chosen options' labels) on a `<select>`, `icons` (the glyphs named by
  the icon classes inside a small control: `ui-icon-disk` -> "disk"), `pixels` (a digest of a
  canvas's pixels: a stroke changes it). An icon inside a sentence shows as `[disk]`.

The page itself is a node too: id `page`, kind `page`, named by its title, with `url`, and
where they hold, `selection` (the text selected on it) and `ended` (True: the task said its
episode is over; MiniWoB's page covers itself when it ends one), so that a navigation, a highlight or the episode's end is a
change of the graph. It has no box; the text view
leaves it out (its URL heads the view).

Kinds beyond the tag's and ARIA's roles: `scrollable` (a scroll box without a role), `listbox`
and `option` (jQuery UI menus and autocompletes), `slider` (also jQuery UI's slider: one node,
its track, the handle of a one-handle slider being no node of its own), `spinbutton` (number
inputs), `row`/`cell`/`columnheader`/`table`, `link` (also text the page makes a link of: a
clickable, underlined span), `shape` (an SVG circle, rectangle, path, ...: named by its shape,
its paint in `color`), `group` (a container of 2+ controls and text among like siblings, such as
the posts of a feed, named by its first line of text: its controls are `child_of` it). A text field without a `<label for>` is named by a
`<label>` just before it.

Names are whole (up to 2,000 characters, then `…`); the text view shortens long ones with `…`.
A sentence with inline emphasis (MiniWoB's instruction) is one `text` node named by its whole
text, its bold parts in `emphasis`; the inline children are not nodes of their own. The task's
chrome (`WebTask.chrome_selectors()`, MiniWoB's reward display) is left out, and so is text made only
of separators and punctuation (the `| |` between a nav's links). A wrapper whose only child node is a
link or button of the same name (a calendar's cell around its day's link) is folded into it.

Relations: `child_of` (to the nearest reported ancestor) and, among nearby elements (centres
within 120 px), a node's closest neighbour to its right (`left_of`: src is left of dst, on
overlapping rows) and below it (`above`, on overlapping columns): at most two per node.

Only elements inside the viewport become nodes (and clipped ones inside a scroll box there, up
to 200); `SceneGraph.meta["elements_offscreen"]` counts the visible elements outside it, and
`meta["ids_offscreen"]` lists the ids of those seen earlier in the episode (an action on one scrolls it
into view first, so the rule critic does not refuse it).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from PIL import ImageColor

from agentloop.scene import Legend, Node, PixelSpace, Relation, SceneGraph
from agentloop.skills.web import Rel
from agentloop.skills.web_effects import AWAY, OFFSCREEN, PAGE, PAGE_KIND, page_url

SPATIAL_PER_NODE = 4  # neighbours considered per node (the closest first)
NEAR_PX = 60.0
NAME_VIEW = 100  # characters of a name the text view shows before its `…`
OPTIONS_VIEW = 50  # options of a drop-down the text view lists, then "(+N more)"
ATTRS = ("tag", "bbox")  # every node has these
# The rest a node has only where it differs from this default (a reader uses `node.get(key, default)`):
# a node's line then says what is particular about it, not that it is not disabled, not focused, ...
DEFAULTS: dict[str, Any] = {
    "value": None, "checked": None, "selected": None, "disabled": False, "editable": False, "focused": False,
    "visible": True, "clipped": False, "scroll_box": None, "href": None, "placeholder": None, "clickable": False,
    "irreversible": False, "dom_id": None}
OPTIONAL = ("type", "readonly", "min", "max", "step", "emphasis", "color", "scrollable", "scroll", "selected_options",
            "options", "icons", "pixels")
# The kind a tag has anyway: the text view names the tag only where it tells something more.
NATURAL_TAG = {"button": "button", "a": "link", "li": "listitem", "td": "cell", "th": "columnheader",
               "img": "img", "label": "label", "option": "option", "select": "combobox", "tr": "row",
               "table": "table", "canvas": "canvas", "h1": "heading", "h2": "heading", "h3": "heading",
               "h4": "heading", "h5": "heading", "h6": "heading", "textarea": "textbox"}

@cache
def colour_names() -> dict[str, str]:
    """`#rrggbb` -> its CSS colour name(s), e.g. "aqua/cyan" (Pillow's table of the CSS names)."""
    names: dict[str, list[str]] = {}
    for name, value in ImageColor.colormap.items():
        if isinstance(value, str) and len(value) == 7:
            names.setdefault(value.lower(), []).append(name)
    return {value: "/".join(sorted(n)) for value, n in names.items()}


def build_scene(snap: dict[str, Any], ended: bool = False) -> SceneGraph:
    """Turn the snapshot script's output into a `SceneGraph` with child_of and spatial relations,
    and the page's own node (`ended`: the task said its episode is over)."""
    page: dict[str, Any] = {"url": snap["url"]}  # and, only where there is one, a selection or the end
    if snap.get("selection"):
        page["selection"] = snap["selection"]
    if ended:
        page["ended"] = True
    nodes = [Node(id=PAGE, kind=PAGE_KIND, name=snap["title"], attrs=page)]
    rels: list[Relation] = []
    raws = _fold(snap["nodes"])
    ids = {n["id"] for n in raws}
    for raw in raws:
        attrs = {k: raw[k] for k in ATTRS}
        attrs.update((k, raw[k]) for k, default in DEFAULTS.items() if raw[k] != default)
        attrs.update((k, raw[k]) for k in OPTIONAL if k in raw)
        if (named := colour_names().get(str(attrs.get("color", "")).lower())) is not None:
            attrs["color_name"] = named  # goals name colours ("aqua"); a model need not decode hex
        nodes.append(Node(id=raw["id"], kind=raw["kind"], name=raw["name"], attrs=attrs))
        if raw["parent"] in ids:
            rels.append(Relation(src=raw["id"], rel=Rel.CHILD_OF, dst=raw["parent"]))
    rels.extend(_spatial(raws))
    meta: dict[str, Any] = {"viewport": snap["viewport"]}  # the URL and title are the page node's
    if snap["offscreen"]:
        meta[OFFSCREEN] = snap["offscreen"]
    if snap.get("away"):
        meta[AWAY] = snap["away"]
    return SceneGraph(nodes=nodes, relations=rels, meta=meta, legend=legend(snap["viewport"]))


FOLDED_INTO = ("link", "button")  # the kinds of a lone control a wrapper of the same name folds into
# The kinds of wrapper that fold: plain containers. A tab, an option, a menu item around a link
# says what the link is (and holds its state: selected), so it stays.
FOLDS = ("cell", "listitem", "generic", "text", "group")


def _fold(raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop each wrapper whose only child node is a link or button of the same name (a calendar's
    cell around its day's link): the control stands for it, its children's `child_of` move up to
    the wrapper's parent. Only a plain container folds (`FOLDS`), never a scroll box."""
    children: dict[str, list[dict[str, Any]]] = {}
    for raw in raws:
        children.setdefault(raw["parent"], []).append(raw)
    folded: dict[str, Any] = {}  # a dropped wrapper's id -> its parent
    for raw in raws:
        kids = children.get(raw["id"], [])
        if len(kids) == 1 and kids[0]["kind"] in FOLDED_INTO and raw["name"] and kids[0]["name"] == raw["name"] \
                and raw["kind"] in FOLDS and not raw.get("scrollable") and raw["selected"] is None:
            folded[raw["id"]] = raw["parent"]
    if not folded:
        return raws
    out = []
    for raw in raws:
        if raw["id"] in folded:
            continue
        parent = raw["parent"]
        while parent in folded:  # (a wrapper of a wrapper)
            parent = folded[parent]
        out.append(raw if parent == raw["parent"] else {**raw, "parent": parent})
    return out


def legend(viewport: tuple[int, int] | list[int]) -> Legend:
    """Boxes in the screenshot's pixels, which are the viewport's CSS pixels (the frame is
    decoded at the viewport's size whatever the device scale): where the pixel skills aim."""
    return Legend(pixels=PixelSpace(width=int(viewport[0]), height=int(viewport[1]),
                                    skills="the *_at skills and drag_path"))


def _spatial(raws: list[dict[str, Any]]) -> list[Relation]:
    # Only leaf-ish interactive/text nodes take part, each linked to its closest neighbour to the
    # right (`left_of`) and below (`above`), the way a form reads (a label, then its field): the
    # inverse relations and `near` say nothing more, and every one is a line a model must read.
    pts = [(r["id"], r["bbox"]) for r in raws if (r["clickable"] or r["kind"] in ("text", "label")) and not r["clipped"]]
    if len(pts) > 400:  # large pages: relations for the first 400 only, keeps a step fast
        pts = pts[:400]
    out: list[Relation] = []
    for i, (a, ba) in enumerate(pts):
        ca = (ba[0] + ba[2] / 2, ba[1] + ba[3] / 2)
        near = []
        for j, (b, bb) in enumerate(pts):
            if i == j:
                continue
            cb = (bb[0] + bb[2] / 2, bb[1] + bb[3] / 2)
            d = math.hypot(ca[0] - cb[0], ca[1] - cb[1])
            if d <= NEAR_PX * 2:
                near.append((d, b, bb))
        near.sort(key=lambda t: t[0])
        found: set[Rel] = set()
        for _, b, bb in near[:SPATIAL_PER_NODE]:
            rows_overlap = ba[1] < bb[1] + bb[3] and bb[1] < ba[1] + ba[3]
            cols_overlap = ba[0] < bb[0] + bb[2] and bb[0] < ba[0] + ba[2]
            rel = Rel.LEFT_OF if rows_overlap and ba[0] + ba[2] <= bb[0] else \
                Rel.ABOVE if cols_overlap and ba[1] + ba[3] <= bb[1] else None
            if rel is not None and rel not in found:
                found.add(rel)
                out.append(Relation(src=a, rel=rel, dst=b))
    return out


def _short(text: str, limit: int = NAME_VIEW) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _node_line(n: Node) -> str:
    """One node of the text view: id, kind, tag where it adds something, name, then state."""
    a = n.attrs
    bits = [f"[{n.id}] {n.kind}"]
    tag = a.get("tag")
    if tag and n.kind != "text" and NATURAL_TAG.get(tag) != n.kind:
        bits.append(tag)
    if n.name:
        bits.append(repr(_short(n.name)))
    value = a.get("value")
    if value not in (None, "") and n.kind not in ("button", "option"):
        bits.append(f"value={str(value)!r}")  # whole: it may be the very answer
    elif value == "" and a.get("editable"):
        bits.append("value=''")
    if a.get("placeholder") and a.get("placeholder") != n.name:
        bits.append(f"placeholder={_short(a['placeholder'], 40)!r}")
    bits += [f"{key}={a[key]}" for key in ("min", "max", "step") if a.get(key) not in (None, "")]
    if a.get("options"):
        opts = a["options"]
        bits.append("options=" + " | ".join(opts[:OPTIONS_VIEW]) +
                    (f" (+{len(opts) - OPTIONS_VIEW} more)" if len(opts) > OPTIONS_VIEW else ""))
    bits += [flag for flag in ("checked", "selected", "disabled", "readonly", "focused", "irreversible", "editable")
             if a.get(flag)]
    if a.get("emphasis"):
        bits.append("emphasis=" + ", ".join(repr(e) for e in a["emphasis"]))
    if a.get("icons"):
        bits.append("icons=" + ",".join(a["icons"]))
    if a.get("color") and not n.name.startswith("#"):
        bits.append(f"color={a['color']}")
    if a.get("scrollable") and a.get("scroll"):
        x, y, mx, my = a["scroll"]
        bits.append(f"scrollable (at {y}/{my} down, {x}/{mx} right)")
    if a.get("clipped"):
        bits.append(f"clipped in [{a.get('scroll_box')}]")
    return " ".join(bits)


def text_view(scene: SceneGraph, goal: str) -> str:
    """Compact text: one line per node, `[id] kind tag "name" state`; text-only nodes (and
    wrappers of a control) that repeat their parent's name are folded into it. Long names end in
    `…` (the graph holds them whole); values, options and emphasis are shown whole."""
    by_id = {n.id: n for n in scene.nodes}
    parent = {r.src: r.dst for r in scene.relations if r.rel == Rel.CHILD_OF}
    lines = [f"GOAL: {goal}", f"URL: {page_url(scene)}"]
    for n in scene.nodes:
        if n.kind == PAGE_KIND:  # its URL is the line above
            continue
        a = n.attrs
        up = by_id.get(parent.get(n.id, ""))
        if n.kind in ("text", "generic") and n.name and up is not None and up.name == n.name and (
                not a.get("clickable") or up.get("clickable")):
            continue
        if n.kind == "generic" and not a.get("clickable") and not n.name:
            continue
        lines.append(_node_line(n))
    off = scene.meta.get(OFFSCREEN, 0)
    if off:
        lines.append(f"({off} more elements off-screen; scroll to see them)")
    return "\n".join(lines)
