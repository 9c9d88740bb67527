// A slider's state and the part that takes its keys: an `<input type=range>` or an ARIA slider
// itself, a jQuery UI slider's handle. Focuses that part, for the keys that follow.
(el) => {
  const handle = el.classList.contains('ui-slider') ? el.querySelector('.ui-slider-handle') : el;
  const jq = window.jQuery;
  let inst = null;
  try { inst = jq && el.classList.contains('ui-slider') ? (jq.data(el, 'ui-slider') || jq.data(el, 'uiSlider')) : null; } catch (e) {}
  const num = (v, d) => (v === null || v === undefined || v === '' || isNaN(Number(v))) ? d : Number(v);
  let value, min, max, step;
  if (inst) { value = inst.value(); min = inst.options.min; max = inst.options.max; step = inst.options.step; }
  else if (el.tagName === 'INPUT') { value = num(el.value, 0); min = num(el.min, 0); max = num(el.max, 100); step = num(el.step, 1); }
  else {
    value = num(el.getAttribute('aria-valuenow'), null); min = num(el.getAttribute('aria-valuemin'), 0);
    max = num(el.getAttribute('aria-valuemax'), 100); step = 1;
  }
  if (handle) handle.focus();
  return {value, min, max, step, focused: !!handle && document.activeElement === handle};
}
