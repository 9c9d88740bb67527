// Installed in every document before the page's own scripts (a context init script). It records
// what the DOM does not show: which targets got pointer listeners (`addEventListener`, which
// jQuery's and d3's `.on()` use too) for the element graph, and which short timers are pending
// (an autocomplete's 300 ms search) for the settle after an action. Nothing enters the DOM.
// `timers` false leaves the page's timers alone: a page on a virtual clock (Playwright's
// `page.clock`) has them replaced, and wrapping them as well makes its runs differ.
(timers) => {
  if (window.__alHooks) return;
  const POINTER = new Set(['click', 'dblclick', 'mousedown', 'mouseup', 'pointerdown', 'pointerup',
                           'touchstart', 'contextmenu']);
  const SHORT_MS = 500;  // timers this short are part of an action's effect; longer ones are not
  const st = window.setTimeout, ct = window.clearTimeout;
  const hooks = {
    listened: new Set(),  // EventTargets with a pointer listener (pruned of detached ones on read)
    timers: new Map(),  // pending short timer id -> when it is due (performance.now() ms)
    // The env's own timers, which must not count as the page's.
    later: (fn, ms) => st.call(window, fn, ms),
    cancel: id => ct.call(window, id),
  };
  Object.defineProperty(window, '__alHooks', {value: hooks, enumerable: false});
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, fn, opts) {
    if (POINTER.has(type)) hooks.listened.add(this);
    return add.call(this, type, fn, opts);
  };
  if (!timers) return;
  window.setTimeout = function (fn, ms, ...rest) {
    const delay = Number(ms) || 0;
    if (typeof fn !== 'function' || delay > SHORT_MS) return st.call(window, fn, ms, ...rest);
    const id = st.call(window, function (...a) { hooks.timers.delete(id); return fn.apply(this, a); }, ms, ...rest);
    hooks.timers.set(id, performance.now() + delay);
    return id;
  };
  window.clearTimeout = function (id) { hooks.timers.delete(id); return ct.call(window, id); };
}
