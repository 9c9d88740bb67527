/* An episode page: one step shown at a time (the hash names it, #s3), chosen on the
   timeline, on the plot or with ←/→; ↑/↓ open the previous/next episode of the list the
   index showed (its view travels in this page's query); m hides or shows the marks. */
"use strict";
{
  let L = window.AgentloopList;
  let page = window.AGENTLOOP_PAGE;
  let steps = Array.prototype.slice.call(document.querySelectorAll("section.step"));
  let segs = Array.prototype.slice.call(document.querySelectorAll(".timeline .seg"));
  let cursor = document.getElementById("plot-cursor");
  let hits = Array.prototype.slice.call(document.querySelectorAll("svg .hit"));
  let query = location.search.slice(1);
  let current = -1;
  let prev = null, next = null;

  let loaded = false;

  function select(i, push) {
    if (!steps.length) return;
    i = Math.max(0, Math.min(steps.length - 1, i));
    steps.forEach(function (s, k) { s.hidden = k !== i; });
    segs.forEach(function (s, k) { s.classList.toggle("current", k === i); });
    if (cursor && hits[i]) {
      cursor.setAttribute("x1", hits[i].dataset.x);
      cursor.setAttribute("x2", hits[i].dataset.x);
    }
    if (i !== current && loaded) {
      let url = location.pathname + location.search + "#s" + i;
      if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
    }
    current = i;
  }

  function fromHash() {
    let m = /^#s(\d+)$/.exec(location.hash);
    select(m ? parseInt(m[1], 10) : 0, false);
  }

  function pageOf(id) {
    return encodeURIComponent(id) + ".html" + (query ? "?" + query : "");
  }

  function neighbours() {
    let all = L.rows(window.AGENTLOOP_DATA);
    let list = L.apply(all, L.viewOf(new URLSearchParams(query)));
    let ids = list.map(function (e) { return e.id; });
    let at = ids.indexOf(page.id);
    if (at < 0) {  // not in the view it came from (or no view): the whole list, by id
      ids = all.map(function (e) { return e.id; }).sort();
      at = ids.indexOf(page.id);
    }
    prev = at > 0 ? ids[at - 1] : null;
    next = at >= 0 && at + 1 < ids.length ? ids[at + 1] : null;
    [["prev-episode", prev], ["next-episode", next]].forEach(function (p) {
      let a = document.getElementById(p[0]);
      if (p[1]) { a.href = pageOf(p[1]); a.hidden = false; a.title = p[1]; }
    });
    let back = new URLSearchParams(query);
    back.set("focus", page.id);
    document.getElementById("to-index").href = "../index.html#" + back.toString();
  }

  segs.forEach(function (s, k) {
    s.addEventListener("click", function (ev) { ev.preventDefault(); select(k, true); });
  });
  hits.forEach(function (h, k) { h.addEventListener("click", function () { select(k, true); }); });
  window.addEventListener("hashchange", fromHash);
  window.addEventListener("popstate", fromHash);
  document.addEventListener("keydown", function (ev) {
    let t = ev.target;
    if (ev.altKey || ev.ctrlKey || ev.metaKey || (t && /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    if (ev.key === "ArrowLeft") select(current - 1, false);
    else if (ev.key === "ArrowRight") select(current + 1, false);
    else if (ev.key === "ArrowUp" && prev) location.href = pageOf(prev);
    else if (ev.key === "ArrowDown" && next) location.href = pageOf(next);
    else if (ev.key === "m") document.body.classList.toggle("no-marks");
    else return;
    ev.preventDefault();
  });
  // The page opens at its top (title, goal, outcome, plot, timeline), also when its URL names
  // a step: a URL that names a section while the page loads makes the browser scroll to it,
  // so the step goes into the URL only once the page has loaded.
  neighbours();
  fromHash();
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  window.addEventListener("load", function () {
    loaded = true;
    if (steps.length) history.replaceState(null, "", location.pathname + location.search + "#s" + current);
    window.scrollTo(0, 0);
  });
}
