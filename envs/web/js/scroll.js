// Scrolls the page, or inside the element with that id; false when there is no such element
// (then nothing moved).
([id, dx, dy]) => {
  const target = id === null ? window : document.querySelector(`[data-al-id="${id}"]`);
  if (!target) return false;
  target.scrollBy(dx, dy);
  return true;
}
