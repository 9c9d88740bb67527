// The page as plain JSON for the element graph (see `elements.py`): interactive elements and
// elements with their own text, each stamped with a `data-al-id` that stays for the episode.
(irreversible) => {
  const W = window.innerWidth, H = window.innerHeight;
  if (window.__alNext === undefined) window.__alNext = 1;
  const INTERACTIVE = new Set(['A','BUTTON','INPUT','SELECT','TEXTAREA','OPTION','SUMMARY','LABEL']);
  const ROLE_OF = {A:'link',BUTTON:'button',SELECT:'combobox',TEXTAREA:'textbox',OPTION:'option',
    H1:'heading',H2:'heading',H3:'heading',H4:'heading',H5:'heading',H6:'heading',IMG:'img',
    LI:'listitem',SUMMARY:'button',LABEL:'label',TD:'cell',TH:'cell',CANVAS:'canvas',SVG:'img'};
  const out = [];
  let offscreen = 0;
  const all = document.body ? document.body.getElementsByTagName('*') : [];
  const irr = irreversible && irreversible.length ? irreversible.join(',') : null;
  const SKIP = new Set(['SCRIPT','STYLE','NOSCRIPT','TEMPLATE','HEAD','META','LINK','BR']);
  const active = document.activeElement;
  for (let i = 0; i < all.length; i++) {
    const el = all[i];
    const tag = el.tagName;
    if (SKIP.has(tag)) continue;
    const role = el.getAttribute('role');
    let own = '';
    for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 3) own += c.nodeValue;
    own = own.replace(/\s+/g, ' ').trim();
    const hasClick = el.onclick !== null || el.hasAttribute('onclick') || el.hasAttribute('tabindex');
    const interactive = INTERACTIVE.has(tag) || !!role || hasClick || el.isContentEditable;
    const img = tag === 'IMG' || tag === 'CANVAS' || tag === 'svg' || tag === 'SVG';
    if (!interactive && !own && !img) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'none' || cs.opacity === '0') continue;
    if (r.bottom < 0 || r.right < 0 || r.top > H || r.left > W) { offscreen++; continue; }
    let id = el.getAttribute('data-al-id');
    if (!id) { id = String(window.__alNext++); el.setAttribute('data-al-id', id); }
    let kind = role || ROLE_OF[tag.toUpperCase()] || null;
    let value = null, checked = null, selected = null, editable = false;
    if (tag === 'INPUT') {
      const t = (el.type || 'text').toLowerCase();
      if (t === 'checkbox' || t === 'radio') { kind = role || t; checked = el.checked; }
      else if (t === 'button' || t === 'submit' || t === 'reset') { kind = role || 'button'; value = el.value; }
      else if (t === 'range') { kind = role || 'slider'; value = el.value; }
      else { kind = role || 'textbox'; value = el.value; editable = !el.readOnly && !el.disabled; }
    } else if (tag === 'TEXTAREA') { value = el.value; editable = !el.readOnly && !el.disabled; }
    else if (tag === 'SELECT') { value = el.value; }
    else if (tag === 'OPTION') { selected = el.selected; value = el.value; }
    if (el.isContentEditable && tag !== 'INPUT' && tag !== 'TEXTAREA') { editable = true; kind = kind || 'textbox'; }
    const clickable = INTERACTIVE.has(tag) || hasClick || cs.cursor === 'pointer' ||
      ['button','link','tab','checkbox','radio','menuitem','option','treeitem'].includes(role);
    if (!kind) kind = own ? (clickable ? 'generic' : 'text') : 'generic';
    let name = '';
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') {
      name = el.getAttribute('aria-label') || '';
      if (!name && el.labels && el.labels.length) name = el.labels[0].textContent;
      if (!name) name = el.getAttribute('placeholder') || el.getAttribute('title') || el.getAttribute('name') || '';
      if (!name && (kind === 'button')) name = el.value || '';
    } else if (img) {
      name = el.getAttribute('alt') || el.getAttribute('title') || el.getAttribute('aria-label') || '';
    } else if (INTERACTIVE.has(tag) || role || hasClick) {
      name = el.getAttribute('aria-label') || (el.innerText || el.textContent || '');
    } else {
      name = own;
    }
    name = name.replace(/\s+/g, ' ').trim().slice(0, 200);
    let parent = null;
    for (let p = el.parentElement; p; p = p.parentElement) {
      const pid = p.getAttribute && p.getAttribute('data-al-id');
      if (pid) { parent = pid; break; }
    }
    out.push({id, kind, name, parent,
      tag: tag.toLowerCase(), value, checked, selected,
      disabled: !!el.disabled || el.getAttribute('aria-disabled') === 'true',
      editable, focused: el === active, visible: true,
      bbox: [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)],
      href: tag === 'A' ? el.getAttribute('href') : null,
      placeholder: el.getAttribute('placeholder'), clickable,
      irreversible: irr ? el.matches(irr) : false, dom_id: el.id || null});
  }
  return {nodes: out, offscreen, url: location.href, title: document.title,
          scroll: [window.scrollX, window.scrollY], viewport: [W, H]};
}
