"""The web page as an element graph, built from ONE DOM snapshot per step.

Node schema (`agentloop.scene.Node`):

- `id`: `str(int)`, stable for the episode. The snapshot script stamps each element it reports
  with a `data-al-id` attribute the first time it sees it, so the same element keeps its id
  across steps; skills address elements by this id (`click(element="12")`).
- `kind`: the element's role: button, link, textbox, checkbox, radio, combobox, option,
  heading, text, img, listitem, tab, slider, label, cell, menuitem, treeitem, generic (a
  clickable span/div without a role), ...
- `name`: visible text, or the accessible name (aria-label, <label>, placeholder, alt, title).
- `attrs`:
  `tag` (lower-case tag name), `value` (form value or None), `checked` (bool or None),
  `selected` (bool or None), `disabled` (bool), `editable` (bool), `focused` (bool),
  `visible` (bool), `bbox` ([x, y, w, h] in CSS pixels of the viewport), `href` (or None),
  `placeholder` (or None), `clickable` (bool: interactive tag, role, onclick, cursor:pointer),
  `irreversible` (bool: matches one of the task's `irreversible_selectors`), `dom_id` (the
  element's `id` attribute or None).

Relations: `child_of` (to the nearest reported ancestor) and bounded spatial relations among
nearby elements: `left_of`, `right_of`, `above`, `below` (src is left of / above dst, with
overlapping rows / columns) and `near` (centres within 60 px); each node gets at most
`SPATIAL_PER_NODE` spatial relations, to its closest neighbours.

Only elements inside the viewport become nodes; `SceneGraph.meta["offscreen"]` counts the
visible elements outside it, `meta["total"]` all reported elements.
"""

from __future__ import annotations

import math
from typing import Any

from agentloop.scene import Node, Relation, SceneGraph

SPATIAL_PER_NODE = 4
NEAR_PX = 60.0

# Runs in the page; returns plain JSON. Interactive elements and elements with their own text.
SNAPSHOT_JS = r"""
(irreversible) => {
  const W = window.innerWidth, H = window.innerHeight;
  if (window.__alNext === undefined) window.__alNext = 1;
  const INTERACTIVE = new Set(['A','BUTTON','INPUT','SELECT','TEXTAREA','OPTION','SUMMARY','LABEL']);
  const ROLE_OF = {A:'link',BUTTON:'button',SELECT:'combobox',TEXTAREA:'textbox',OPTION:'option',
    H1:'heading',H2:'heading',H3:'heading',H4:'heading',H5:'heading',H6:'heading',IMG:'img',
    LI:'listitem',SUMMARY:'button',LABEL:'label',TD:'cell',TH:'cell',CANVAS:'canvas',SVG:'img'};
  const out = [];
  let offscreen = 0;
  const all = document.body ? document.body.getElementsByTagName('*') : [];
  const irr = irreversible && irreversible.length ? irreversible.join(',') : null;
  const SKIP = new Set(['SCRIPT','STYLE','NOSCRIPT','TEMPLATE','HEAD','META','LINK','BR']);
  const active = document.activeElement;
  for (let i = 0; i < all.length; i++) {
    const el = all[i];
    const tag = el.tagName;
    if (SKIP.has(tag)) continue;
    const role = el.getAttribute('role');
    let own = '';
    for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 3) own += c.nodeValue;
    own = own.replace(/\s+/g, ' ').trim();
    const hasClick = el.onclick !== null || el.hasAttribute('onclick') || el.hasAttribute('tabindex');
    const interactive = INTERACTIVE.has(tag) || !!role || hasClick || el.isContentEditable;
    const img = tag === 'IMG' || tag === 'CANVAS' || tag === 'svg' || tag === 'SVG';
    if (!interactive && !own && !img) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'none' || cs.opacity === '0') continue;
    if (r.bottom < 0 || r.right < 0 || r.top > H || r.left > W) { offscreen++; continue; }
    let id = el.getAttribute('data-al-id');
    if (!id) { id = String(window.__alNext++); el.setAttribute('data-al-id', id); }
    let kind = role || ROLE_OF[tag.toUpperCase()] || null;
    let value = null, checked = null, selected = null, editable = false;
    if (tag === 'INPUT') {
      const t = (el.type || 'text').toLowerCase();
      if (t === 'checkbox' || t === 'radio') { kind = role || t; checked = el.checked; }
      else if (t === 'button' || t === 'submit' || t === 'reset') { kind = role || 'button'; value = el.value; }
      else if (t === 'range') { kind = role || 'slider'; value = el.value; }
      else { kind = role || 'textbox'; value = el.value; editable = !el.readOnly && !el.disabled; }
    } else if (tag === 'TEXTAREA') { value = el.value; editable = !el.readOnly && !el.disabled; }
    else if (tag === 'SELECT') { value = el.value; }
    else if (tag === 'OPTION') { selected = el.selected; value = el.value; }
    if (el.isContentEditable && tag !== 'INPUT' && tag !== 'TEXTAREA') { editable = true; kind = kind || 'textbox'; }
    const clickable = INTERACTIVE.has(tag) || hasClick || cs.cursor === 'pointer' ||
      ['button','link','tab','checkbox','radio','menuitem','option','treeitem'].includes(role);
    if (!kind) kind = own ? (clickable ? 'generic' : 'text') : 'generic';
    let name = '';
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') {
      name = el.getAttribute('aria-label') || '';
      if (!name && el.labels && el.labels.length) name = el.labels[0].textContent;
      if (!name) name = el.getAttribute('placeholder') || el.getAttribute('title') || el.getAttribute('name') || '';
      if (!name && (kind === 'button')) name = el.value || '';
    } else if (img) {
      name = el.getAttribute('alt') || el.getAttribute('title') || el.getAttribute('aria-label') || '';
    } else if (INTERACTIVE.has(tag) || role || hasClick) {
      name = el.getAttribute('aria-label') || (el.innerText || el.textContent || '');
    } else {
      name = own;
    }
    name = name.replace(/\s+/g, ' ').trim().slice(0, 200);
    let parent = null;
    for (let p = el.parentElement; p; p = p.parentElement) {
      const pid = p.getAttribute && p.getAttribute('data-al-id');
      if (pid) { parent = pid; break; }
    }
    out.push({id, kind, name, parent,
      tag: tag.toLowerCase(), value, checked, selected,
      disabled: !!el.disabled || el.getAttribute('aria-disabled') === 'true',
      editable, focused: el === active, visible: true,
      bbox: [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)],
      href: tag === 'A' ? el.getAttribute('href') : null,
      placeholder: el.getAttribute('placeholder'), clickable,
      irreversible: irr ? el.matches(irr) : false, dom_id: el.id || null});
  }
  return {nodes: out, offscreen, url: location.href, title: document.title,
          scroll: [window.scrollX, window.scrollY], viewport: [W, H]};
}
"""


def build_scene(snap: dict[str, Any]) -> SceneGraph:
    """Turn the snapshot script's output into a `SceneGraph` with child_of and spatial relations."""
    nodes: list[Node] = []
    rels: list[Relation] = []
    ids = {n["id"] for n in snap["nodes"]}
    for raw in snap["nodes"]:
        attrs = {k: raw[k] for k in (
            "tag", "value", "checked", "selected", "disabled", "editable", "focused", "visible",
            "bbox", "href", "placeholder", "clickable", "irreversible", "dom_id")}
        nodes.append(Node(id=raw["id"], kind=raw["kind"], name=raw["name"], attrs=attrs))
        if raw["parent"] in ids:
            rels.append(Relation(src=raw["id"], rel="child_of", dst=raw["parent"]))
    rels.extend(_spatial(snap["nodes"]))
    return SceneGraph(nodes=nodes, relations=rels, meta={
        "offscreen": snap["offscreen"], "url": snap["url"], "title": snap["title"],
        "viewport": snap["viewport"],
    })


def _spatial(raws: list[dict[str, Any]]) -> list[Relation]:
    # Only leaf-ish interactive/text nodes take part, each linked to its few closest neighbours:
    # the full pairwise set would be quadratic on large pages.
    pts = [(r["id"], r["bbox"]) for r in raws if r["clickable"] or r["kind"] in ("text", "label")]
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
        for d, b, bb in near[:SPATIAL_PER_NODE]:
            rows_overlap = ba[1] < bb[1] + bb[3] and bb[1] < ba[1] + ba[3]
            cols_overlap = ba[0] < bb[0] + bb[2] and bb[0] < ba[0] + ba[2]
            if rows_overlap and ba[0] + ba[2] <= bb[0]:
                out.append(Relation(src=a, rel="left_of", dst=b))
            elif rows_overlap and bb[0] + bb[2] <= ba[0]:
                out.append(Relation(src=a, rel="right_of", dst=b))
            elif cols_overlap and ba[1] + ba[3] <= bb[1]:
                out.append(Relation(src=a, rel="above", dst=b))
            elif cols_overlap and bb[1] + bb[3] <= ba[1]:
                out.append(Relation(src=a, rel="below", dst=b))
            if d <= NEAR_PX:
                out.append(Relation(src=a, rel="near", dst=b))
    return out


def text_view(scene: SceneGraph, goal: str) -> str:
    """Compact text: one line per node, `[id] kind "name" state`; text-only nodes that repeat
    their parent's name are folded into it."""
    names = {n.id: n.name for n in scene.nodes}
    parent = {r.src: r.dst for r in scene.relations if r.rel == "child_of"}
    lines = [f"GOAL: {goal}", f"URL: {scene.meta.get('url', '')}"]
    for n in scene.nodes:
        a = n.attrs
        if n.kind in ("text", "generic") and not a.get("clickable") and n.name and names.get(parent.get(n.id, "")) == n.name:
            continue
        if n.kind == "generic" and not a.get("clickable") and not n.name:
            continue
        bits = [f"[{n.id}] {n.kind}"]
        if n.name:
            bits.append(repr(n.name[:80]))
        if a.get("value") not in (None, "") and n.kind not in ("button", "option"):
            bits.append(f"value={a['value']!r}")
        for flag in ("checked", "selected", "disabled", "focused", "irreversible"):
            if a.get(flag):
                bits.append(flag)
        lines.append(" ".join(bits))
    off = scene.meta.get("offscreen", 0)
    if off:
        lines.append(f"({off} more elements off-screen; scroll to see them)")
    return "\n".join(lines)
