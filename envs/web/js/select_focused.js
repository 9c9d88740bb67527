// After a click, before typing: whether the focused element takes text, and if it does, its
// whole content selected so that what is typed replaces it.
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  const tag = el.tagName;
  const text = (tag === 'INPUT' && !['checkbox','radio','button','submit','reset','range','file','color','image'].includes((el.type || 'text').toLowerCase()))
    || tag === 'TEXTAREA';
  if (text && !el.readOnly && !el.disabled) { el.select(); return true; }
  if (el.isContentEditable) { const r = document.createRange(); r.selectNodeContents(el);
    const s = getSelection(); s.removeAllRanges(); s.addRange(r); return true; }
  return false;
}
