/* The index's episode list: rows built from data/episodes.js with text nodes only (never
   markup), filtered and sorted by the form and the column headers, the view kept in the
   URL's hash. While a run is being watched, the data file is reloaded every few seconds. */
"use strict";
{
  let L = window.AgentloopList;
  let data = window.AGENTLOOP_DATA || { fields: [], rows: [], live: false, version: "" };
  let all = L.rows(data);
  let form = document.getElementById("filters");
  let tbody = document.querySelector("#episode-list tbody");
  let heads = Array.prototype.slice.call(document.querySelectorAll("#episode-list th[data-sort]"));
  let hash = new URLSearchParams(location.hash.slice(1));
  let view = L.viewOf(hash);
  let focus = hash.get("focus");

  function text(tag, value, cls) {
    let el = document.createElement(tag);
    el.textContent = value === null || value === undefined ? "-" : String(value);
    if (cls) el.className = cls;
    return el;
  }

  function num(v, digits) {
    return v === null || v === undefined ? "-" : Number(v.toPrecision(digits)).toString();
  }

  let CELLS = {
    id: function (e, query) {
      let td = document.createElement("td"), a = text("a", e.id), goal = text("div", e.goal, "goal");
      a.href = "episodes/" + encodeURIComponent(e.id) + ".html" + (query ? "?" + query : "");
      goal.title = e.goal || "";
      td.className = "episode";
      td.appendChild(a);
      td.appendChild(goal);
      return td;
    },
    outcome: function (e) { let td = document.createElement("td"); td.appendChild(text("span", e.outcome, "outcome o-" + e.outcome)); return td; },
    final_progress: function (e) { return text("td", num(e.final_progress, 3), "n"); },
    ret: function (e) { return text("td", num(e.ret, 3), "n"); },
    duration_s: function (e) { return text("td", L.seconds(e.duration_s), "n"); },
    flags: function (e) {
      let td = document.createElement("td");
      td.className = "flags";
      e.flags.forEach(function (f) { let s = text("span", "", "f-" + f); s.title = f; td.appendChild(s); });
      return td;
    },
  };

  function thumb(e) {
    let td = document.createElement("td");
    if (e.animated) {
      let img = document.createElement("img");
      img.loading = "lazy";
      img.className = "thumb";
      img.alt = "";
      img.src = "anim/" + encodeURIComponent(e.id) + ".thumb.webp";
      td.appendChild(img);
    }
    return td;
  }

  function row(e, query) {
    let tr = document.createElement("tr");
    tr.dataset.id = e.id;
    tr.appendChild(thumb(e));
    heads.forEach(function (th) {
      let key = th.dataset.sort, make = CELLS[key];
      tr.appendChild(make ? make(e, query) : text("td", e[key], typeof e[key] === "number" ? "n" : ""));
    });
    if (e.id === focus) tr.className = "focus";
    return tr;
  }

  function render() {
    let shown = L.apply(all, view), query = L.paramsOf(view).toString();
    let frag = document.createDocumentFragment();
    shown.forEach(function (e) { frag.appendChild(row(e, query)); });
    tbody.replaceChildren(frag);
    document.getElementById("shown").textContent = "showing " + shown.length + " of " + all.length;
    heads.forEach(function (th) {
      th.classList.toggle("sorted-asc", th.dataset.sort === view.sort && view.dir === "asc");
      th.classList.toggle("sorted-desc", th.dataset.sort === view.sort && view.dir === "desc");
    });
  }

  function options(select, values) {
    values.forEach(function (v) { let o = text("option", v); o.value = v; select.appendChild(o); });
  }

  function uniq(key) {
    return all.map(function (e) { return e[key]; }).filter(function (v, i, a) { return a.indexOf(v) === i; }).sort();
  }

  function save() {
    let p = L.paramsOf(view);
    history.replaceState(null, "", "#" + p.toString());
  }

  function fromForm() {
    view.task = form.elements.task.value;
    view.outcome = form.elements.outcome.value;
    view.q = form.elements.q.value.trim();
    view.flags = Array.prototype.slice.call(form.querySelectorAll("input[name=flag]:checked")).map(function (i) { return i.value; });
    save();
    render();
  }

  function toForm() {
    form.elements.task.value = view.task;
    form.elements.outcome.value = view.outcome;
    form.elements.q.value = view.q;
    form.querySelectorAll("input[name=flag]").forEach(function (i) { i.checked = view.flags.indexOf(i.value) >= 0; });
  }

  function sortBy(key) {
    view.dir = view.sort === key && view.dir === "asc" ? "desc" : "asc";
    view.sort = key;
    save();
    render();
  }

  function poll() {
    let s = document.createElement("script");
    s.src = "data/episodes.js?t=" + Date.now();
    s.onload = function () {
      s.remove();
      let fresh = window.AGENTLOOP_DATA;
      if (fresh && fresh.version !== data.version) location.reload();
      else if (fresh && fresh.live) setTimeout(poll, 2000);
    };
    s.onerror = function () { s.remove(); setTimeout(poll, 2000); };
    document.head.appendChild(s);
  }

  options(form.elements.task, uniq("task"));
  options(form.elements.outcome, uniq("outcome"));
  toForm();
  form.addEventListener("input", fromForm);
  form.addEventListener("change", fromForm);
  form.addEventListener("submit", function (ev) { ev.preventDefault(); });
  heads.forEach(function (th) {
    th.addEventListener("click", function () { sortBy(th.dataset.sort); });
    th.addEventListener("keydown", function (ev) { if (ev.key === "Enter") sortBy(th.dataset.sort); });
  });
  render();
  let focused = focus && tbody.querySelector("tr.focus");
  if (focused) focused.scrollIntoView({ block: "center" });
  if (data.live) setTimeout(poll, 2000);
}
