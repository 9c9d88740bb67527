/* The episode list's data, filters and order, shared by the index (which shows the list) and
   the episode pages (whose ↑/↓ walk the list in the order the index showed it). A view is
   kept in a URL's query or hash: task, outcome, flag (repeatable), q, sort, dir. */
"use strict";
{

  function rows(data) {
    if (!data) return [];
    return data.rows.map(function (r) {
      let o = {};
      data.fields.forEach(function (f, i) { o[f] = r[i]; });
      return o;
    });
  }

  function viewOf(params) {
    return {
      task: params.get("task") || "",
      outcome: params.get("outcome") || "",
      flags: params.getAll("flag"),
      q: (params.get("q") || "").trim(),
      sort: params.get("sort") || "id",
      dir: params.get("dir") === "desc" ? "desc" : "asc",
    };
  }

  function paramsOf(view) {
    let p = new URLSearchParams();
    if (view.task) p.set("task", view.task);
    if (view.outcome) p.set("outcome", view.outcome);
    view.flags.forEach(function (f) { p.append("flag", f); });
    if (view.q) p.set("q", view.q);
    if (view.sort && view.sort !== "id") p.set("sort", view.sort);
    if (view.dir === "desc") p.set("dir", "desc");
    return p;
  }

  function keep(view) {
    let q = view.q.toLowerCase();
    return function (e) {
      if (view.task && e.task !== view.task) return false;
      if (view.outcome && e.outcome !== view.outcome) return false;
      for (let i = 0; i < view.flags.length; i++) {
        if (e.flags.indexOf(view.flags[i]) < 0) return false;
      }
      if (q && e.id.toLowerCase().indexOf(q) < 0 && (e.goal || "").toLowerCase().indexOf(q) < 0) return false;
      return true;
    };
  }

  function compare(key, dir) {
    let sign = dir === "desc" ? -1 : 1;
    return function (a, b) {
      let x = a[key], y = b[key];
      if (x === y) return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      if (x === null || x === undefined) return 1; // absent values last, either way
      if (y === null || y === undefined) return -1;
      if (typeof x === "number" && typeof y === "number") return sign * (x - y);
      return sign * String(x).localeCompare(String(y));
    };
  }

  function apply(list, view) {
    return list.filter(keep(view)).sort(compare(view.sort, view.dir));
  }

  function seconds(v) {
    if (v === null || v === undefined) return "-";
    if (v < 1e-3) return Math.round(v * 1e6) + " µs";
    if (v < 1) return Math.round(v * 1e3) + " ms";
    if (v < 60) return v.toFixed(1) + " s";
    return Math.floor(v / 60) + " min " + String(Math.floor(v % 60)).padStart(2, "0") + " s";
  }

  window.AgentloopList = { rows: rows, viewOf: viewOf, paramsOf: paramsOf, apply: apply, seconds: seconds };
}
