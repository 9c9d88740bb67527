// Whether the element with this id is what a press at (x, y) would reach now: the element there,
// or one inside it, or its label. Asked while the pointer rests on it, before the press.
([id, x, y]) => {
  const el = document.querySelector(`[data-al-id="${id}"]`);
  const t = document.elementFromPoint(x, y);
  return !!(el && t && (t === el || el.contains(t) || (t.tagName === 'LABEL' && t.control === el)));
}
