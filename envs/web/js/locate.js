// Where an element is, whether it can be seen and reached, and whether something else is on
// top of it: what an action needs to know before it touches the page. Its visible part is its
// box clipped by every clipping ancestor; the point to act on is that part's centre. With
// `reveal`, an element clipped by a scroll box or outside the viewport is first scrolled into
// view (instantly, so no animation is under way when the action lands). With `aim`, the element
// becomes the one the next mousedown is checked against (`hit.js`).
([id, reveal, aim]) => {
  const el = document.querySelector(`[data-al-id="${id}"]`);
  if (!el) return {found: false};
  const body = document.body, root = document.documentElement;
  const measure = () => {
    const r = el.getBoundingClientRect();
    let l = r.left, t = r.top, rr = r.right, b = r.bottom, box = null;
    let abs = getComputedStyle(el).position;
    for (let p = el.parentElement; p && p !== body && p !== root && abs !== 'fixed'; p = p.parentElement) {
      const cs = getComputedStyle(p);
      // An absolutely placed element escapes the clipping of static ancestors below its containing block.
      if (abs === 'absolute' && cs.position === 'static' && cs.transform === 'none') continue;
      abs = cs.position;
      if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
      const pr = p.getBoundingClientRect(), pl = pr.left + p.clientLeft, pt = pr.top + p.clientTop;
      l = Math.max(l, pl); t = Math.max(t, pt); rr = Math.min(rr, pl + p.clientWidth); b = Math.min(b, pt + p.clientHeight);
      const scrolls = (/(auto|scroll)/.test(cs.overflowY) && p.scrollHeight > p.clientHeight + 1) ||
                      (/(auto|scroll)/.test(cs.overflowX) && p.scrollWidth > p.clientWidth + 1);
      if (scrolls && box === null) box = p;
    }
    const clipped = rr - l < 1 || b - t < 1;
    // The part inside the viewport too: that is where a pointer can reach. An inline element
    // that wraps has one box per line, and the centre of their union may be on neither: the
    // point is the centre of the first line's visible part that is the element's own at that point.
    const clip = [Math.max(l, 0), Math.max(t, 0), Math.min(rr, window.innerWidth), Math.min(b, window.innerHeight)];
    let x = r.left + r.width / 2, y = r.top + r.height / 2, inView = false;
    const rects = el.getClientRects();
    for (const part of (rects.length > 1 ? [...rects, r] : [r])) {
      const vl = Math.max(part.left, clip[0]), vt = Math.max(part.top, clip[1]);
      const vr = Math.min(part.right, clip[2]), vb = Math.min(part.bottom, clip[3]);
      if (clipped || vr - vl < 1 || vb - vt < 1) continue;
      const px = (vl + vr) / 2, py = (vt + vb) / 2;
      if (!inView) { x = px; y = py; inView = true; }  // the first reachable part, whatever is on top
      const top = document.elementFromPoint(px, py);
      if (top && (top === el || el.contains(top))) { x = px; y = py; break; }
    }
    return {r, clipped, inView, box, x, y};
  };
  const cs = getComputedStyle(el);
  let m = measure();
  const visible = m.r.width > 0 && m.r.height > 0 && cs.visibility !== 'hidden' && cs.display !== 'none';
  let scrolled = false;
  if (visible && reveal && (m.clipped || !m.inView)) {
    el.scrollIntoView({block: 'nearest', inline: 'nearest', behavior: 'instant'});
    scrolled = true;
    m = measure();
  }
  const boxId = m.box ? m.box.getAttribute('data-al-id') : null;
  let coveredBy = null;
  if (visible && m.inView) {
    const top = document.elementFromPoint(m.x, m.y);
    if (top && top !== el && !el.contains(top) && !top.contains(el) &&
        !(el.tagName === 'INPUT' && top.tagName === 'LABEL' && top.control === el)) {
      coveredBy = top.tagName.toLowerCase() + (top.id ? '#' + top.id : '') +
        (top.getAttribute('data-al-id') ? ` (element ${top.getAttribute('data-al-id')})` : '');
    }
  }
  if (aim) {
    const hooks = window.__alHooks;
    if (window.__alAimFn) window.removeEventListener('mousedown', window.__alAimFn, true);
    window.__alAim = {el, target: null};
    window.__alAimFn = e => { if (window.__alAim && window.__alAim.target === null) window.__alAim.target = e.target; };
    window.addEventListener('mousedown', window.__alAimFn, true);
  }
  const tag = el.tagName;
  const editable = ((tag === 'INPUT' && !['checkbox','radio','button','submit','reset','range','file'].includes((el.type||'text').toLowerCase()))
    || tag === 'TEXTAREA' || el.isContentEditable) && !el.readOnly && !el.disabled;
  return {found: true, visible, in_view: m.inView, clipped: m.clipped, box: boxId, scrolled, covered_by: coveredBy,
          x: m.x, y: m.y, editable, tag: tag.toLowerCase(), type: (el.type || '').toLowerCase(), checked: !!el.checked};
}
