// What the last mousedown after `locate.js` aimed at an element landed on: null when no
// mousedown came, else whether it reached that element (or its label, or an ancestor it lets the
// pointer through to) and a description of what it did reach.
() => {
  const aim = window.__alAim;
  if (window.__alAimFn) { window.removeEventListener('mousedown', window.__alAimFn, true); window.__alAimFn = null; }
  window.__alAim = null;
  if (!aim || !aim.target) return null;
  const el = aim.el, t = aim.target;
  // An ancestor counts only when the element lets the pointer through (pointer-events: none);
  // else the press fell beside it (between the lines of a wrapped link, say).
  const through = t.contains && t.contains(el) && getComputedStyle(el).pointerEvents === 'none';
  const ok = t === el || el.contains(t) || through ||
    (t.tagName === 'LABEL' && t.control === el) || (el.tagName === 'LABEL' && el.control === t);
  const what = t.tagName ? t.tagName.toLowerCase() + (t.id ? '#' + t.id : '') +
    (t.getAttribute('data-al-id') ? ` (element ${t.getAttribute('data-al-id')})` : '') : String(t);
  // Its own container (a hover that swapped the element's image, and it vanished for a moment).
  return {ok, what, around: !ok && !!(t.contains && t.contains(el))};
}
