// What is at a point of the viewport, before a pixel action: whether the point lies inside the
// viewport, and the element there (null over nothing but the document itself) with the id of
// the nearest graph node around it.
([x, y]) => {
  const W = window.innerWidth, H = window.innerHeight;
  if (!(x >= 0 && y >= 0 && x < W && y < H)) return {inside: false, width: W, height: H};
  const el = document.elementFromPoint(x, y);
  if (!el || el === document.documentElement) return {inside: true, what: null, id: null};
  let id = null;
  for (let p = el; p && !id; p = p.parentElement) id = p.getAttribute('data-al-id');
  const what = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (id ? ` (in element ${id})` : '');
  return {inside: true, what, id};
}
