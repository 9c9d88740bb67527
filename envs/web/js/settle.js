// Resolves once the DOM has been quiet for `quiet` ms and no image is still loading, or after
// `bound` ms at most. Timers rather than animation frames: a frame-driven check rounds every
// wait up to whole frames. Images count because they change the pixels without changing the DOM.
([quiet, bound]) => new Promise(resolve => {
  let timer = null, cap = null;
  const finish = why => { mo.disconnect(); clearTimeout(timer); clearTimeout(cap); resolve(why); };
  const quietNow = () => {
    const loading = Array.from(document.images).filter(i => !i.complete);
    if (!loading.length) return finish('quiet');
    let left = loading.length;
    const one = () => { if (--left === 0) arm(); };
    for (const i of loading) { i.addEventListener('load', one, {once: true}); i.addEventListener('error', one, {once: true}); }
  };
  const arm = () => { clearTimeout(timer); timer = setTimeout(quietNow, quiet); };
  const mo = new MutationObserver(arm);
  mo.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  cap = setTimeout(() => finish('bound'), bound);
  arm();
})
