// Fetches the images the page's style sheets refer to (jQuery UI's icon sprites, a task's
// `content: url(...)` icons), so that an icon a task shows later is already there instead of
// arriving after the first frame.
async () => {
  const urls = new Set();
  for (const sheet of document.styleSheets) {
    let rules; try { rules = sheet.cssRules; } catch (e) { continue; }
    for (const r of rules) {
      const css = r.style ? `${r.style.backgroundImage || ''} ${r.style.content || ''}` : '';
      if (css.includes('url(')) for (const m of css.matchAll(/url\(["']?([^"')]+)["']?\)/g)) urls.add(new URL(m[1], sheet.href || location.href).href);
    }
  }
  if (!urls.size) return 0;
  await Promise.race([new Promise(r => setTimeout(r, 2000)), Promise.all([...urls].map(u => new Promise(r => {
    const i = new Image(); i.onload = i.onerror = r; i.src = u; })))]);
  return urls.size;
}
