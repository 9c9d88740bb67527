// Where an element is, whether it can be seen and reached, and whether something else is on
// top of it: what an action needs to know before it touches the page.
(id) => {
  const el = document.querySelector(`[data-al-id="${id}"]`);
  if (!el) return {found: false};
  const r = el.getBoundingClientRect();
  const cs = getComputedStyle(el);
  const visible = r.width > 0 && r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none';
  const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
  const inView = cx >= 0 && cy >= 0 && cx < window.innerWidth && cy < window.innerHeight;
  let coveredBy = null;
  if (visible && inView) {
    const top = document.elementFromPoint(cx, cy);
    if (top && top !== el && !el.contains(top) && !top.contains(el) &&
        !(el.tagName === 'INPUT' && top.tagName === 'LABEL' && top.control === el)) {
      coveredBy = top.tagName.toLowerCase() + (top.id ? '#' + top.id : '') +
        (top.getAttribute('data-al-id') ? ` (element ${top.getAttribute('data-al-id')})` : '');
    }
  }
  const tag = el.tagName;
  const editable = ((tag === 'INPUT' && !['checkbox','radio','button','submit','reset','range','file'].includes((el.type||'text').toLowerCase()))
    || tag === 'TEXTAREA' || el.isContentEditable) && !el.readOnly && !el.disabled;
  return {found: true, visible, in_view: inView, covered_by: coveredBy, x: cx, y: cy, editable, tag: tag.toLowerCase(),
          type: (el.type || '').toLowerCase(), checked: !!el.checked};
}
