// Hides the text caret in every document of the context, so screenshots do not depend on
// the caret's blink phase. An adopted sheet: nothing is added to the DOM the page can see.
(() => { try {
  const s = new CSSStyleSheet();
  s.replaceSync('*, *::before, *::after { caret-color: transparent !important; }');
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, s];
} catch (e) {} })();
