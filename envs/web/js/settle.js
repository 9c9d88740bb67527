// Resolves once the page has settled, or after `bound` ms at most, and never before `atLeast` ms
// (`wait(ms)`: that much page time passes). Settled: the DOM quiet for `quiet` ms, no image
// still loading (an <img>, or a picture CSS draws), no scroll under way (smooth scrolling fires `scroll` events until it ends), no
// finite animation running and no short timer pending (`hooks.js` keeps them: an
// autocomplete's 300 ms search) that is due within the bound. Timers rather than animation
// frames: a frame-driven check rounds every wait up to whole frames. The env's own timers go
// around the hook, so they are not counted as the page's. Quiet also needs an animation frame
// since the last change: the browser brings the hover under a resting pointer up to date at
// the start of a frame (a control re-drawn under the pointer takes its hover style then), and
// on a loaded machine a frame can come later than the quiet timer.
([quiet, bound, atLeast]) => new Promise(resolve => {
  const hooks = window.__alHooks;
  const later = hooks ? hooks.later : (f, ms) => setTimeout(f, ms);
  const cancel = hooks ? hooks.cancel : id => clearTimeout(id);
  const t0 = performance.now(), end = t0 + bound;
  let timer = null, cap = null, done = false, framed = false, waiting = false, changes = 0;
  const finish = why => {
    if (done) return;
    done = true; mo.disconnect(); window.removeEventListener('scroll', arm, true);
    cancel(timer); cancel(cap); resolve(why);
  };
  const again = ms => { cancel(timer); timer = later(quietNow, Math.max(1, ms)); };
  const quietNow = () => {
    const now = performance.now();
    if (now < t0 + atLeast) return again(t0 + atLeast - now);
    const loading = Array.from(document.images).filter(i => !i.complete).concat(cssPictures());
    if (loading.length) {
      let left = loading.length;
      const one = () => { if (--left === 0) arm(); };
      for (const i of loading) { i.addEventListener('load', one, {once: true}); i.addEventListener('error', one, {once: true}); }
      return;
    }
    let due = 0;
    if (hooks) for (const d of hooks.timers.values()) if (d <= end && d > due) due = d;
    if (document.getAnimations) for (const a of document.getAnimations()) {
      if (a.playState !== 'running' || !a.effect) continue;
      const left = a.effect.getComputedTiming().endTime - (a.currentTime || 0);
      if (isFinite(left) && now + left <= end && now + left > due) due = now + left;
    }
    if (due) return again(due - now + 1);  // then quiet again: what the timer did may move the DOM
    if (!framed) { waiting = true; return; }  // the frame checks again
    finish('quiet');
  };
  // Pictures drawn by CSS load like <img>s (`content: url()` even sizes its element: an icon is
  // 0 px wide until its file comes), but no property says whether they have: the rules that draw
  // one are found once per document, and each picture the elements they match draw now is
  // loaded through an Image of its own (the same resource), once per document.
  const cssPictures = () => {
    const sheets = document.styleSheets.length;
    let found = window.__alPictures;
    if (!found || found.sheets !== sheets) {
      const rules = [{sel: '[style*="url("]', pseudo: null}];
      const walk = list => { for (const r of list) {
        if (r.cssRules && !r.style) { walk(r.cssRules); continue; }  // @media and the like
        if (!r.style || !/url\(/.test(r.style.content + ' ' + r.style.backgroundImage)) continue;
        for (const one of r.selectorText.split(',')) {
          const pseudo = (one.match(/::?(before|after)\s*$/) || [null])[0];
          rules.push({sel: pseudo ? one.slice(0, -pseudo.length) || '*' : one, pseudo});
        }
      }};
      for (const sheet of document.styleSheets) { try { walk(sheet.cssRules); } catch (e) { /* another origin's */ } }
      found = window.__alPictures = {sheets, rules, loaded: found ? found.loaded : new Set()};
    }
    const urls = new Set();
    for (const {sel, pseudo} of found.rules) {
      let els = [];
      try { els = document.querySelectorAll(sel); } catch (e) { continue; }
      for (const el of els) {
        if (!el.getClientRects().length) continue;  // not drawn
        const cs = getComputedStyle(el, pseudo);
        for (const m of (cs.content + ' ' + cs.backgroundImage).matchAll(/url\("?([^")]+)"?\)/g)) {
          if (!found.loaded.has(m[1])) urls.add(m[1]);
        }
      }
    }
    return Array.from(urls).map(u => {
      const i = new Image();
      i.addEventListener('load', () => found.loaded.add(u), {once: true});
      i.addEventListener('error', () => found.loaded.add(u), {once: true});
      i.src = u;
      if (i.complete) found.loaded.add(u);
      return i;
    }).filter(i => !i.complete);
  };
  const arm = () => {
    const mine = ++changes;
    framed = false;
    requestAnimationFrame(() => {
      if (mine !== changes || done) return;
      framed = true;
      if (waiting) { waiting = false; quietNow(); }
    });
    again(quiet);
  };
  const mo = new MutationObserver(arm);
  mo.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  window.addEventListener('scroll', arm, {capture: true, passive: true});
  cap = later(() => finish('bound'), Math.max(bound, atLeast));
  arm();
})
