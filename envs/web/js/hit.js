// What the last mousedown after `locate.js` aimed at an element landed on: null when no
// mousedown came, else whether it reached that element (or its label, or an ancestor it shows
// through) and a description of what it did reach.
() => {
  const aim = window.__alAim;
  if (window.__alAimFn) { window.removeEventListener('mousedown', window.__alAimFn, true); window.__alAimFn = null; }
  window.__alAim = null;
  if (!aim || !aim.target) return null;
  const el = aim.el, t = aim.target;
  const ok = t === el || el.contains(t) || (t.contains && t.contains(el)) ||
    (t.tagName === 'LABEL' && t.control === el) || (el.tagName === 'LABEL' && el.control === t);
  const what = t.tagName ? t.tagName.toLowerCase() + (t.id ? '#' + t.id : '') +
    (t.getAttribute('data-al-id') ? ` (element ${t.getAttribute('data-al-id')})` : '') : String(t);
  return {ok, what};
}
