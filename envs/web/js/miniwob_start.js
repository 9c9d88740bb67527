// Starts a MiniWoB++ episode the way the page's own START overlay does, seeded, with the
// countdown off, and returns the goal once the task is ready.
async ([seed, t, virtualClock]) => {
  core.EPISODE_MAX_TIME = t;
  if (seed !== null) Math.seedrandom(String(seed));
  core.startEpisodeReal();
  core.clearTimer();
  const t0 = performance.now();
  // A few tasks get ready asynchronously (on a virtual clock, time moves only when stepped).
  while (!virtualClock && WOB_TASK_READY !== true) {
    if (performance.now() - t0 > 5000) throw new Error('the MiniWoB task was not ready after 5 s');
    await new Promise(r => setTimeout(r, 5));
  }
  // Images the task just added change the first frame when they arrive: <img>s, and its
  // icons' style-sheet images (`background-image`, `content: url(...)`), requests through the
  // env's route that a loaded machine answers late. Wait for them, 2 s at most (a refused one
  // ends in an error event; a lazy one may never load). On a virtual clock that bound would
  // never pass: no waiting there.
  if (!virtualClock) {
    const arrival = i => new Promise(r => { i.addEventListener('load', r, {once: true});
                                            i.addEventListener('error', r, {once: true}); });
    const pending = Array.from(document.images).filter(i => !i.complete).map(arrival);
    const urls = new Set();
    for (const el of document.body.getElementsByTagName('*')) {
      const cs = getComputedStyle(el), css = cs.backgroundImage + ' ' + cs.content;
      if (css.includes('url(')) for (const m of css.matchAll(/url\(["']?([^"')]+)["']?\)/g)) urls.add(m[1]);
    }
    for (const u of urls) { const i = new Image(); i.src = u; if (!i.complete) pending.push(arrival(i)); }
    if (pending.length) await Promise.race([new Promise(r => setTimeout(r, 2000)), Promise.all(pending)]);
  }
  return core.getUtterance();
}
