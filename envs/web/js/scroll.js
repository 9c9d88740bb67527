// Scrolls the page, or the scroll box with that id (an element that does not scroll itself
// scrolls its nearest scrolling ancestor), instantly. Answers null when there is no such
// element, else the id of what scrolled ("page" for the window) and whether anything moved.
([id, dx, dy]) => {
  const scrolls = el => {
    const cs = getComputedStyle(el);
    return (/(auto|scroll)/.test(cs.overflowY) && el.scrollHeight > el.clientHeight + 1) ||
           (/(auto|scroll)/.test(cs.overflowX) && el.scrollWidth > el.clientWidth + 1);
  };
  let target = null;
  if (id !== null) {
    const el = document.querySelector(`[data-al-id="${id}"]`);
    if (!el) return null;
    for (let p = el; p && p !== document.body && p !== document.documentElement; p = p.parentElement)
      if (scrolls(p)) { target = p; break; }
  }
  const before = target ? [target.scrollLeft, target.scrollTop] : [window.scrollX, window.scrollY];
  (target || window).scrollBy({left: dx, top: dy, behavior: 'instant'});
  const after = target ? [target.scrollLeft, target.scrollTop] : [window.scrollX, window.scrollY];
  return {what: target ? (target.getAttribute('data-al-id') || 'box') : 'page',
          moved: before[0] !== after[0] || before[1] !== after[1]};
}
