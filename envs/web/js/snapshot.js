// The page as plain JSON for the element graph (see `elements.py`): every element a person could
// act on or read, each stamped with a `data-al-id` that stays for the episode. Actionable means an
// interactive tag or role, a pointer listener (recorded by `hooks.js`, jQuery's delegated ones
// too), or the element where `cursor: pointer` begins; elements without text are named from
// aria-label, title, alt, their icon's file, their class or their colour. Boxes and visibility are
// clipped against every clipping ancestor; scrolling ones are nodes of their own. The task's
// chrome (`chrome` selectors) is left out.
({irreversible, chrome}) => {
  const W = window.innerWidth, H = window.innerHeight;
  if (window.__alNext === undefined) window.__alNext = 1;
  const INTERACTIVE = new Set(['A','BUTTON','INPUT','SELECT','TEXTAREA','OPTION','SUMMARY','LABEL']);
  const ROLE_OF = {A:'link',BUTTON:'button',SELECT:'combobox',TEXTAREA:'textbox',OPTION:'option',
    H1:'heading',H2:'heading',H3:'heading',H4:'heading',H5:'heading',H6:'heading',IMG:'img',
    LI:'listitem',SUMMARY:'button',LABEL:'label',TD:'cell',TH:'columnheader',TR:'row',TABLE:'table',
    CANVAS:'canvas',SVG:'img',svg:'img'};
  const SKIP = new Set(['SCRIPT','STYLE','NOSCRIPT','TEMPLATE','HEAD','META','LINK','BR','OPTGROUP']);
  // SVG shapes a person sees (a circle to chase, a marked point): nodes with boxes, named by shape and fill.
  const SHAPES = new Set(['circle','ellipse','rect','polygon','polyline','path','line']);
  const OPTIONS_MAX = 1000;  // a drop-down list's options listed, at most (a scene's text shows 50 and counts the rest)
  const CLICK_ROLES = ['button','link','tab','checkbox','radio','menuitem','option','treeitem','switch','slider','spinbutton'];
  // Inline children whose text is part of their parent's sentence (the instruction's bold words).
  const INLINE = new Set(['SPAN','B','STRONG','EM','I','U','CODE','MARK','SMALL','SUB','SUP','Q','KBD','TT']);
  const EMPHASIS = new Set(['B','STRONG','EM','I','U','MARK','CODE','Q','KBD']);
  const NAME_MAX = 2000;  // a name longer than this ends in '…': the graph holds no novels
  const CONTROL_TAGS = new Set(['A','BUTTON','INPUT','SELECT','TEXTAREA','SUMMARY']);  // (a label is no control)
  const GROUP_TAGS = new Set(['DIV','SECTION','ARTICLE','LI','FORM','FIELDSET']);
  const GROUP_NAME_MAX = 60;
  // Text made only of separators and punctuation ("| | |" between a nav's links) says nothing.
  const PUNCT_ONLY = /^[\p{P}|¦\s]+$/u;
  const CLIPPED_MAX = 200;  // nodes hidden inside scroll boxes, at most (the rest are counted)
  const AWAY_MAX = 1000;  // ids of elements outside the viewport, at most
  const out = [];
  let offscreen = 0, clippedCount = 0, clippedLeft = 0;
  // Elements seen earlier this episode (they carry an id) that now lie outside the viewport: an
  // action on one scrolls it into view first, so its id is still good.
  const away = [];
  const seenAway = el => {
    const sid = el.getAttribute('data-al-id');
    if (sid && away.length < AWAY_MAX) { const cs = getComputedStyle(el); if (cs.visibility !== 'hidden') away.push(sid); }
  };
  const body = document.body, root = document.documentElement;
  const all = body ? body.getElementsByTagName('*') : [];
  const irr = irreversible && irreversible.length ? irreversible.join(',') : null;
  const active = document.activeElement;
  const sentences = new Set();  // elements whose inline children's text is already in their name
  const openBoxes = [];  // scroll boxes in view, so far

  const chromeEls = new Set();
  if (chrome && chrome.length) for (const c of document.querySelectorAll(chrome.join(','))) {
    chromeEls.add(c);
    for (const d of c.getElementsByTagName('*')) chromeEls.add(d);
  }
  // Pointer listeners: direct ones from the hook, delegated jQuery ones from jQuery's own books.
  const hooks = window.__alHooks;
  const listened = new Set();
  if (hooks) {
    const jq = window.jQuery;
    for (const t of Array.from(hooks.listened)) {
      if (t instanceof Element && !t.isConnected) { hooks.listened.delete(t); continue; }
      const evs = jq && jq._data ? jq._data(t, 'events') : null;
      // A jQuery host whose handlers all name a selector only delegates: its targets are the controls.
      let direct = !evs;
      if (evs) for (const type of ['click', 'mousedown', 'mouseup', 'dblclick', 'pointerdown', 'touchstart']) {
        for (const h of (evs[type] || [])) {
          if (!h.selector) { direct = true; continue; }
          try { for (const d of jq(t).find(h.selector)) if (!chromeEls.has(d)) listened.add(d); } catch (e) {}
        }
      }
      if (direct && t instanceof Element && t !== body && t !== root && !chromeEls.has(t)) listened.add(t);
    }
  }

  const styles = new Map();
  const style = el => { let s = styles.get(el); if (!s) { s = getComputedStyle(el); styles.set(el, s); } return s; };
  // Clipping: `regionOf(el)` is where el's own box can show ({rect: [l, t, r, b], box: nearest
  // scrolling ancestor}), set by the ancestors that clip it; `contentOf(el)` adds el's own overflow.
  const NOCLIP = {rect: [-Infinity, -Infinity, Infinity, Infinity], box: null};
  const regions = new Map(), contents = new Map();
  const scrolls = el => {
    const cs = style(el);
    return (/(auto|scroll)/.test(cs.overflowY) && el.scrollHeight > el.clientHeight + 1) ||
           (/(auto|scroll)/.test(cs.overflowX) && el.scrollWidth > el.clientWidth + 1);
  };
  const contentOf = el => {
    let c = contents.get(el);
    if (c) return c;
    const base = regionOf(el), cs = style(el);
    c = base;
    if (cs.clip === 'rect(0px, 0px, 0px, 0px)') c = {rect: [0, 0, 0, 0], box: null};  // shows nothing, ever
    else if (el !== body && el !== root && (cs.overflowX !== 'visible' || cs.overflowY !== 'visible')) {
      const r = el.getBoundingClientRect(), l = r.left + el.clientLeft, t = r.top + el.clientTop;
      c = {rect: [Math.max(base.rect[0], l), Math.max(base.rect[1], t),
                  Math.min(base.rect[2], l + el.clientWidth), Math.min(base.rect[3], t + el.clientHeight)],
           box: scrolls(el) ? el : base.box};
    }
    contents.set(el, c);
    return c;
  };
  const regionOf = el => {
    let c = regions.get(el);
    if (c) return c;
    const pos = style(el).position;
    let p = el.parentElement;
    if (pos === 'fixed') p = null;  // only the viewport clips it
    else if (pos === 'absolute') {  // clipped by its containing block's ancestors, not by static ones between
      while (p && p !== body && style(p).position === 'static' && style(p).transform === 'none') p = p.parentElement;
    }
    c = p && p !== root ? contentOf(p) : NOCLIP;
    regions.set(el, c);
    return c;
  };
  const idOf = el => {
    let id = el.getAttribute('data-al-id');
    if (!id) { id = String(window.__alNext++); el.setAttribute('data-al-id', id); }
    return id;
  };
  const clean = s => s.replace(/\s+/g, ' ').trim();
  // What a canvas shows, as a digest of its pixels: a stroke on it changes the digest. A large
  // canvas is not read (its encoding costs milliseconds a step), nor one another origin tainted.
  const digest = c => {
    if (c.width * c.height > 1e6) return null;
    let data;
    try { data = c.toDataURL(); } catch (e) { return null; }
    let h = 0x811c9dc5;
    for (let i = 0; i < data.length; i++) { h ^= data.charCodeAt(i); h = Math.imul(h, 0x01000193); }
    return (h >>> 0).toString(16).padStart(8, '0');
  };
  const cap = s => s.length > NAME_MAX ? s.slice(0, NAME_MAX - 1) + '…' : s;
  const hex = c => {
    const m = c && c.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/);
    if (!m || (m[4] !== undefined && Number(m[4]) === 0)) return null;
    return '#' + [m[1], m[2], m[3]].map(v => Number(v).toString(16).padStart(2, '0')).join('');
  };
  const fileStem = css => {
    const m = css && css.match(/url\(["']?([^"')]+)["']?\)/);
    return m ? m[1].split('/').pop().split('?')[0].replace(/\.\w+$/, '').replace(/[-_]+/g, ' ') : '';
  };
  // A name for an element without text of its own, as a person would call it.
  // An icon font's or sprite's class names the glyph: ui-icon-disk, fa-trash, glyphicon-star.
  const ICON_CLASS = /^(?:ui-icon|fa|glyphicon|icon|bi|mdi|material-icons)-(.+)$/;
  const iconWords = el => {
    const words = [];
    for (const c of el.classList) { const m = c.match(ICON_CLASS); if (m) words.push(m[1].replace(/[-_]+/g, ' ')); }
    return words;
  };
  // Its class says what it is ("trash"), its icon's file often too ("delete.png"): both, once each.
  const textlessName = (el, cs) => {
    const given = el.getAttribute('aria-label') || el.getAttribute('title') || el.getAttribute('alt');
    if (given) return given;
    const words = iconWords(el);
    for (const c of el.classList) if (!/^(ui-|ng-|js-)/.test(c) && !ICON_CLASS.test(c) && words.length < 3) words.push(c.replace(/[-_]+/g, ' '));
    const icon = (el.tagName === 'IMG' ? fileStem(`url(${el.getAttribute('src') || ''})`) : '') ||
      fileStem(cs.content) || fileStem(cs.backgroundImage);
    if (icon && !words.includes(icon)) words.push(icon);
    return words.join(' ') || hex(cs.backgroundColor) || (el.id ? el.id.replace(/[-_]+/g, ' ') : '');
  };
  // A textless inline box with a colour of its own, inside a sentence ("click on the ■ box").
  const swatch = c => (c.tagName === 'DIV' || c.tagName === 'SPAN' || c.tagName === 'I') && !c.childElementCount &&
    !clean(c.textContent || '') && hex(style(c).backgroundColor);
  // Groups: a container holding 2+ controls and text, among like siblings (same tag and class)
  // that do too (the posts of a feed, the cards of a list), is a node of its own, so that
  // `child_of` says which controls belong together; a lone wrapper (the page's frame) is none.
  const isControl = el => CONTROL_TAGS.has(el.tagName) || listened.has(el) || el.hasAttribute('onclick') ||
    CLICK_ROLES.includes(el.getAttribute('role'));
  const controlsIn = new Map();
  for (const el of all) {
    if (!isControl(el)) continue;
    for (let p = el.parentElement; p && p !== body; p = p.parentElement) controlsIn.set(p, (controlsIn.get(p) || 0) + 1);
  }
  const isGroup = el => {
    const pe = el.parentElement;
    // (a container without a class or a list's role is a page's frame, not one of a series)
    if (!GROUP_TAGS.has(el.tagName) || (controlsIn.get(el) || 0) < 2 || !pe || pe === root || scrolls(el) ||
        !(typeof el.className === 'string' && el.className.trim()) && el.tagName !== 'LI' && el.tagName !== 'ARTICLE') return false;
    let peers = 0;
    for (const s of pe.children) if (s.tagName === el.tagName && s.className === el.className && (controlsIn.get(s) || 0) >= 2) peers++;
    return peers >= 2 && !!clean(el.innerText || '');
  };
  // A group's name: the start of its text outside its controls (a post's author, a row's number:
  // its controls' names are theirs), short, for its children carry the rest.
  const groupName = el => {
    let text = '';
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let t = walk.nextNode(); t && text.length < GROUP_NAME_MAX; t = walk.nextNode()) {
      let inControl = false;
      for (let p = t.parentElement; p && p !== el && !inControl; p = p.parentElement) inControl = isControl(p);
      if (!inControl && t.parentElement && style(t.parentElement).display !== 'none') text += ' ' + t.nodeValue;
    }
    const line = clean(text) || (el.innerText || '').split('\n').map(clean).find(l => l) || '';
    return line.length > GROUP_NAME_MAX ? line.slice(0, GROUP_NAME_MAX - 1) + '…' : line;
  };
  const INERT_ROLES = new Set(['presentation', 'none', 'status', 'log', 'alert', 'region', 'group', 'generic', 'marquee', 'timer']);
  const LIVE_ROLES = new Set(['status', 'log', 'alert', 'marquee', 'timer']);

  for (let i = 0; i < all.length; i++) {
    const el = all[i];
    const tag = el.tagName;
    if (SKIP.has(tag) || chromeEls.has(el)) continue;
    let own = '';
    for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 3) own += c.nodeValue;
    own = clean(own);
    let role = el.getAttribute('role');
    // An inert role says nothing to act on; a live region that speaks (a form's error alert,
    // a status line) keeps its role, since what it says is what the page reports.
    if (role && INERT_ROLES.has(role) && !el.hasAttribute('aria-label') && !(own && LIVE_ROLES.has(role))) role = null;
    const pe = el.parentElement;
    // An inline span or bold word inside a sentence is part of that sentence's node (below).
    if (own && INLINE.has(tag) && !role && !listened.has(el) && !el.onclick && pe && pe !== body &&
        el.childElementCount === 0 && sentences.has(pe)) continue;
    const hasClick = el.onclick !== null || el.hasAttribute('onclick') || el.hasAttribute('tabindex') || listened.has(el);
    const interactive = INTERACTIVE.has(tag) || !!role || hasClick || el.isContentEditable;
    if (own && !interactive && PUNCT_ONLY.test(own)) own = '';
    const img = tag === 'IMG' || tag === 'CANVAS' || tag === 'svg' || tag === 'SVG';
    const shape = SHAPES.has(tag) && el instanceof SVGElement;
    // A jQuery UI slider is one node (its track, with value, min and max): its lone handle is not another.
    if (el.classList.contains('ui-slider-handle') && pe && pe.classList.contains('ui-slider') &&
        pe.getElementsByClassName('ui-slider-handle').length === 1) continue;
    const structural = tag === 'TR' || tag === 'TABLE';
    const group = !interactive && !own && isGroup(el);
    let candidate = interactive || own || img || shape || group;
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) continue;
    let outside = r.bottom < 0 || r.right < 0 || r.top > H || r.left > W;
    // Inside a scroll box that is in view, it is one scroll of that box away: a clipped node.
    if (outside && candidate && clippedCount < CLIPPED_MAX && openBoxes.some(b => b.contains(el))) outside = false;
    if (outside) {
      if (candidate) { offscreen++; seenAway(el); }
      continue;
    }
    const cs = style(el);
    if (cs.visibility === 'hidden' || cs.display === 'none' || cs.opacity === '0') continue;
    // Text for screen readers only (jQuery UI's live region): a 1 px box, or clipped to nothing.
    if ((r.width <= 1 && r.height <= 1) || cs.clip === 'rect(0px, 0px, 0px, 0px)') continue;
    // Text drawn at size 0 or in no colour (a face-down card's number) is not there for a person.
    const unseen = parseFloat(cs.fontSize) === 0 || cs.color === 'rgba(0, 0, 0, 0)';
    if (unseen && own) { own = ''; candidate = interactive || img || shape || group; }
    const pointerRoot = cs.cursor === 'pointer' && !(pe && style(pe).cursor === 'pointer');
    const box = scrolls(el) && el !== body && el !== root;
    if (!candidate && !pointerRoot && !box && !structural) continue;
    const region = regionOf(el);
    const vis = [Math.max(r.left, region.rect[0]), Math.max(r.top, region.rect[1]),
                 Math.min(r.right, region.rect[2]), Math.min(r.bottom, region.rect[3])];
    const clipped = vis[2] - vis[0] < 2 || vis[3] - vis[1] < 2;  // a pixel's sliver is no place to click
    if (clipped) {
      if (!region.box || !(candidate || pointerRoot)) continue;  // cut off where no scrolling reaches it
      if (clippedCount >= CLIPPED_MAX) { clippedLeft++; seenAway(el); continue; }
      clippedCount++;
    }
    const id = idOf(el);
    let kind = role || ROLE_OF[tag] || null;
    let value = null, checked = null, selected = null, editable = false, readonly = null, min = null, max = null;
    let type = null, step = null;
    if (tag === 'INPUT') {
      const t = type = (el.type || 'text').toLowerCase();
      if (t === 'checkbox' || t === 'radio') { kind = role || t; checked = el.checked; }
      else if (t === 'button' || t === 'submit' || t === 'reset' || t === 'image') { kind = role || 'button'; value = el.value; }
      else if (t === 'range') { kind = role || 'slider'; value = el.value; min = el.min || '0'; max = el.max || '100';
                                if (el.step && el.step !== '1') step = el.step; }
      else if (t === 'file' || t === 'color' || t === 'hidden') { kind = role || 'button'; value = el.value; }
      else {
        kind = role || (t === 'number' ? 'spinbutton' : 'textbox'); value = el.value;
        if (t === 'number') { min = el.min || null; max = el.max || null; }
        editable = !el.readOnly && !el.disabled; readonly = el.readOnly;
      }
    } else if (tag === 'TEXTAREA') { value = el.value; editable = !el.readOnly && !el.disabled; readonly = el.readOnly; }
    else if (tag === 'SELECT') { value = el.value; if (el.multiple || el.size > 1) kind = role || 'listbox'; }
    else if (tag === 'OPTION') { selected = el.selected; value = el.value; }
    if (el.isContentEditable && tag !== 'INPUT' && tag !== 'TEXTAREA') { editable = true; kind = kind || 'textbox'; }
    const chosen = tag === 'SELECT' ? Array.from(el.selectedOptions).map(o => o.label) : null;
    // Widgets that say what they are in ARIA or in jQuery UI's classes.
    const cls = el.classList;
    if (cls.contains('ui-autocomplete') || (cls.contains('ui-menu') && !role)) kind = 'listbox';
    else if (cls.contains('ui-menu-item') && pe && (pe.classList.contains('ui-autocomplete') || (pe.classList.contains('ui-menu') && !pe.getAttribute('role')))) kind = 'option';
    else if (cls.contains('ui-slider-handle') || cls.contains('ui-slider')) kind = 'slider';
    else if (!kind && shape) kind = 'shape';
    else if (!kind && group) kind = 'group';
    else if (cls.contains('ui-spinner-input')) kind = 'spinbutton';
    if (kind === 'slider' || kind === 'spinbutton') {
      const host = cls.contains('ui-slider-handle') ? el.closest('.ui-slider') : el;
      const jq = window.jQuery;
      let inst = null;
      try { inst = host && jq && (jq.data(host, 'ui-slider') || jq.data(host, 'uiSlider')); } catch (e) {}
      if (inst) { value = String(inst.value()); min = String(inst.options.min); max = String(inst.options.max);
                  if (inst.options.step !== 1) step = String(inst.options.step); }
      if (el.hasAttribute('aria-valuenow')) value = el.getAttribute('aria-valuenow');
      if (el.hasAttribute('aria-valuemin')) min = el.getAttribute('aria-valuemin');
      if (el.hasAttribute('aria-valuemax')) max = el.getAttribute('aria-valuemax');
    }
    const clickable = INTERACTIVE.has(tag) || hasClick || cs.cursor === 'pointer' || CLICK_ROLES.includes(kind);
    // Text the page makes a link of (a clickable span, underlined): a person calls it a link.
    if (!kind && clickable && own && /underline/.test(cs.textDecorationLine || cs.textDecoration || '')) kind = 'link';
    if (!kind) kind = box && !own ? 'scrollable' : own ? (clickable ? 'generic' : 'text') : 'generic';
    let name = '', emphasis = null;
    const aria = el.getAttribute('aria-label');
    if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') {
      name = aria || '';
      if (!name && el.labels && el.labels.length) name = el.labels[0].textContent;
      const before = el.previousElementSibling;  // a <label> just before it that names no control
      if (!name && before && before.tagName === 'LABEL' && !before.htmlFor && !before.querySelector('input,select,textarea')) name = before.textContent;
      if (!name) name = el.getAttribute('placeholder') || el.getAttribute('title') || el.getAttribute('name') || '';
      if (!name && kind === 'button') name = el.value || '';
    } else if (shape) {
      name = aria || el.getAttribute('title') || tag;  // its id is its dom_id, its paint its `color`
    } else if (group) {
      name = aria || groupName(el);
    } else if (img) {
      name = el.getAttribute('alt') || el.getAttribute('title') || aria || textlessName(el, cs);
    } else if (kind === 'listbox' || kind === 'menu' || kind === 'table' || kind === 'row' || kind === 'list' ||
               kind === 'tablist' || kind === 'tree' || kind === 'grid' || kind === 'scrollable' || kind === 'radiogroup') {
      name = aria || el.getAttribute('title') || (kind === 'scrollable' ? textlessName(el, cs) : '');  // their items carry the text
    } else if (kind === 'slider' || kind === 'spinbutton') {
      name = aria || el.getAttribute('title') || own;
    } else if (INTERACTIVE.has(tag) || role || hasClick || pointerRoot || kind === 'option') {
      name = aria || (unseen ? '' : clean(el.innerText || el.textContent || '')) || textlessName(el, cs);
    } else {
      name = own;
      // A sentence with inline emphasis (the task's instruction): the whole text, the emphasis kept.
      if (own && el.childElementCount) {
        let inline = true;
        for (const c of el.children) {
          if (swatch(c)) continue;
          if (!INLINE.has(c.tagName) || c.childElementCount || c.getAttribute('role')) { inline = false; break; }
        }
        if (inline) {
          let text = '';
          emphasis = [];
          for (let c = el.firstChild; c; c = c.nextSibling) {
            if (c.nodeType === 3) { text += c.nodeValue; continue; }
            if (c.nodeType !== 1) continue;
            const sw = swatch(c), icon = c.textContent ? [] : iconWords(c);
            if (sw) { text += ` [${sw}] `; emphasis.push(sw); continue; }
            if (icon.length) { text += ` [${icon.join(' ')}] `; emphasis.push(icon.join(' ')); continue; }
            const t = clean(c.textContent || '');
            text += c.textContent || '';
            if (t && (EMPHASIS.has(c.tagName) || c.classList.contains('bold') || Number(style(c).fontWeight) >= 600)) emphasis.push(t);
          }
          name = clean(text);
          if (!emphasis.length) emphasis = null;
          sentences.add(el);
        }
      }
    }
    name = cap(clean(name));
    let parent = null;
    for (let p = pe; p; p = p.parentElement) {
      const pid = p.getAttribute && p.getAttribute('data-al-id');
      if (pid) { parent = pid; break; }
    }
    const bbox = clipped ? [r.left, r.top, r.width, r.height] : [vis[0], vis[1], vis[2] - vis[0], vis[3] - vis[1]];
    const node = {id, kind, name, parent,
      tag: tag.toLowerCase(), value, checked, selected,
      disabled: !!el.disabled || el.getAttribute('aria-disabled') === 'true',
      editable, focused: el === active, visible: !clipped, clipped,
      bbox: bbox.map(Math.round),
      href: tag === 'A' ? el.getAttribute('href') : null,
      placeholder: el.getAttribute('placeholder'), clickable,
      irreversible: irr ? el.matches(irr) : false, dom_id: el.id || null,
      scroll_box: region.box ? idOf(region.box) : null};
    if (type) node.type = type;
    if (readonly) node.readonly = true;  // (a field one may type in says nothing)
    if (min !== null) node.min = min;
    if (max !== null) node.max = max;
    if (emphasis) node.emphasis = emphasis;
    if (chosen) node.selected_options = chosen;
    if (tag === 'SELECT') node.options = Array.from(el.options).slice(0, OPTIONS_MAX).map(o => clean(o.label));
    if (step !== null) node.step = step;
    if (tag === 'CANVAS') { const d = digest(el); if (d !== null) node.pixels = d; }
    // The icons a small control holds (a menu item's ui-icon-disk): a model may be asked for them.
    if (clickable && el.childElementCount && el.getElementsByTagName('*').length <= 20) {
      const icons = [];
      for (const d of el.querySelectorAll('[class*="icon"]')) if (d.getClientRects().length) icons.push(...iconWords(d));
      if (icons.length) node.icons = icons;
    }
    if (clickable && !own && !img && !(tag in {INPUT: 1, SELECT: 1, TEXTAREA: 1}) && kind !== 'slider' && !clean(el.textContent || '')) {  // a swatch, an icon: its colour may be its meaning
      const c = hex(cs.backgroundColor);
      if (c) node.color = c;
    }
    // What SVG draws (a shape, a glyph) has its paint as its colour: a drawn line has a stroke and no fill.
    if (el instanceof SVGElement && (shape || own)) { const paint = hex(cs.fill) || hex(cs.stroke); if (paint) node.color = paint; }
    if (box) { node.scrollable = true; openBoxes.push(el);
      node.scroll = [Math.round(el.scrollLeft), Math.round(el.scrollTop),
                     el.scrollWidth - el.clientWidth, el.scrollHeight - el.clientHeight]; }
    out.push(node);
  }
  // The text a person has selected (a drag across a sentence highlights it): part of the page's node.
  const selection = cap(clean(String(window.getSelection ? window.getSelection() : '')));
  return {nodes: out, offscreen: offscreen + clippedLeft, url: location.href, title: document.title,
          scroll: [window.scrollX, window.scrollY], viewport: [W, H], selection, away,
          parsed: document.readyState !== 'loading'};  // a document still arriving is looked at again
}
